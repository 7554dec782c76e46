"""Shared fixtures: the project's sample list and the real full CSL of 2022-05-16.

The full file lives outside the repository, in ../shared/data relative to the repository root (on
every developer machine and in CI). Its absence is a failure, not a skip: the acceptance tests
against real data must run everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance.screening import ParsedList, ScreeningIndex, parse_csl_file

REPO_ROOT = Path(__file__).resolve().parents[4]
# SHARED_DATA_DIR points elsewhere for a checkout that does not sit beside shared/ (a missing
# folder still fails the tests, never skips them).
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
FULL_LIST = SHARED_DATA / "csl-full-2022-05-16.csv.gz"
SAMPLE_2025 = SHARED_DATA / "csl-sample-2025-format.csv"
SAMPLE_2019 = SHARED_DATA / "csl-sample-2019-no-id.csv"
SAMPLE_DIR = REPO_ROOT / "compliance" / "screening" / "data"
SAMPLE_CSV = SAMPLE_DIR / "sample_csl.csv"
SAMPLE_JSON = SAMPLE_DIR / "sample_csl.json"


def shared_file(path: Path) -> Path:
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the screening tests need ../shared/data next to the repository"
        )
    return path


@pytest.fixture(scope="session")
def full_list() -> ParsedList:
    return parse_csl_file(shared_file(FULL_LIST))


@pytest.fixture(scope="session")
def full_index(full_list: ParsedList) -> ScreeningIndex:
    return ScreeningIndex.build(full_list.entries)


@pytest.fixture(scope="session")
def sample_list() -> ParsedList:
    return parse_csl_file(SAMPLE_CSV)


@pytest.fixture(scope="session")
def sample_index(sample_list: ParsedList) -> ScreeningIndex:
    return ScreeningIndex.build(sample_list.entries)
