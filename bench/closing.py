"""What would close each missed target (``report.py`` prints it under the target's profiles).

Each text is the analysis behind the figure, with the numbers of the same run filled in: where the
time goes (from the profiles printed above it and the figures of the table) and the change that
would bring the ratio within its target. A text is shown only for a target the run missed.
"""

from __future__ import annotations

from typing import Any


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def sustained(x: dict[str, Any]) -> str:
    noop, rate = x.get("noop_per_second") or 0, x.get("sustained_per_second") or 0
    if not noop or not rate:
        return ""
    needed = x["target_sustained_floor_share"] * noop
    return (
        f"{x['target_sustained_floor_share']:.0%} of the floor is {_n(needed)} visits/s: the two "
        "cores would have "
        f"{_n(2000 / needed, 1)} ms of CPU per visit to file it and decide it, and this run spent "
        f"{_n(2000 / rate, 1)} ms. With 8 clients the batches stay small, so each check pays the "
        "fixed cost of its batch (the statements of *queries per chunk* in the table, whatever the "
        "batch's size), and the notices run on the same pool processes: a mail rendered per "
        "recipient and one `send_email` task queued per mail (see the latency figure; its share "
        "is in the pool profile above). What would close it: the notices and mails on a queue "
        "and worker processes of their own, and the check's remaining reads compiled once per "
        "process, as the check inputs, the false-positive marks and the lock on the batch's "
        "visits are (`dispatch.sql.CompiledQuery`): the licences with their three prefetches, the "
        "rule set and the lists in force, the audit chain head; and filing's audit chain-head "
        "lock folded into the event's insert (two of its round trips)."
    )


def post(x: dict[str, Any]) -> str:
    post_ = x.get("post_response") or {}
    if not post_:
        return ""
    return (
        f"The POST's p50 is {_n(post_.get('p50_ms', 0))} ms, p95 {_n(post_.get('p95_ms', 0))} ms: "
        "filing itself is a fixed 6 statements on PostgreSQL (`tests/functional/"
        "test_filing_queries.py`); the web profile above shows the rest, the request's validation "
        "and the check message published to Redis after the commit, while the same two cores run "
        "the pool's checks. What would close it: the audit chain-head lock folded into the "
        "event's insert (two of filing's round trips), and the per-check cost cut (see the "
        "sustained figure) so that the checks take less of the cores the web server shares."
    )


def latency(x: dict[str, Any]) -> str:
    lat, post = x.get("latency") or {}, x.get("post_response") or {}
    if not lat or not post:
        return ""
    dps = x.get("decisions_per_second") or 0
    per_visit = f" (drained in batches: {_n(2000 / dps, 1)} ms of a core a visit)" if dps else ""
    return (
        f"Decided p50 {_n(lat['p50_ms'])} ms after the POST, p95 {_n(lat['p95_ms'])} ms. The "
        "checks share the `compliance` queue and the two pool processes with the notices: each "
        "decision that moves a visit renders one mail per recipient (the requester and editors, "
        "and every approver when it holds the visit), reads the recipients and their roles "
        "decision by decision, and queues one `send_email` task per mail on the same queue. The "
        "visits drained and filed in the steps before this one leave such a backlog of notice and "
        "mail tasks, and the checks of this step wait behind it in the queue (decided together "
        "when it clears); a check of a batch of one or two visits also costs far more per visit "
        f"than a large batch{per_visit}. What would close it: the notices and mails on a queue of "
        "their own, served by worker processes of their own, so that a check never waits behind "
        "one; their recipients and roles read once per batch of decisions; one send task per "
        "notice batch instead of one per mail; then, for the 2x "
        f"({_n(2 * post['p95_ms'])} ms), a single-visit check of a few milliseconds: its fixed "
        "reads compiled once (see the sustained figure)."
    )


def api_reads(a: dict[str, Any]) -> str:
    reads = (a.get("load") or {}).get("reads") or {}
    if not reads:
        return ""
    return (
        f"A read's own service time is near the p50 ({_n(reads.get('p50_ms', 0))} ms); the p95 is "
        "requests waiting for one of the 8 gunicorn threads while the same two cores run the "
        "worker checking the visits the clients file (10 % of the requests) and the list's count "
        "and page, which the ORM compiles on every request. What would close it: the list's "
        "count and page statements and the detail's compiled once per process (as the token "
        "lookup, the party ids and the check inputs are), the per-check cost cut as described "
        "for the sustained figure so that filings take less of the cores from reads, and, on a "
        "machine with more cores, the worker on cores of its own (`docs/sizing.md`)."
    )


