from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from pathlib import Path

import pytest

from compliance.screening import (
    CSL_COLUMNS,
    ListFormatError,
    ParsedList,
    diff_entries,
    parse_csl_csv,
    parse_csl_file,
    parse_csl_json,
)

from .conftest import SAMPLE_2019, SAMPLE_2025, SAMPLE_CSV, SAMPLE_JSON, data_file

HEADER = ",".join(CSL_COLUMNS)
EL = "Entity List (EL) - Bureau of Industry and Security"


def csv_row(**cells: str) -> str:
    values = {column: "" for column in CSL_COLUMNS}
    values.update(cells)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[c] for c in CSL_COLUMNS])
    return buffer.getvalue()


def parse_text(text: str) -> ParsedList:
    return parse_csl_csv(io.StringIO(text))


# ------------------------------------------------------------------------------------ real files


def test_the_full_2022_file_has_the_published_counts_per_list(full_list: ParsedList) -> None:
    assert full_list.counts == {
        "SDN": 10026, "EL": 2001, "DTC": 727, "DPL": 462, "SSI": 290, "UVL": 201, "ISN": 163,
        "PLC": 78, "MEU": 71, "CMIC": 68, "CAP": 53, "NS-MBS": 17, "FSE": 3,
    }  # fmt: skip
    assert sum(full_list.counts.values()) == 14160
    assert full_list.format == "csv"


def test_the_112_repeated_ids_of_the_full_file_stay_distinct_entries(full_list: ParsedList) -> None:
    assert full_list.duplicate_ids == 112
    assert "112 rows repeat the id of an earlier row" in full_list.warnings[0]
    ids = [entry.entry_id for entry in full_list.entries]
    assert len(ids) == len(set(ids))
    # One OFAC party on three lists: three entries, one per list.
    assert {"CAP:18725", "SDN:18725", "SSI:18725"} <= set(ids)


def test_identical_repeated_rows_are_merged_and_reported(full_list: ParsedList) -> None:
    # BANK OF KUNLUN appears twice on the CAP list, differing only in its source URL.
    assert full_list.merged_rows == 1
    assert len(full_list.entries) == 14159
    assert any(w.startswith("CAP:15268: 2 identical rows merged") for w in full_list.warnings)


def test_odd_values_of_the_full_file_are_kept_as_published(full_list: ParsedList) -> None:
    by_name = {entry.name: entry for entry in full_list.entries}
    assert by_name["Oriental Engineers"].start_date == "0017-05-26"
    assert sum(1 for entry in full_list.entries if entry.entity_type == "") == 3625


def test_the_2022_smic_entry_is_read_with_its_aliases_and_country(full_list: ParsedList) -> None:
    smic = next(
        e for e in full_list.entries if e.entry_id == "EL:736c2c6ac3e138ed746296f09c18d066c8fddcd0"
    )
    assert smic.name == "Semiconductor Manufacturing International Corporation (SMIC)"
    assert smic.alt_names == (
        "Semiconductor Manufacturing International (Shanghai) Corporation",
        "SMIC Shanghai",
        "Semiconductor Mfg International Corp.",  # published as "and Semiconductor Mfg ..."
    )
    assert smic.countries == ("CN",)
    assert smic.federal_register_notice == "85 FR 83420"


def test_the_older_file_without_id_gets_stable_derived_ids() -> None:
    first = parse_csl_file(data_file(SAMPLE_2019))
    second = parse_csl_file(data_file(SAMPLE_2019))
    assert first.format == "csv-without-id"
    assert sum(first.counts.values()) == 115
    assert [e.entry_id for e in first.entries] == [e.entry_id for e in second.entries]
    assert len({e.entry_id for e in first.entries}) == len(first.entries)
    # OFAC rows keep their entity number, as `_id` carries it in newer files.
    assert any(e.entry_id.startswith("SDN:") and e.entry_id[4:].isdigit() for e in first.entries)
    assert any("have no id" in w for w in first.warnings)


