"""The UK Sanctions List importer (FCDO XML), on the project's sample."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

import pytest

from compliance.screening.formats import parse
from compliance.screening.importers import ListFormatError

SAMPLE = Path("tests/data/uk-sanctions-sample.xml")
DEMO_COPY = Path("compliance/screening/data/uk-sanctions-sample.xml")
RUSSIA = "The Russia (Sanctions) (EU Exit) Regulations 2019"


@pytest.fixture(scope="module")
def uk():
    return parse("uk-xml", SAMPLE)


def _by_id(parsed, entry_id):
    return next(e for e in parsed.entries if e.entry_id == entry_id)


def _designations(*bodies: str) -> bytes:
    inner = "".join(f"<Designation>{b}</Designation>" for b in bodies)
    return f"<Designations><DateGenerated>01/02/2026</DateGenerated>{inner}</Designations>".encode()


def _named(unique_id: str, kind: str = "Entity", extra: str = "") -> str:
    return (
        f"<UniqueID>{unique_id}</UniqueID><Names><Name><Name6>ACME {unique_id}</Name6>"
        f"<NameType>Primary Name</NameType></Name></Names>"
        f"<IndividualEntityShip>{kind}</IndividualEntityShip>{extra}"
    )


def test_the_sample_has_8_designations_4_individuals_3_entities_1_ship(uk):
    assert len(uk.entries) == 8
    assert uk.counts == {"UK": 8}
    assert uk.format == "uk-xml"
    assert Counter(e.entity_type for e in uk.entries) == {
        "Individual": 4,
        "Entity": 3,
        "Vessel": 1,
    }
    assert [e.entry_id for e in uk.entries] == [
        "UK:AFG0001",
        "UK:AFG0006",
        "UK:DPR0075",
        "UK:RUS0251",
        "UK:RUS0252",
        "UK:RUS0270",
        "UK:RUS1013",
        "UK:RUS1397",
    ]
    assert uk.warnings == ("list generated 27/02/2026",)
    assert sum(RUSSIA in e.programs for e in uk.entries) == 5


def test_an_individual_has_its_names_regime_measures_and_birth(uk):
    putin = _by_id(uk, "UK:RUS0251")
    assert putin.name == "Vladimir Vladimirovich PUTIN"  # Name1 Name2 … Name6
    assert putin.alt_names == ("Владимир Владимирович Путин",)
    assert putin.programs == (RUSSIA,)
    assert putin.license_requirement == "Asset freeze; Trust services sanctions"
    assert putin.start_date == "2022-02-25"
    assert putin.dates_of_birth == ("1952-10-07",)
    assert putin.countries == ("RU",)
    assert putin.ids == ("OFSI group ID 14196",)
    assert putin.title == "President of the Russian Federation"
    assert putin.remarks == "President of the Russian Federation."
    assert putin.source_id == "RUS0251"
    assert putin.source == "UK Sanctions List"


def test_a_year_of_birth_stays_a_year_and_titles_are_kept(uk):
    akhund = _by_id(uk, "UK:AFG0006")
    assert akhund.name == "MOHAMMAD HASSAN AKHUND"
    # "Primary name variation" in other case only: no new alias; the Persian name is one.
    assert akhund.alt_names == ("محمد حسن آخوند",)
    assert akhund.dates_of_birth == ("1945", "1946")
    assert akhund.title == "Mullah; Haji"
    assert akhund.license_requirement == "Asset freeze; Travel Ban; Arms embargo"
    assert akhund.ids == ("OFSI group ID 7172", "UN reference TAi.002")
    assert akhund.start_date == "2001-01-25"


def test_nationalities_and_address_countries_become_iso_codes(uk):
    assert _by_id(uk, "UK:RUS0270").countries == ("IL", "PT", "RU")
    exchange = _by_id(uk, "UK:AFG0001")
    assert exchange.countries == ("AE", "AF")
    assert exchange.addresses == (
        "Ansari Market, 2nd Floor, Nimroz Province, Afghanistan",
        "Branch Office 14, Dubai, United Arab Emirates",
    )
    assert exchange.alt_names == (
        "Haji Alim Hawala",
        "Haji Hakim Hawala",
        "حاجی خيرالله و حاجی ستار صرافی",
    )
    assert exchange.remarks == "Afghan Money Service Provider License Number: 044."


def test_a_ship_is_a_vessel_with_its_imo_number_flag_and_measure(uk):
    ship = _by_id(uk, "UK:DPR0075")
    assert ship.entity_type == "Vessel"
    assert ship.name == "Petrel 8"  # "Primary name" in lower case
    assert ship.alt_names == ("Jal Vahini",)
    assert ship.ids == ("IMO 9562233",)
    assert ship.countries == ("KM",)
    assert ship.license_requirement == "Prohibition of port entry"  # no asset freeze


def test_an_entity_has_its_address(uk):
    vtb = _by_id(uk, "UK:RUS1013")
    assert vtb.addresses == ("43 Vorontsovskaya Street, Moscow, 109147, Russia",)
    assert vtb.license_requirement == "Asset freeze"
    assert vtb.alt_names == ("VTB Bank PJSC", "Банк ВТБ (публичное акционерное общество)")


def test_the_registry_reads_a_gzipped_copy_with_the_same_hash(tmp_path, uk):
    packed = tmp_path / "uk.xml.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    again = parse("uk-xml", packed)
    assert again.source_hash == uk.source_hash
    assert again.entries == uk.entries


def test_the_demo_copy_is_the_test_sample():
    assert DEMO_COPY.read_bytes() == SAMPLE.read_bytes()


def test_a_changed_name_changes_the_content_hash(uk):
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "<Name6>Sberbank</Name6>", "<Name6>Sber</Name6>"
    )
    changed = parse("uk-xml", text.encode())
    assert _by_id(changed, "UK:RUS1397").alt_names == ("Sber",)
    assert _by_id(changed, "UK:RUS1397").content_hash != _by_id(uk, "UK:RUS1397").content_hash
    assert _by_id(changed, "UK:RUS0251").content_hash == _by_id(uk, "UK:RUS0251").content_hash


def test_dates_in_other_forms_are_kept_and_counted():
    extra = (
        "<DateDesignated>2022-02-25</DateDesignated><IndividualDetails><Individual><DOBs>"
        "<DOB>dd/03/1958</DOB><DOB>00/00/1975</DOB><DOB>15/08/19yy</DOB></DOBs>"
        "<Nationalities><Nationality>Ruritania</Nationality></Nationalities>"
        "</Individual></IndividualDetails>"
    )
    parsed = parse("uk-xml", _designations(_named("XYZ0001", "Individual", extra)))
    (entry,) = parsed.entries
    assert entry.dates_of_birth == ("1958-03", "1975", "15/08/19yy")
    assert entry.start_date == "2022-02-25"
    assert entry.countries == ()
    assert parsed.warnings == (
        "list generated 01/02/2026",
        "dates not in the form dd/mm/yyyy, kept as published: 2 (e.g. '2022-02-25')",
        "country names without an ISO code, left out of countries: Ruritania",
    )


def test_a_designation_without_a_primary_name_takes_its_first_name():
    body = (
        "<UniqueID>XYZ0002</UniqueID><Names><Name><Name6>Only An Alias</Name6>"
        "<NameType>Alias</NameType></Name></Names><IndividualEntityShip>Entity</IndividualEntityShip>"
    )
    parsed = parse("uk-xml", _designations(body))
    assert parsed.entries[0].name == "Only An Alias"
    assert "designations without a primary name, named by their first name: 1" in parsed.warnings


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the file is empty"),
        (b"<export/>", "root element is <export>, not <Designations> of the UK Sanctions List"),
        (_designations(_named("A1")) + b"<x/>", "not well-formed XML"),
        (
            b"<Designations><Designation/><Other/></Designations>",
            "record 1: <Designation> without UniqueID",
        ),
        (
            _designations(_named("A1")).replace(b"</Designations>", b"<Other/></Designations>"),
            "record 2: unexpected <Other> inside <Designations>",
        ),
        (
            _designations(_named("A1"), "<UniqueID>A2</UniqueID><Names/>"),
            "record 2: designation A2 has no name",
        ),
        (
            _designations(_named("A1", kind="Aircraft")),
            "record 1: designation A1: IndividualEntityShip is 'Aircraft', not Individual",
        ),
        (
            b"<Designations><DateGenerated>x</DateGenerated></Designations>",
            "the file holds no entries",
        ),
        (_designations(_named("A1"), _named("A1")), "'UK:A1'"),
        (
            b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b"<Designations>&b;</Designations>",
            "XML with a DTD or entities is refused",
        ),
    ],
)
def test_malformed_files_are_refused_saying_what_and_where(raw, message):
    with pytest.raises(ListFormatError) as exc:
        parse("uk-xml", raw)
    assert message in str(exc.value)


def test_a_file_cut_in_half_is_refused_naming_the_line():
    raw = SAMPLE.read_bytes()
    with pytest.raises(ListFormatError) as exc:
        parse("uk-xml", raw[: len(raw) // 2])
    assert re.fullmatch(r"line \d+: not well-formed XML \(.*\) at column \d+", str(exc.value))