def recheck_one_rule(s: dict[str, Any], r: dict[str, Any]) -> str:
    product = s.get("product") or {}
    every = (r.get("scenarios") or {}).get("every_visit") or {}
    floor = r.get("floor_seconds")
    rechecked, rate = product.get("rechecked"), every.get("checks_per_second")
    if not floor or rechecked is None:
        return ""
    projected = ""
    if rate:
        checks = rechecked / rate
        projected = (
            f" The checks of the {_n(rechecked)} visits in reach, at the every-visit rate of "
            f"{_n(rate)} checks/s, take {_n(checks, 1)} s: with the call at one bulk UPDATE the "
            f"figure would be about {_n((floor + checks) / floor, 1)}x."
        )
    return (
        f"The `ruleset_activate` call took {_n(s['call_seconds'], 1)} s of the "
        f"{_n(s['wall_seconds'], 1)} s: it reads every open visit's activity, country, items and "
        "its tools' classifications into Python to decide which visits a changed rule can reach "
        "(`_shapes`), then builds every re-confirmation row in Python (`_insert_locked`). What "
        "would close it: the reach decided in the database, the conjuncts of the changed rules' "
        "declared scope (activity, facility country, item codes) as one WHERE clause over the "
        "visits and their tools' classifications, and the re-confirmations written by one "
        "INSERT ... SELECT, so that the call costs about one bulk UPDATE." + projected
    )


def recheck_every_visit(s: dict[str, Any], r: dict[str, Any], engine_us: float | None) -> str:
    floor, visits = r.get("floor_seconds"), r.get("visits_open")
    rate = s.get("checks_per_second")
    if not floor or not visits or not rate:
        return ""
    needed = visits / (s["target_ratio"] * floor)
    engine = (
        f"; the engine alone takes {_n(engine_us)} µs of it for a visit of 2 engineers x 2 tools"
        if engine_us
        else ""
    )
    return (
        f"{_n(rate)} checks/s on two pool processes is {_n(2000 / rate, 2)} ms of a core per "
        f"visit; within {s['target_ratio']:.0f}x the bulk UPDATE needs {_n(needed)} checks/s, "
        f"{_n(2000 / needed, 2)} ms{engine}. The profile above splits a pool process between the "
        "evaluation, recording the decisions (each document serialised once for its digest and "
        "again for its row, findings inserted row by row) and reading the inputs. What would "
        "close it: evaluate once per distinct input digest in a chunk (equal inputs give equal "
        "decisions), serialise each document once, write decisions and findings with COPY, and, "
        "since the floor is one statement on one core, more pool processes on a machine with "
        "more cores (`docs/sizing.md`)."
    )


def screening_time(p: dict[str, Any], base: dict[str, Any]) -> str:
    return (
        "These targets are absolute times, not ratios to a floor of the run: the index answered "
        f"{_n(base['median_ms'] / max(p['median_ms'], 1e-9))}x faster than the rapidfuzz full "
        f"scan measured beside it ({base['median_ms']} ms), so a machine slower than the one the "
        "targets were set on misses the milliseconds while the gap holds. Compare the CEL and "
        "full-scan floors under *Floors of this machine* with those of another run before "
        "reading this as a regression. What would close it: a machine as fast as the one the "
        "targets were set on; not fewer candidates scored per name, which would trade recall "
        "(a listed party missed) for milliseconds."
    )


def suggestions(g: dict[str, Any]) -> str:
    return (
        f"The engine is {_n(g['floor_engine_median_ms'], 1)} ms of the "
        f"{_n(g['median_ms'], 1)} ms; the rest is reading the visit and its "
        f"{g['candidates_per_visit'][0]} candidates (the check context, their documents and "
        "licences) and screening each candidate. What would close it: the licence and context "
        "reads compiled once per process, as the check inputs now are, and the candidates' "
        "documents built from one compiled read."
    )


def memory(m: dict[str, Any]) -> str:
    half = m.get("second_half_growth")
    if half is None:
        return ""
    return (
        f"The growth levels off (the second half of the run adds {half:+.1%}), which points to "
        "what a pool process builds once and keeps rather than to a leak; the likeliest source is "
        "the benchmark's two rule-set switches, each of which makes every pool process compile "
        "and keep the new rule set (up to 8 are kept, `compliance/runtime.py`). What would close "
        "it: sample the RSS around each switch to confirm, then keep fewer compiled rule sets "
        "per process (the one in force and the one it replaced, which the rule-change "
        "comparison reads)."
    )