def test_the_fully_quoted_2025_format_is_read() -> None:
    parsed = parse_csl_file(data_file(SAMPLE_2025))
    assert parsed.format == "csv"
    assert sum(parsed.counts.values()) == 13
    assert parsed.counts["SSI"] == 3
    rosneft = next(e for e in parsed.entries if e.name == "ROSNEFT TRADE LIMITED")
    assert rosneft.entry_id == "SSI:18300"
    assert rosneft.alt_names == ("TNK TRADE LIMITED",)
    assert rosneft.countries == ("CY",)
    assert rosneft.programs == ("UKRAINE-EO13662",)


def test_the_project_sample_list_is_valid_csl_csv(sample_list: ParsedList) -> None:
    assert SAMPLE_CSV.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert 30 <= len(sample_list.entries) <= 60
    assert {"EL", "DPL", "SDN", "MEU", "UVL", "CMIC"} <= set(sample_list.counts)
    assert sample_list.warnings == ()


def test_the_json_sample_gives_the_same_entries_as_the_csv_sample(sample_list: ParsedList) -> None:
    parsed = parse_csl_json(SAMPLE_JSON)
    assert parsed.format == "json"
    from_csv = {entry.entry_id: entry for entry in sample_list.entries}
    assert len(parsed.entries) == 5
    for entry in parsed.entries:
        assert entry.name == from_csv[entry.entry_id].name
        assert entry.addresses == from_csv[entry.entry_id].addresses
    # Records without identifiers hash the same in both forms.
    ymtc = "EL:sample-el-yangtze-memory-technologies"
    assert (
        next(e for e in parsed.entries if e.entry_id == ymtc).content_hash
        == from_csv[ymtc].content_hash
    )


def test_the_file_form_is_sniffed_from_content_and_the_hash_ignores_compression(
    tmp_path: Path,
) -> None:
    raw = SAMPLE_CSV.read_bytes()
    packed = tmp_path / "list.bin"
    packed.write_bytes(gzip.compress(raw))
    plain = parse_csl_file(SAMPLE_CSV)
    assert parse_csl_file(packed).source_hash == plain.source_hash
    assert parse_csl_file(packed).entries == plain.entries
    json_packed = tmp_path / "list.json.gz"
    json_packed.write_bytes(gzip.compress(SAMPLE_JSON.read_bytes()))
    assert parse_csl_file(json_packed).format == "json"


def test_progress_is_reported_with_the_number_of_records_read() -> None:
    seen: list[int] = []
    parse_csl_file(SAMPLE_CSV, progress=seen.append)
    assert seen[-1] == 37


def test_a_text_stream_is_hashed_over_its_utf8_bytes() -> None:
    text = HEADER + "\n" + csv_row(_id="1", source=EL, name="Ä Company")
    assert parse_text(text).source_hash == hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------ malformed CSV


def test_a_wrong_header_is_rejected_naming_the_missing_and_unexpected_columns() -> None:
    text = HEADER.replace(",name,", ",nam,") + "\n"
    with pytest.raises(ListFormatError) as error:
        parse_text(text)
    assert error.value.line == 1
    assert str(error.value).startswith("line 1: header is not a Consolidated Screening List header")
    assert "missing columns: name" in str(error.value)
    assert "unexpected columns: 'nam'" in str(error.value)


def test_a_header_with_a_missing_column_is_rejected() -> None:
    with pytest.raises(ListFormatError, match="missing columns: ids"):
        parse_text(HEADER.removesuffix(",ids") + "\n")


def test_a_header_with_columns_out_of_order_is_rejected() -> None:
    columns = list(CSL_COLUMNS)
    columns[5], columns[6] = columns[6], columns[5]
    with pytest.raises(ListFormatError, match="expected 'name' in column 6, found 'title'"):
        parse_text(",".join(columns) + "\n")


