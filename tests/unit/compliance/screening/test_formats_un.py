"""The UN Security Council Consolidated List importer, on the real list of 2026-02-27."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from compliance.screening.formats import parse
from compliance.screening.importers import ListFormatError

FULL = Path("tests/data/un-sc-consolidated-2026-02-27.xml.gz")
SAMPLE = Path("tests/data/un-sc-sample.xml")


@pytest.fixture(scope="module")
def un():
    return parse("un-xml", FULL)


def test_the_full_list_has_1003_entries_730_individuals_273_entities(un):
    assert len(un.entries) == 1003
    assert un.counts == {"UN": 1003}
    assert Counter(e.entity_type for e in un.entries) == {"Individual": 730, "Entity": 273}
    assert un.format == "un-xml"
    assert un.warnings[0] == "list generated 2026-02-27T00:00:09.554Z"
    assert "615 aliases of low quality" in un.warnings[1]


def test_an_entity_keeps_its_reference_aliases_regime_and_country(un):
    entry = next(e for e in un.entries if e.entry_id == "UN:KPe.017")
    assert entry.name == "LEADER (HONG KONG) INTERNATIONAL"
    assert "Leader (Hong Kong) International Trading Limited" in entry.alt_names
    assert entry.programs == ("DPRK",)
    assert entry.source_id == "KPe.017"
    assert entry.source == "UN Security Council Consolidated List"


def test_an_individual_has_names_nationality_and_birth(un):
    entry = next(e for e in un.entries if e.entry_id == "UN:CDi.001")
    assert entry.name == "ERIC BADEGE"
    assert entry.entity_type == "Individual"
    assert entry.countries == ("CD", "RW")  # nationality DR Congo, address Rwanda
    assert entry.dates_of_birth == ("1971",)
    assert entry.start_date == "2012-12-31"


def test_country_names_of_the_un_become_iso_codes(un):
    dprk = [e for e in un.entries if e.programs == ("DPRK",) and e.entity_type == "Entity"]
    assert sum("KP" in e.countries for e in dprk) >= 60
    iran = [e for e in un.entries if e.programs == ("Iran",)]
    assert any("IR" in e.countries for e in iran)


def test_the_same_list_plain_or_gzipped_has_the_same_hash(tmp_path, un):
    plain = tmp_path / "un.xml"
    plain.write_bytes(gzip.decompress(FULL.read_bytes()))
    assert parse("un-xml", plain).source_hash == un.source_hash
    assert parse("un-xml", plain.read_bytes()).source_hash == un.source_hash


def test_the_sample_is_an_extract_of_whole_records(un):
    sample = parse("un-xml", SAMPLE)
    assert len(sample.entries) == 33
    full = {e.entry_id: e.content_hash for e in un.entries}
    assert all(full[e.entry_id] == e.content_hash for e in sample.entries)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("<CONSOLIDATED_LIST><INDIVIDUALS>", "not well-formed XML"),
        ("<export/>", "root element is <export>, not <CONSOLIDATED_LIST>"),
        ("<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>", "has no <ENTITIES> section"),
        (
            "<CONSOLIDATED_LIST><INDIVIDUALS><ENTITY/></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>",
            "record 1: unexpected <ENTITY> inside <INDIVIDUALS>",
        ),
        (
            "<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES><ENTITY><FIRST_NAME>X</FIRST_NAME>"
            "</ENTITY></ENTITIES></CONSOLIDATED_LIST>",
            "record 1: entry without REFERENCE_NUMBER or DATAID",
        ),
        (
            "<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>",
            "the file holds no entries",
        ),
        (
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>',
            "DTD or entities is refused",
        ),
    ],
)
def test_malformed_files_are_refused_saying_what_and_where(text, message):
    with pytest.raises(ListFormatError) as exc:
        parse("un-xml", text.encode())
    assert message in str(exc.value)


def test_a_repeated_reference_is_refused():
    one = (
        "<ENTITY><DATAID>1</DATAID><FIRST_NAME>A</FIRST_NAME>"
        "<REFERENCE_NUMBER>QDe.1</REFERENCE_NUMBER></ENTITY>"
    )
    text = f"<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES>{one}{one}</ENTITIES></CONSOLIDATED_LIST>"
    with pytest.raises(ListFormatError) as exc:
        parse("un-xml", text.encode())
    assert "'UN:QDe.1'" in str(exc.value)


def test_a_damaged_gzip_is_refused():
    with pytest.raises(ListFormatError) as exc:
        parse("un-xml", FULL.read_bytes()[:2000])
    assert "damaged gzip data" in str(exc.value)
