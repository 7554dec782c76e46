"""The METI End User List importer (.xlsx, or the same table as CSV), on the project's sample."""

from __future__ import annotations

import gzip
import importlib.util
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from compliance.screening.formats import jp, parse
from compliance.screening.importers import ListFormatError

XLSX = Path("tests/data/jp-eul-sample.xlsx")
CSV = Path("tests/data/jp-eul-sample.csv")
DEMO_COPY = Path("compliance/screening/data/jp-eul-sample.xlsx")
SCRIPT = Path("scripts/make_jp_eul_sample.py")
HEADER = ["No.", "国名・地域名\nCountry or Region", "企業名・組織名\nCompany or Organization",
          "別名\nAlso Known As", "懸念区分\nType of WMD"]  # fmt: skip


@pytest.fixture(scope="module")
def eul():
    return parse("jp-eul", XLSX)


def _by_id(parsed, entry_id):
    return next(e for e in parsed.entries if e.entry_id == entry_id)


def _workbook(*rows: list[object], title: str = "List") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(*lines: str) -> bytes:
    header = ",".join(f'"{cell}"' for cell in HEADER)
    return "\n".join([header, *lines, ""]).encode("utf-8")


def test_the_workbook_sample_has_11_entities(eul):
    assert len(eul.entries) == 11
    assert eul.counts == {"JP-EUL": 11}
    assert eul.format == "jp-eul"
    assert [e.entry_id for e in eul.entries] == [f"JP-EUL:{n}" for n in range(1, 12)]
    assert {e.entity_type for e in eul.entries} == {"Entity"}
    # The legend row below the table is a note, not an entry.
    assert eul.warnings == ("rows without a No. or name, read as notes: 1",)


def test_names_aliases_countries_and_weapon_types(eul):
    beihang = _by_id(eul, "JP-EUL:1")
    assert beihang.name == "Beihang University"
    assert beihang.alt_names == (
        "北京航空航天大学",
        "Beijing University of Aeronautics and Astronautics",
        "BUAA",
    )
    assert beihang.countries == ("CN",)
    assert beihang.programs == ("Missile",)
    assert beihang.source_id == "1"
    assert beihang.source == "METI End User List"
    komid = _by_id(eul, "JP-EUL:7")
    assert komid.countries == ("KP",)  # "北朝鮮\nNorth Korea"
    assert komid.programs == ("Missile", "Conventional weapons")
    assert _by_id(eul, "JP-EUL:10").programs == ("Nuclear", "Missile")
    ssrc = _by_id(eul, "JP-EUL:11")
    assert ssrc.programs == ("Biological", "Chemical", "Missile")
    assert ssrc.alt_names == ("SSRC", "Centre d'Etudes et de Recherches Scientifiques", "CERS")
    assert [e.countries for e in eul.entries].count(("IR",)) == 3


def test_the_csv_form_gives_the_same_entries(eul):
    as_csv = parse("jp-eul", CSV)
    assert as_csv.entries == eul.entries
    assert as_csv.warnings == ()
    assert as_csv.source_hash != eul.source_hash


def test_the_registry_reads_gzipped_copies(tmp_path, eul):
    packed = tmp_path / "eul.xlsx.gz"
    packed.write_bytes(gzip.compress(XLSX.read_bytes()))
    assert parse("jp-eul", packed).source_hash == eul.source_hash
    packed_csv = tmp_path / "eul.csv.gz"
    packed_csv.write_bytes(gzip.compress(CSV.read_bytes()))
    assert len(parse("jp-eul", packed_csv).entries) == 11


def test_the_sample_is_what_the_script_writes_and_the_demo_copy_is_it():
    spec = importlib.util.spec_from_file_location("make_jp_eul_sample", SCRIPT)
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.workbook_bytes() == XLSX.read_bytes()
    assert script.csv_text() == CSV.read_text(encoding="utf-8")
    assert DEMO_COPY.read_bytes() == XLSX.read_bytes()


