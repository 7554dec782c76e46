"""Fixtures for tests that use the database (integration and functional)."""

from __future__ import annotations

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


@pytest.fixture
def sample_list(db):
    """The project's sample screening list, imported and active."""
    from compliance.services import list_snapshot_import

    return list_snapshot_import(path="compliance/screening/data/sample_csl.csv")


@pytest.fixture(autouse=True)
def run_on_commit_immediately(request, monkeypatch):
    """Tests run inside one transaction that never commits, so on-commit hooks would never fire.
    Run them at once instead (the check then runs in-process, as in embedded mode). Tests that use
    real transactions (``django_db(transaction=True)``) keep Django's real behaviour."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        yield
        return
    from django.db import transaction

    def on_commit(func, using=None, robust=False):
        func()

    monkeypatch.setattr(transaction, "on_commit", on_commit)
    yield


@pytest.fixture
def world(rules, sample_list):
    """The persona world (``tests/worlds.py``) with the rule packs and the sample list loaded."""
    from tests.worlds import build_world

    return build_world()
