"""Write the project's sample of METI's End User List: tests/data/jp-eul-sample.xlsx (in the layout
of the workbook METI publishes: title rows, then the bilingual header row, the table and a legend
row), the same table as tests/data/jp-eul-sample.csv (UTF-8), and a copy of the workbook in
compliance/screening/data/ for the demo.

The output is byte for byte the same on every run: the workbook's document dates and the ZIP
entries' timestamps are fixed. Run from the repository root:

    .venv/bin/python scripts/make_jp_eul_sample.py

The rows were written by the project (see tests/data/README.md): the parties are on METI's list,
but the numbering, spelling and grouping of this sample are ours. Never use it for real screening.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS_XLSX = (
    ROOT / "tests" / "data" / "jp-eul-sample.xlsx",
    ROOT / "compliance" / "screening" / "data" / "jp-eul-sample.xlsx",
)
OUTPUT_CSV = ROOT / "tests" / "data" / "jp-eul-sample.csv"
FIXED = dt.datetime(2026, 2, 27, 0, 0, 0)
MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

TITLE = "外国ユーザーリスト\nEnd User List"
NOTE = (
    "Sample written by the project in the layout of METI's published workbook; "
    "not for screening (see tests/data/README.md)"
)
HEADER = (
    "No.",
    "国名・地域名\nCountry or Region",
    "企業名・組織名\nCompany or Organization",
    "別名\nAlso Known As",
    "懸念区分\nType of WMD",
    "通常兵器\nConventional weapons",
)
ROWS: tuple[tuple[int, str, str, str, str, str], ...] = (
    (
        1,
        "中国\nChina",
        "Beihang University\n（北京航空航天大学）",
        "・Beijing University of Aeronautics and Astronautics\n・BUAA",
        "M",
        "",
    ),
    (2, "中国\nChina", "Harbin Institute of Technology\n（哈尔滨工业大学）", "・HIT", "M", ""),
    (
        3,
        "中国\nChina",
        "China Academy of Engineering Physics\n（中国工程物理研究院）",
        "・CAEP\n・Ninth Academy",
        "N",
        "",
    ),
    (4, "イラン\nIran", "Aerospace Industries Organization", "・AIO", "M", ""),
    (5, "イラン\nIran", "Atomic Energy Organization of Iran", "・AEOI", "N", ""),
    (6, "イラン\nIran", "Shahid Hemmat Industrial Group", "・SHIG", "M", ""),
    (
        7,
        "北朝鮮\nNorth Korea",
        "Korea Mining Development Trading Corporation",
        "・KOMID\n・Changgwang Sinyong Corporation",
        "M",
        "CW",
    ),
    (
        8,
        "北朝鮮\nNorth Korea",
        "Namchongang Trading Corporation",
        "・NCG\n・Namchongang Trading",
        "N",
        "",
    ),
    (9, "パキスタン\nPakistan", "Pakistan Atomic Energy Commission", "・PAEC", "N", ""),
    (
        10,
        "パキスタン\nPakistan",
        "Khan Research Laboratories",
        "・KRL\n・A.Q. Khan Research Laboratories",
        "N, M",
        "",
    ),
    (
        11,
        "シリア\nSyria",
        "Scientific Studies and Research Center",
        "・SSRC\n・Centre d'Etudes et de Recherches Scientifiques; CERS",
        "B, C, M",
        "",
    ),
)
LEGEND = "B: Biological weapons, C: Chemical weapons, M: Missiles, N: Nuclear weapons, CW: Conventional weapons"


def workbook_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "End User List"
    book.properties.created = FIXED
    book.properties.modified = FIXED
    book.properties.creator = "export-compliance gate (sample)"
    sheet.append([TITLE])
    sheet.append([NOTE])
    sheet.append([])
    sheet.append(list(HEADER))
    for row in ROWS:
        sheet.append(list(row))
    sheet.append([])
    sheet.append([LEGEND])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = wrap
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (6, 16, 44, 52, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_timestamps(buffer.getvalue())


def _fixed_timestamps(raw: bytes) -> bytes:
    """The same archive with every entry dated FIXED, and the document's modification date FIXED
    (openpyxl sets it to the time of saving), so that the bytes do not depend on when."""
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            target.writestr(entry, data)
    return out.getvalue()


def csv_text() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    return out.getvalue()


def main() -> int:
    raw = workbook_bytes()
    for path in OUTPUTS_XLSX:
        path.write_bytes(raw)
        print(f"wrote {path.relative_to(ROOT)} ({len(raw)} bytes)")
    OUTPUT_CSV.write_text(csv_text(), encoding="utf-8")
    print(f"wrote {OUTPUT_CSV.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
