"""Fixtures for tests that use the database (integration and functional)."""

from __future__ import annotations

import functools

import pytest


@pytest.fixture(autouse=True)
def fresh_runtime_caches():
    """Compiled rule sets and screening indexes are cached per process; each test starts clean."""
    from compliance import runtime

    runtime.clear()
    yield
    runtime.clear()


@pytest.fixture
def rules(db):
    """The project's rule packs, loaded and active."""
    from compliance.services import ruleset_load

    ruleset, _ = ruleset_load()
    return ruleset


# A sample of every list source in use by default, so that no visit is held for a missing list.
SAMPLE_LISTS = {
    "un-sc": "tests/data/un-sc-sample.xml",
    "eu-fsf": "tests/data/eu-fsf-sample.xml",
    "uk-fcdo": "tests/data/uk-sanctions-sample.xml",
    "jp-eul": "tests/data/jp-eul-sample.csv",
}


def import_sample_lists():
    """The CSL sample and a sample of every other source; returns the CSL snapshot."""
    from compliance.services import list_snapshot_import

    csl = list_snapshot_import(path="compliance/screening/data/sample_csl.csv")
    for source, path in SAMPLE_LISTS.items():
        list_snapshot_import(path=path, source=source)
    return csl


@pytest.fixture
def sample_list(db):
    """The project's sample screening lists (every source in use), imported and active; the
    US CSL snapshot."""
    return import_sample_lists()


@pytest.fixture
def world(rules, sample_list):
    """The persona world (``tests/worlds.py``) with the rule packs and the sample list loaded."""
    from tests.worlds import build_world

    return build_world()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A test runs inside one transaction that never commits, so what the code schedules on commit
    (the check a filing asks for, the notices a decision sends) would never run. ``with
    committed():`` around a step runs them when the step ends, as the commit would, callbacks
    scheduled by callbacks included::

        with committed():
            visit = visit_create(...)   # filed, then checked
    """
    return functools.partial(django_capture_on_commit_callbacks, execute=True)
