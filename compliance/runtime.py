"""Process-wide caches of what is expensive to build and immutable once built.

A compiled rule set is keyed by its version hash and a screening index by its snapshot id: both
are immutable, so a cache entry never goes stale, and a worker serves thousands of checks from one
build. The active version is looked up on every check (one query), so a new rule set or list is
picked up at once.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

from compliance import engine
from compliance.models import ListEntry, ListSnapshot, RuleSet
from compliance.screening.entries import ListEntry as EntryData
from compliance.screening.matcher import ScreeningIndex

_lock = threading.Lock()
_rulesets: OrderedDict[str, Any] = OrderedDict()
_indexes: OrderedDict[tuple[int, ...], Any] = OrderedDict()
_MAX_RULESETS = 8
_MAX_INDEXES = 3


def compiled_ruleset(ruleset: RuleSet) -> engine.CompiledRuleSet:
    with _lock:
        cached = _rulesets.get(ruleset.version)
        if cached is not None:
            _rulesets.move_to_end(ruleset.version)
            return cached
    packs = engine.load_rule_packs(ruleset.packs)
    compiled = engine.compile_ruleset(packs, enabled_policies=frozenset(ruleset.enabled_policies))
    if compiled.version != ruleset.version:
        raise RuntimeError(
            f"Rule set {ruleset.pk} compiles to version {compiled.version[:12]}, "
            f"not its stored version {ruleset.version[:12]}: the engine or the stored packs changed."
        )
    with _lock:
        _rulesets[ruleset.version] = compiled
        while len(_rulesets) > _MAX_RULESETS:
            _rulesets.popitem(last=False)
    return compiled


def entry_to_dict(entry: Any) -> dict[str, Any]:
    """A list entry as stored in ``ListEntry.data`` (JSON): enough to rebuild the index exactly."""
    return {
        f.name: list(v) if isinstance(v, tuple) else v
        for f in dataclasses.fields(entry)
        for v in [getattr(entry, f.name)]
    }


def entry_from_dict(data: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(EntryData)}
    return EntryData(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    )


def snapshot_entries(snapshot: ListSnapshot) -> list[Any]:
    return [
        entry_from_dict(data)
        for data in ListEntry.objects.filter(snapshot=snapshot)
        .order_by("pk")
        .values_list("data", flat=True)
        .iterator(chunk_size=5000)
    ]


def screening_index_for(snapshots: list[ListSnapshot]) -> Any:
    """One index over the entries of `snapshots` (the sources in force), cached by their ids."""
    key = tuple(sorted(s.pk for s in snapshots))
    with _lock:
        cached = _indexes.get(key)
        if cached is not None:
            _indexes.move_to_end(key)
            return cached
    entries: list[Any] = []
    for snapshot in sorted(snapshots, key=lambda s: s.pk):
        entries.extend(snapshot_entries(snapshot))
    index = ScreeningIndex.build(entries)
    with _lock:
        _indexes[key] = index
        while len(_indexes) > _MAX_INDEXES:
            _indexes.popitem(last=False)
    return index


def clear() -> None:
    """Forget every cached build (tests)."""
    with _lock:
        _rulesets.clear()
        _indexes.clear()


def remember_index(snapshot_ids: tuple[int, ...], index: Any) -> None:
    """Keep an index built during an import, so the first check does not rebuild it."""
    with _lock:
        _indexes[tuple(sorted(snapshot_ids))] = index
        while len(_indexes) > _MAX_INDEXES:
            _indexes.popitem(last=False)
