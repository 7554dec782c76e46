"""The profiles section of docs/benchmarks.md: every py-spy profile a run recorded, and each
missed target with the top entries of the profiles taken under its load (``report.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Loader = Callable[[str], "dict[str, Any] | None"]


def _profile_sources(load: Loader) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every profile recorded in the run: key -> (title, summary)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, where in (("e2e", "End to end"), ("e2e_pgbouncer", "End to end through PgBouncer")):
        x = load(name) or {}
        for key, title in (
            ("drain_pool", "a pool process while draining the visits"),
            (
                "filing_web",
                f"a gunicorn worker at {x.get('latency_rate_per_second', 0):.0f} submissions/s",
            ),
            (
                "filing_pool",
                f"a pool process at {x.get('latency_rate_per_second', 0):.0f} submissions/s",
            ),
        ):
            p = (x.get("profiles") or {}).get(key)
            if p:
                out[f"{name}:{key}"] = (f"{where}: {title}", p)
    r = load("recheck") or {}
    for name, s in r.get("scenarios", {}).items():
        what = "one-rule change" if name == "one_rule" else "change that touches every visit"
        if s.get("profile"):
            out[f"recheck:{name}:pool"] = (f"Re-check after a {what}: a pool process", s["profile"])
        if s.get("profile_call"):
            out[f"recheck:{name}:call"] = (
                f"Re-check after a {what}: the `ruleset_activate` call",
                s["profile_call"],
            )
    a = load("api_load") or {}
    if a.get("profile"):
        out["api_load:web"] = ("API under load: a gunicorn worker", a["profile"])
    return {k: v for k, v in out.items() if v[1].get("samples")}


def _profile_table(p: dict[str, Any], top: int) -> list[str]:
    lines = ["| own time | frame | | total time | project frame |", "|---:|---|---|---:|---|"]
    own, tot = p["top_own"][:top], p["top_total_project"][:top]
    for i in range(max(len(own), len(tot))):
        a = own[i] if i < len(own) else None
        b = tot[i] if i < len(tot) else None
        cells = []
        for entry in (a, b):
            cells += [f"{entry['share']:.1%}", f"`{entry['frame']}`"] if entry else ["", ""]
        lines.append(f"| {cells[0]} | {cells[1]} | | {cells[2]} | {cells[3]} |")
    return lines


def missed(rows: Sequence[Any], load: Loader) -> list[str]:
    """Each missed target with the top entries of the profiles taken while it was measured."""
    sources = _profile_sources(load)
    lines = []
    for row in rows:
        if row.met != "**no**":
            continue
        lines += [
            f"**{row.figure}**: {row.value} against {row.floor}, {row.ratio} (target {row.target}).",
            "",
        ]
        shown = [k for k in row.profiles if k in sources]
        if not shown:
            lines += ["No profile was recorded for this figure.", ""]
        for key in shown:
            title, p = sources[key]
            lines += [f"*{title}* (py-spy, {p['samples']:,} samples, `{p['file']}`):", ""]
            lines += [*_profile_table(p, 6), ""]
        if row.closing:
            lines += [f"*Where the time goes, and what would close it.* {row.closing}", ""]
    return lines


def profiles(load: Loader) -> list[str]:
    lines = []
    for title, p in _profile_sources(load).values():
        lines += [f"**{title}** (py-spy, {p['samples']:,} samples, `{p['file']}`)", ""]
        lines += [*_profile_table(p, 10), ""]
    return lines
