"""The EU consolidated financial sanctions list importer (FSF XML 1.1), on the project's sample."""

from __future__ import annotations

import gzip
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from compliance.screening.formats import parse
from compliance.screening.importers import ListFormatError

SAMPLE = Path("tests/data/eu-fsf-sample.xml")
DEMO_COPY = Path("compliance/screening/data/eu-fsf-sample.xml")
NS = 'xmlns="http://eu.europa.ec/fpi/fsd/export"'


@pytest.fixture(scope="module")
def eu():
    return parse("eu-xml", SAMPLE)


def _by_id(parsed, entry_id):
    return next(e for e in parsed.entries if e.entry_id == entry_id)


def _one(entity: str) -> bytes:
    return f"<export {NS}>{entity}</export>".encode()


def test_the_sample_has_9_entries_5_individuals_4_entities(eu):
    assert len(eu.entries) == 9
    assert eu.counts == {"EU": 9}
    assert eu.format == "eu-xml"
    assert Counter(e.entity_type for e in eu.entries) == {"Individual": 5, "Entity": 4}
    assert [e.entry_id for e in eu.entries] == [
        "EU:13",
        "EU:207",
        "EU:135909",
        "EU:900001",
        "EU:900002",
        "EU:900003",
        "EU:900004",
        "EU:900005",
        "EU:900006",
    ]
    assert eu.warnings == (
        "list generated 2026-02-27T12:00:00.000+01:00",
        "names marked weak (strong=false), screened as aliases: 2",
    )


def test_a_person_has_the_english_name_first_the_regime_act_and_birth(eu):
    putin = _by_id(eu, "EU:135909")
    # The Swedish spelling comes first in the file; the name without a language is the primary.
    assert putin.name == "Vladimir Vladimirovich PUTIN"
    assert putin.alt_names == ("Vladimir Vladimirovitj PUTIN",)
    assert putin.programs == ("UKR",)
    assert putin.federal_register_notice == "2022/332 (OJ L53)"
    assert putin.start_date == "2022-02-25"
    assert putin.dates_of_birth == ("1952-10-07",)
    assert putin.countries == ("RU",)
    assert putin.title == "President of the Russian Federation"
    assert putin.source_information_url.startswith(
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=uriserv%3AOJ.L_.2022.053"
    )
    assert putin.source_id == "135909"  # no euReferenceNumber: the logicalId stands in
    assert putin.list_code == "EU"
    assert putin.source == "EU consolidated financial sanctions list"


def test_citizenships_become_iso_codes_and_weak_names_are_aliases(eu):
    abramovich = _by_id(eu, "EU:900003")
    assert abramovich.countries == ("IL", "PT", "RU")
    assert abramovich.alt_names == ("Роман Аркадьевич АБРАМОВИЧ",)
    usmanov = _by_id(eu, "EU:900002")
    assert usmanov.countries == ("RU", "UZ")
    assert usmanov.alt_names == ("Alisher USMANOV",)  # strong="false", still screened
    assert usmanov.remarks.startswith("One of Russia's wealthiest individuals")


def test_an_entity_has_its_address_identification_and_reference_numbers(eu):
    psb = _by_id(eu, "EU:900005")
    assert psb.entity_type == "Entity"
    assert psb.addresses == (
        "Smirnovskaya Street 10, Building 22, Moscow, 109052, RUSSIAN FEDERATION",
    )
    assert psb.ids == ("SWIFT BIC PRMSRUMM RU",)
    komid = _by_id(eu, "EU:900006")
    assert komid.programs == ("PRK",)
    assert komid.countries == ("KP",)
    assert komid.ids == ("UN reference KPe.001",)
    assert komid.start_date == ""  # no designationDate published
    saddam = _by_id(eu, "EU:13")
    assert saddam.source_id == "EU.27.28"
    assert saddam.ids == ("EU reference number EU.27.28",)
    assert saddam.remarks == "UNSC RESOLUTION 1483"
    assert saddam.dates_of_birth == ("1937-04-28",)


def test_names_in_other_languages_are_aliases_in_nfc(eu):
    ibda = _by_id(eu, "EU:207")
    assert ibda.name == "İslami Büyük Doğu Akıncılar Cephesi"
    assert ibda.alt_names == (
        "Great Islamic Eastern Warriors Front",
        "IBDA-C",
        "Front der islamischen Kämpfer des Großen Ostens",
        "Front islamique des combattants du Grand Orient",
    )
    assert ibda.programs == ("TERR",)


