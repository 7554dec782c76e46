"""The FollowTheMoney JSON-lines importer, on the project's sample of OpenSanctions-style entities."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from compliance.screening.formats import parse
from compliance.screening.importers import ListFormatError

SAMPLE = Path("tests/data/ftm-sample.jsonl")


@pytest.fixture(scope="module")
def ftm():
    return parse("ftm-jsonl", SAMPLE)


def _by_id(parsed, entry_id):
    return next(e for e in parsed.entries if e.entry_id == entry_id)


def _line(**fields: object) -> str:
    item = {"id": "x-1", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}}
    item.update(fields)
    return json.dumps(item, ensure_ascii=False)


def test_the_sample_has_6_parties_and_skips_the_rest(ftm):
    assert len(ftm.entries) == 6
    assert ftm.counts == {"FTM": 6}
    assert ftm.format == "ftm-jsonl"
    assert [e.entry_id for e in ftm.entries] == [
        "FTM:Q7747",
        "FTM:gb-fcdo-afg0001",
        "FTM:gb-fcdo-dpr0075",
        "FTM:eu-fsf-eu-27-28",
        "FTM:jp-eul-beihang-university",
        "FTM:gb-fcdo-rus1013",
    ]
    assert Counter(e.entity_type for e in ftm.entries) == {
        "Individual": 2,
        "Entity": 3,
        "Vessel": 1,
    }
    assert ftm.warnings == (
        "entities of schemata that are no party, skipped: Address 1, Sanction 1",
        "parties that are no target, skipped: 1",
        "weak aliases screened (they may not identify a party alone): 1",
    )


def test_a_person_has_names_datasets_topics_birth_and_countries(ftm):
    putin = _by_id(ftm, "FTM:Q7747")
    assert putin.name == "Vladimir Vladimirovich Putin"
    assert putin.alt_names == (
        "Vladimir Putin",
        "Владимир Владимирович Путин",
        "Vladimir Vladimirovitj PUTIN",
    )
    assert putin.programs == ("eu_fsf", "gb_fcdo_sanctions")
    assert putin.remarks == "sanction; role.pep"
    assert putin.dates_of_birth == ("1952-10-07",)
    assert putin.countries == ("RU",)
    assert putin.title == "President of the Russian Federation"
    assert putin.source_information_url == (
        "https://www.gov.uk/government/publications/the-uk-sanctions-list"
    )
    assert putin.list_code == "FTM"
    assert putin.source_id == "Q7747"


def test_weak_aliases_identifiers_and_addresses(ftm):
    saddam = _by_id(ftm, "FTM:eu-fsf-eu-27-28")
    assert saddam.alt_names == ("Abu Ali", "Saddam")
    assert saddam.countries == ("IQ",)
    vtb = _by_id(ftm, "FTM:gb-fcdo-rus1013")
    assert vtb.ids == ("swiftBic VTBRRUMM",)
    assert vtb.addresses == ("43 Vorontsovskaya Street, Moscow, 109147, Russia",)
    assert vtb.remarks == "sanction; fin.bank"
    ship = _by_id(ftm, "FTM:gb-fcdo-dpr0075")
    assert ship.entity_type == "Vessel"
    assert ship.ids == ("imoNumber IMO9562233",)
    assert ship.countries == ("KM",)  # the flag
    beihang = _by_id(ftm, "FTM:jp-eul-beihang-university")
    assert beihang.alt_names[0] == "北京航空航天大学"  # a second `name` is an alias
    assert _by_id(ftm, "FTM:gb-fcdo-afg0001").countries == ("AE", "AF")


def test_the_registry_reads_a_gzipped_copy(tmp_path, ftm):
    packed = tmp_path / "entities.ftm.json.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    again = parse("ftm-jsonl", packed)
    assert again.source_hash == ftm.source_hash
    assert again.entries == ftm.entries


def test_schemata_map_to_entity_types_and_target_is_honoured_only_when_present():
    lines = [
        _line(id="a", schema="Airplane", properties={"name": ["EP-ABC"]}),
        _line(id="b", schema="PublicBody", properties={"name": ["Ministry"]}),
        _line(id="c", schema="Company", properties={"name": ["Acme"]}),  # no `target` key
        _line(id="d", target=False),
        _line(id="e", schema="Ownership", properties={}),
    ]
    parsed = parse("ftm-jsonl", "\n".join(lines).encode())
    assert [(e.entry_id, e.entity_type) for e in parsed.entries] == [
        ("FTM:a", "Aircraft"),
        ("FTM:b", "Entity"),
        ("FTM:c", "Entity"),
    ]


def test_the_caption_stands_in_for_a_missing_name():
    (entry,) = parse("ftm-jsonl", _line(properties={}, caption="Ivan Petrov").encode()).entries
    assert entry.name == "Ivan Petrov"


def test_a_changed_name_changes_the_content_hash(ftm):
    text = SAMPLE.read_text(encoding="utf-8").replace('"Petrel 8"]', '"Petrel Eight"]')
    changed = parse("ftm-jsonl", text.encode())
    old, new = _by_id(ftm, "FTM:gb-fcdo-dpr0075"), _by_id(changed, "FTM:gb-fcdo-dpr0075")
    assert new.name == "Petrel Eight"
    assert old.content_hash != new.content_hash


def test_progress_is_reported_every_1000_records_and_at_the_end():
    lines = [_line(id=f"p{n}") for n in range(2500)]
    seen: list[int] = []
    parse("ftm-jsonl", "\n".join(lines).encode(), progress=seen.append)
    assert seen == [1000, 2000, 2500]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (f"{_line()}\n{{nope\n{_line(id='b')}".encode(), "line 2 (record 2): not JSON"),
        (f"{_line()}\n[1, 2]".encode(), "line 2 (record 2): expected a JSON object, found list"),
        (f"\n{_line(id='')}".encode(), "line 2 (record 1): object without 'id'"),
        (b'{"id": "x"}', "line 1 (record 1): object without 'schema'"),
        (_line(properties=[]).encode(), "line 1 (record 1): 'properties' must be an object"),
        (
            _line(properties={"name": "Ivan"}).encode(),
            "line 1 (record 1): entity x-1: property 'name' must be a list of strings",
        ),
        (_line(datasets="eu_fsf").encode(), "'datasets' must be a list of strings"),
        (_line(target="yes").encode(), "line 1 (record 1): 'target' must be true or false"),
        (
            _line(properties={"alias": ["X"]}).encode(),
            "line 1 (record 1): entity x-1 (Person) has no name",
        ),
        (_line(schema="Address").encode(), "the file holds no entries"),
        (f"{_line()}\n{_line()}".encode(), "'FTM:x-1'"),
        (b"\xff\xfe", "not valid UTF-8"),
    ],
)
def test_malformed_files_are_refused_saying_what_and_where(raw, message):
    with pytest.raises(ListFormatError) as exc:
        parse("ftm-jsonl", raw)
    assert message in str(exc.value)


def test_a_file_whose_last_line_is_cut_is_refused_naming_the_line():
    raw = SAMPLE.read_bytes().rstrip(b"\n")
    with pytest.raises(ListFormatError) as exc:
        parse("ftm-jsonl", raw[:-40])
    assert str(exc.value).startswith("line 10 (record 9): not JSON: ")
    assert str(exc.value).endswith("(the file ends inside this line: cut off?)")