def test_commas_inside_names_are_kept_and_lines_bullets_semicolons_split():
    raw = _csv(
        '1,"中国\nChina","Beijing Zhongchuang Telecom Test Co., Ltd.",'
        '"・BZCT Co., Ltd.\n・Zhongchuang; ZCT ・Telecom Test","M"'
    )
    (entry,) = parse("jp-eul", raw).entries
    assert entry.name == "Beijing Zhongchuang Telecom Test Co., Ltd."
    assert entry.alt_names == ("BZCT Co., Ltd.", "Zhongchuang", "ZCT", "Telecom Test")


def test_unknown_countries_and_weapon_types_are_kept_and_named():
    parsed = parse("jp-eul", _csv('1,"ルリタニア\nRuritania","Acme Works",,"N, X"'))
    (entry,) = parsed.entries
    assert entry.countries == ()
    assert entry.programs == ("Nuclear", "X")
    assert parsed.warnings == (
        "country names without an ISO code, left out of countries: Ruritania",
        "types of weapon not in METI's legend, kept as published: X",
    )


def test_a_changed_name_changes_the_content_hash():
    before = parse(
        "jp-eul", _csv('1,"イラン\nIran","Aerospace Industries Organization","・AIO","M"')
    )
    after = parse(
        "jp-eul", _csv('1,"イラン\nIran","Aerospace Industries Organisation","・AIO","M"')
    )
    assert before.entries[0].content_hash != after.entries[0].content_hash


def test_progress_is_reported_at_the_end():
    seen: list[int] = []
    parse("jp-eul", XLSX, progress=seen.append)
    assert seen == [11]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["Title"], ["No", "Country", "Name", "AKA", "WMD"], [1, "China", "X", "", "M"]],
            "no header row with the columns No., Country or Region, Company or Organization, "
            "Also Known As, Type of WMD in the first 30 rows",
        ),
        (
            [["Title"], HEADER, [None, "China", "Acme", "", "M"]],
            "record 1: row 3 of sheet 'List': entry without No.",
        ),
        (
            [HEADER, [1, "China", "Acme", "", "M"], ["2a", "Iran", "Beta", "", "N"]],
            "record 2: row 3 of sheet 'List': No. '2a' is not a number",
        ),
        (
            [HEADER, [1, "China", None, "・X", "M"]],
            "record 1: row 2 of sheet 'List': No. 1: empty Company",
        ),
        ([HEADER, [1, "China", "A", "", "M"], [1, "Iran", "B", "", "N"]], "'JP-EUL:1'"),
        ([HEADER], "the file holds no entries"),
    ],
)
def test_malformed_workbooks_are_refused_saying_what_and_where(rows, message):
    with pytest.raises(ListFormatError) as exc:
        parse("jp-eul", _workbook(*rows))
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the file is empty"),
        (XLSX.read_bytes()[:3000], "damaged .xlsx workbook"),
        (b"PK\x03\x04" + b"\0" * 40, "damaged .xlsx workbook (not a complete ZIP archive)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a legacy .xls workbook"),
        (b"No,Name\n1,Acme\n", "no header row with the columns No., Country or Region"),
        (_csv("1,China,Acme,,M", "x,Iran,Beta,,N"), "line 7 (record 2): No. 'x' is not a number"),
        (_csv("1,China,Acme,,M", '2,Iran,"Beta,,N'), "malformed CSV"),
        (b"No.,Country\xff", "not valid UTF-8"),
    ],
)
def test_malformed_files_are_refused_saying_what_and_where(raw, message):
    with pytest.raises(ListFormatError) as exc:
        parse("jp-eul", raw)
    assert message in str(exc.value)


def test_a_workbook_that_inflates_past_the_ceiling_is_refused(monkeypatch):
    monkeypatch.setattr(jp, "MAX_DECOMPRESSED_BYTES", 1024)
    with pytest.raises(ListFormatError) as exc:
        parse("jp-eul", XLSX)
    assert "the workbook inflates past 0 MiB" in str(exc.value)


def _with_sheet(xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(XLSX) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, xml if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize(
    "sheet",
    [
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>No.',
        b'<!DOCTYPE w [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>',
    ],
)
def test_a_damaged_or_entity_laden_sheet_is_refused(sheet):
    with pytest.raises(ListFormatError) as exc:
        parse("jp-eul", _with_sheet(sheet))
    assert str(exc.value).startswith("damaged .xlsx workbook: ")
    assert "\n" not in str(exc.value)