def test_an_empty_file_is_rejected() -> None:
    with pytest.raises(ListFormatError, match="empty file"):
        parse_text("")


def test_a_truncated_row_is_rejected_with_its_line_and_field_count() -> None:
    good = csv_row(_id="1", source=EL, name="First Company")
    truncated = ",".join(["2", EL, "", "", "", "Second Company", "", "", "", "", "", ""]) + "\n"
    with pytest.raises(ListFormatError) as error:
        parse_text(HEADER + "\n" + good + truncated)
    assert str(error.value) == "line 3 (record 2): expected 29 fields, found 12"
    assert (error.value.line, error.value.record) == (3, 2)


def test_a_row_after_a_multi_line_cell_is_located_on_its_own_first_line() -> None:
    multi_line = csv_row(_id="1", source=EL, name="First", addresses="Line one\nLine two, CN")
    with pytest.raises(
        ListFormatError, match=r"^line 4 \(record 2\): expected 29 fields, found 3$"
    ):
        parse_text(HEADER + "\n" + multi_line + "2,x,y\n")


def test_an_unclosed_quote_is_rejected_as_malformed_csv() -> None:
    with pytest.raises(ListFormatError, match="malformed CSV"):
        parse_text(HEADER + '\n1,"Entity List (EL) - BIS,\n')


def test_a_row_without_a_name_is_rejected() -> None:
    with pytest.raises(ListFormatError, match=r"^line 2 \(record 1\): empty name$"):
        parse_text(HEADER + "\n" + csv_row(_id="1", source=EL, name="  "))


def test_a_row_of_an_unknown_list_is_rejected() -> None:
    with pytest.raises(
        ListFormatError, match=r"line 2 \(record 1\): unknown list source 'Some List'"
    ):
        parse_text(HEADER + "\n" + csv_row(_id="1", source="Some List", name="X"))


def test_bytes_that_are_not_utf8_are_rejected_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(
        HEADER.encode() + b"\n" + csv_row(_id="1", source=EL, name="Caf\xe9").encode("latin-1")
    )
    with pytest.raises(ListFormatError, match=r"^line 2: not valid UTF-8"):
        parse_csl_file(path)


def test_blank_lines_and_a_byte_order_mark_are_accepted() -> None:
    text = "\ufeff" + HEADER + "\n\n" + csv_row(_id="1", source=EL, name="A Company") + "\n"
    assert [e.entry_id for e in parse_text(text).entries] == ["EL:1"]


def test_multi_valued_cells_are_split_and_the_bis_and_prefix_is_dropped() -> None:
    row = csv_row(
        _id="1", source=EL, name="Mahsa Keivan Bahari",
        alt_names="Katrina Smich; Katrina Smitch; and K.A. Smich",
        addresses="Unit 3, Tehran, IR; Dubai, AE", citizenships="IR", nationalities="IR; IQ",
        programs="A; B",
    )  # fmt: skip
    entry = parse_text(HEADER + "\n" + row).entries[0]
    assert entry.alt_names == ("Katrina Smich", "Katrina Smitch", "K.A. Smich")
    assert entry.addresses == ("Unit 3, Tehran, IR", "Dubai, AE")
    assert entry.countries == ("AE", "IQ", "IR")
    assert entry.programs == ("A", "B")


def test_same_list_and_id_with_different_content_get_content_suffixes() -> None:
    rows = csv_row(_id="7", source=EL, name="Alpha") + csv_row(_id="7", source=EL, name="Beta")
    parsed = parse_text(HEADER + "\n" + rows)
    ids = sorted(e.entry_id for e in parsed.entries)
    assert len(ids) == 2 and all(i.startswith("EL:7~") for i in ids)
    reordered = parse_text(
        HEADER
        + "\n"
        + csv_row(_id="7", source=EL, name="Beta")
        + csv_row(_id="7", source=EL, name="Alpha")
    )
    assert sorted(e.entry_id for e in reordered.entries) == ids


