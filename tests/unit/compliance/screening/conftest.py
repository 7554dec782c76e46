"""Shared fixtures: the project's sample list and the real full CSL of 2022-05-16.

The public list files live in tests/data (provenance in tests/data/README.md), so a fresh clone runs
these tests with nothing beside it. A missing file is a failure, never a skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.screening import ParsedList, ScreeningIndex, parse_csl_file

REPO_ROOT = Path(__file__).resolve().parents[4]
TEST_DATA = REPO_ROOT / "tests" / "data"
FULL_LIST = TEST_DATA / "csl-full-2022-05-16.csv.gz"
SAMPLE_2025 = TEST_DATA / "csl-sample-2025-format.csv"
SAMPLE_2019 = TEST_DATA / "csl-sample-2019-no-id.csv"
UN_SC_LIST = TEST_DATA / "un-sc-consolidated-2026-02-27.xml.gz"
SAMPLE_DIR = REPO_ROOT / "compliance" / "screening" / "data"
SAMPLE_CSV = SAMPLE_DIR / "sample_csl.csv"
SAMPLE_JSON = SAMPLE_DIR / "sample_csl.json"


def data_file(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the screening tests need the list files in tests/data")
    return path


@pytest.fixture(scope="session")
def full_list() -> ParsedList:
    return parse_csl_file(data_file(FULL_LIST))


@pytest.fixture(scope="session")
def full_index(full_list: ParsedList) -> ScreeningIndex:
    return ScreeningIndex.build(full_list.entries)


@pytest.fixture(scope="session")
def sample_list() -> ParsedList:
    return parse_csl_file(SAMPLE_CSV)


@pytest.fixture(scope="session")
def sample_index(sample_list: ParsedList) -> ScreeningIndex:
    return ScreeningIndex.build(sample_list.entries)