def test_the_registry_reads_a_path_bytes_and_a_gzipped_copy_with_one_hash(tmp_path, eu):
    packed = tmp_path / "eu.xml.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    assert parse("eu-xml", packed).source_hash == eu.source_hash
    assert parse("eu-xml", SAMPLE.read_bytes()).entries == eu.entries
    plain = tmp_path / "copy.xml"
    shutil.copyfile(SAMPLE, plain)
    assert parse("eu-xml", str(plain)).source_hash == eu.source_hash


def test_the_demo_copy_is_the_test_sample():
    assert DEMO_COPY.read_bytes() == SAMPLE.read_bytes()


def test_progress_is_reported_at_the_end(eu):
    seen: list[int] = []
    parse("eu-xml", SAMPLE, progress=seen.append)
    assert seen == [9]


def test_a_changed_name_changes_the_content_hash():
    before = parse("eu-xml", SAMPLE)
    text = SAMPLE.read_text(encoding="utf-8").replace(
        'wholeName="Sergey Viktorovich LAVROV"', 'wholeName="Sergei Viktorovich LAVROV"'
    )
    after = parse("eu-xml", text.encode())
    old, new = _by_id(before, "EU:900001"), _by_id(after, "EU:900001")
    assert new.name == "Sergei Viktorovich LAVROV"
    assert old.content_hash != new.content_hash
    assert _by_id(before, "EU:13").content_hash == _by_id(after, "EU:13").content_hash


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the file is empty"),
        (b"<CONSOLIDATED_LIST/>", "root element is <CONSOLIDATED_LIST>, not <export>"),
        (b'<export xmlns="urn:other"/>', "<export> is in namespace 'urn:other'"),
        (_one("<header/>"), "record 1: unexpected <header> inside <export>"),
        (
            _one('<sanctionEntity><nameAlias wholeName="X"/></sanctionEntity>'),
            "record 1: <sanctionEntity> without logicalId",
        ),
        (
            _one(
                '<sanctionEntity logicalId="1"><nameAlias wholeName="A"/></sanctionEntity>'
                '<sanctionEntity logicalId="2"><nameAlias wholeName=""/></sanctionEntity>'
            ),
            "record 2: entry EU:2 has no name",
        ),
        (_one(""), "the file holds no entries"),
        (
            _one(
                '<sanctionEntity logicalId="5"><nameAlias wholeName="A"/></sanctionEntity>'
                '<sanctionEntity logicalId="5"><nameAlias wholeName="B"/></sanctionEntity>'
            ),
            "'EU:5'",
        ),
        (
            b'<!DOCTYPE export [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><export>&b;</export>',
            "DTD or entities is refused",
        ),
    ],
)
def test_malformed_files_are_refused_saying_what_and_where(raw, message):
    with pytest.raises(ListFormatError) as exc:
        parse("eu-xml", raw)
    assert message in str(exc.value)


def test_a_file_cut_in_half_is_refused_naming_the_line():
    raw = SAMPLE.read_bytes()
    with pytest.raises(ListFormatError) as exc:
        parse("eu-xml", raw[: len(raw) // 2])
    assert re.fullmatch(r"line \d+: not well-formed XML \(.*\) at column \d+", str(exc.value))


def test_an_external_entity_is_refused():
    raw = (
        b'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<export><sanctionEntity logicalId='1'><nameAlias wholeName='&x;'/></sanctionEntity>"
        b"</export>"
    )
    with pytest.raises(ListFormatError) as exc:
        parse("eu-xml", raw)
    assert "XML with a DTD or entities is refused" in str(exc.value)


def test_names_from_parts_and_an_unknown_subject_type():
    raw = _one(
        '<sanctionEntity logicalId="7"><subjectType code="vessel"/>'
        '<nameAlias firstName="Ivan" middleName="" lastName="PETROV" wholeName="" strong="true"/>'
        '<birthdate year="1961"/><birthdate yearRangeFrom="1960" yearRangeTo="1962"/>'
        '<citizenship countryIso2Code="00" countryDescription="UNKNOWN"/></sanctionEntity>'
    )
    parsed = parse("eu-xml", raw)
    (entry,) = parsed.entries
    assert entry.name == "Ivan PETROV"
    assert entry.entity_type == "Entity"
    assert entry.dates_of_birth == ("1961", "1960", "1962")
    assert entry.countries == ()
    assert parsed.warnings == ("entries without a known subjectType, screened as entities: 1",)