# ------------------------------------------------------------------------------------ malformed JSON


def parse_json_text(text: str) -> ParsedList:
    return parse_csl_json(io.StringIO(text))


def test_invalid_json_is_rejected_with_its_line() -> None:
    with pytest.raises(ListFormatError) as error:
        parse_json_text('{"results": [\n  {"id": "1",}\n]}')
    assert error.value.line == 2
    assert str(error.value).startswith("line 2: invalid JSON:")


def test_json_without_a_results_list_is_rejected() -> None:
    for text in ('{"total": 0}', '{"results": {}}', "[]"):
        with pytest.raises(ListFormatError, match='expected an object with a "results" list'):
            parse_json_text(text)


def test_a_json_record_missing_a_required_key_is_rejected_with_its_number() -> None:
    records = [{"id": "1", "source": EL, "name": "A"}, {"id": "2", "source": EL}]
    with pytest.raises(ListFormatError) as error:
        parse_json_text(json.dumps({"results": records}))
    assert str(error.value) == "record 2: missing required key 'name'"
    assert (error.value.line, error.value.record) == (None, 2)


def test_a_json_record_with_a_wrongly_typed_field_is_rejected() -> None:
    record = {"id": "1", "source": EL, "name": "A", "alt_names": [1, 2]}
    with pytest.raises(ListFormatError, match="record 1: 'alt_names' must be a list of strings"):
        parse_json_text(json.dumps({"results": [record]}))
    with pytest.raises(ListFormatError, match="record 1: expected an object, found str"):
        parse_json_text(json.dumps({"results": ["A"]}))


def test_json_addresses_and_ids_become_csv_style_cells() -> None:
    record = {
        "id": "9", "source": EL, "name": "A",
        "addresses": [{"address": "1 Road", "city": "Wuhan", "state": None, "postal_code": "", "country": "CN"}],
        "ids": [{"type": "Passport", "number": "X1", "country": "CN"}],
        "citizenships": "CN", "nationalities": ["HK"],
    }  # fmt: skip
    entry = parse_json_text(json.dumps({"results": [record]})).entries[0]
    assert entry.addresses == ("1 Road, Wuhan, CN",)
    assert entry.ids == ("Passport, X1, CN",)
    assert entry.countries == ("CN", "HK")


# ------------------------------------------------------------------------------------ diff


def test_the_diff_lists_added_removed_and_changed_entries() -> None:
    old_list = parse_text(
        HEADER + "\n" + csv_row(_id="1", source=EL, name="Kept") + csv_row(_id="2", source=EL, name="Gone")
        + csv_row(_id="3", source=EL, name="Renamed")
    )  # fmt: skip
    new_list = parse_text(
        HEADER + "\n" + csv_row(_id="1", source=EL, name="Kept") + csv_row(_id="3", source=EL, name="Renamed Co")
        + csv_row(_id="4", source=EL, name="New")
    )  # fmt: skip
    old = {entry.entry_id: entry.content_hash for entry in old_list.entries}
    diff = diff_entries(old, new_list)
    assert (diff.added, diff.removed, diff.changed) == (("EL:4",), ("EL:2",), ("EL:3",))
    assert not diff.is_empty
    assert diff_entries({e.entry_id: e.content_hash for e in new_list.entries}, new_list).is_empty


def test_the_sample_list_against_the_2022_file_shows_the_ymtc_listing_as_added(
    full_list: ParsedList, sample_list: ParsedList
) -> None:
    old = {entry.entry_id: entry.content_hash for entry in full_list.entries}
    diff = diff_entries(old, sample_list)
    assert diff.added == ("EL:sample-el-yangtze-memory-technologies",)
    assert diff.changed == ()  # the other rows were copied unchanged
    assert len(diff.removed) == len(full_list.entries) - (len(sample_list.entries) - 1)
