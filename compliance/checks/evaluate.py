"""Evaluating documents with the engine: the worker's evaluation of one visit, the dry run, the
fail-closed decision for an error, and the replay of a stored decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from compliance import engine, runtime
from compliance.checks import limits
from compliance.checks.inputs import CheckContext, check_context, licence_from_dict, screen_parties
from compliance.models import (
    Decision,
)

logger = logging.getLogger(__name__)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass
class Evaluation:
    document: dict[str, Any]
    screening: list[engine.ScreeningHit]
    licences: list[engine.LicenceSpec]
    decision: engine.Decision
    error: str = ""
    duration_ms: float = 0.0
    list_is_stale: bool = False
    list_problems: tuple[engine.ListProblem, ...] = ()


def evaluate_document(
    *,
    document: dict[str, Any],
    ctx: CheckContext,
    screening: list[engine.ScreeningHit],
    licences: list[engine.LicenceSpec],
    decided_at: dt.datetime,
) -> Evaluation:
    """Run the engine; any failure becomes a fail-closed system decision, never ``cleared``."""
    started = time.perf_counter()
    stale, problems = ctx.list_state(document)
    try:
        parsed = engine.parse_document(document)
        decision = engine.evaluate(
            parsed,
            ctx.compiled,
            screening=screening,
            licences=licences,
            lists_version=ctx.lists_version,
            list_is_stale=stale,
            list_problems=problems,
            decided_at=decided_at,
        )
        error = ""
    except Exception as exc:
        logger.exception("Check failed for document %s", document.get("visit", {}).get("id"))
        error = f"{type(exc).__name__}: {exc}"
        decision = error_decision(document, error, ctx=ctx, decided_at=decided_at)
    return Evaluation(
        document=document,
        screening=screening,
        licences=licences,
        decision=decision,
        error=error,
        duration_ms=(time.perf_counter() - started) * 1000,
        list_is_stale=stale,
        list_problems=tuple(problems),
    )


def _as_of(document: dict[str, Any]) -> dt.date:
    try:
        return dt.date.fromisoformat(document["visit"]["start_date"])
    except Exception:
        return timezone.localdate()


def error_decision(
    document: dict[str, Any] | None,
    error: str,
    *,
    ctx: CheckContext | None,
    decided_at: dt.datetime,
) -> Any:
    return engine.system_error_decision(
        None,
        error,
        rules_version=ctx.ruleset.version if ctx else "",
        lists_version=ctx.lists_version if ctx else None,
        as_of=_as_of(document or {}),
        decided_at=decided_at,
    )


def check_document(document: dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Dry run (``POST /api/v1/checks/``, ``manage.py check_visit``): the same engine, rules and
    list as the worker; nothing is stored. Raises ``engine.DocumentError`` for an invalid document
    and ``ApplicationError`` for one over the dry-run limits (``compliance.checks.limits``)."""
    limits.document_limits_check(document)
    parsed = engine.parse_document(document)
    canonical = engine.document_to_dict(parsed)
    ctx = check_context(now=now)
    screening = screen_parties(index=ctx.index, document=canonical)
    stale, problems = ctx.list_state(canonical)
    decision = engine.evaluate(
        parsed,
        ctx.compiled,
        screening=screening,
        licences=[],
        lists_version=ctx.lists_version,
        list_is_stale=stale,
        list_problems=problems,
        decided_at=now or timezone.now(),
    )
    answer = decision.to_dict()
    limits.response_limit_check(answer)
    return answer


@dataclass(frozen=True)
class ReplayResult:
    identical: bool
    differences: list[str]
    original: dict[str, Any]
    replayed: dict[str, Any]


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "decided_at"}


def decision_reevaluate(
    decision: Decision,
    *,
    compiled: engine.CompiledRuleSet | None = None,
    extra_licences: Sequence[engine.LicenceSpec] = (),
    lists_version: str | None = "",
) -> engine.Decision:
    """The engine on a stored decision's own inputs (document, hits, licences, list version and
    staleness, time): under its own rule set, or ``compiled`` (a candidate), optionally with
    ``extra_licences``, or under another ``lists_version`` (None: no list; "": the decision's
    own). The one place that re-evaluates a stored decision (replay, a re-confirmation's replay,
    impact preview, an approval's licence)."""
    return engine.evaluate(
        engine.parse_document(decision.document),
        compiled if compiled is not None else runtime.compiled_ruleset(decision.ruleset),
        screening=[engine.ScreeningHit(**h) for h in decision.screening_input],
        licences=[licence_from_dict(d) for d in decision.licences_input] + list(extra_licences),
        lists_version=(decision.lists_version or None) if lists_version == "" else lists_version,
        list_is_stale=decision.list_is_stale,
        list_problems=[engine.ListProblem(**p) for p in decision.list_problems or []],
        decided_at=decision.decided_at,
    )


def decision_replay(decision: Decision) -> ReplayResult:
    """Re-evaluate the stored document with the stored rule set, hits, licences and list version."""
    original = decision.result
    if decision.ruleset is None:
        return ReplayResult(False, ["the decision has no stored rule set"], original, {})
    try:
        replayed = decision_reevaluate(decision).to_dict()
    except Exception as exc:
        replayed = error_decision(
            decision.document,
            f"{type(exc).__name__}: {exc}",
            ctx=None,
            decided_at=decision.decided_at,
        ).to_dict()
    a, b = _comparable(original), _comparable(json.loads(canonical_json(replayed)))
    a = json.loads(canonical_json(a))
    differences = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            differences.append(f"{key}: stored {a.get(key)!r} ≠ replayed {b.get(key)!r}")
    return ReplayResult(not differences, differences, original, replayed)
