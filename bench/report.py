"""Regenerate docs/benchmarks.md from bench/results/*.json: ``python bench/report.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

DOC = c.ROOT / "docs" / "benchmarks.md"


def load(name: str) -> dict[str, Any] | None:
    path = c.RESULTS / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _met(ok: bool | None) -> str:
    if ok is None:
        return "n/a"
    return "yes" if ok else "**no**"


def _f(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value:,}{unit}"


def rows() -> list[tuple[str, str, str, str, str, str]]:
    """(figure, value, floor, ratio, target, met?) for every result present."""
    out = []
    e = load("engine")
    if e:
        out.append(
            (
                "Engine: `evaluate()` per visit (2 engineers x 2 tools)",
                _f(e["evaluate_us"], " µs"),
                f"{_f(e['floor_us'], ' µs')} (CEL exec x rules in force x pairs)",
                f"{e['ratio']:.2f}x",
                f"<= {e['target_us']:.0f} µs and <= {e['target_ratio']:.0f}x floor",
                _met(e["meets_targets"]),
            )
        )
    s = load("screening")
    if s:
        sources = s.get("entries_per_source") or {}
        every = len(sources) > 1
        limit = 200 if every else 1000
        ok = s["median_us"] <= limit and s["ratio"] >= 10 and s["same_hits"]
        what = (
            f"every source in force ({', '.join(f'{k} {v:,}' for k, v in sources.items())})"
            if every
            else f"the list ({s['entries']:,} entries)"
        )
        out.append(
            (
                f"Screening: one name vs {what}, median",
                _f(s["median_us"], " µs"),
                f"full scan {_f(s['full_scan_median_us'] / 1000, ' ms')}",
                f"{s['ratio']:,.0f}x faster",
                f"<= {limit / 1000:g} ms, >= 10x faster than the scan, same hits",
                _met(ok),
            )
        )
    y = load("screening_eval")
    if y:
        p, base, t = y["product"], y["rapidfuzz_full_scan"], y["targets"]
        out.append(
            (
                f"Screening yardstick: recall / precision ({p['positives']} listed-party "
                f"variants, {p['negatives']} hard negatives; {p['negatives_hit']} negatives hit)",
                f"{p['recall']:.3f} / {p['precision']:.3f}",
                f"rapidfuzz full scan {base['recall']:.3f} / {base['precision']:.3f}",
                f"{p['recall'] / max(base['recall'], 1e-9):.2f}x recall",
                f">= {t['recall']} / >= {t['precision']}, <= {t['negatives_hit_share']:.0%} "
                "negatives hit",
                _met(
                    y["met"]["recall"] and y["met"]["precision"] and y["met"]["negatives_hit_share"]
                ),
            )
        )
        out.append(
            (
                f"Screening yardstick: time a name, median / p95 (index built in {p['build_s']} s)",
                f"{p['median_ms']} / {p['p95_ms']} ms",
                f"rapidfuzz full scan {base['median_ms']} / {base['p95_ms']} ms",
                f"{base['median_ms'] / max(p['median_ms'], 1e-9):,.0f}x faster",
                f"<= {t['median_ms']} / <= {t['p95_ms']} ms, build <= {t['build_s']:.0f} s",
                _met(y["met"]["median_ms"] and y["met"]["p95_ms"] and y["met"]["build_s"]),
            )
        )
    g = load("suggestions")
    if g:
        out.append(
            (
                f"Suggestions: vendor with {g['candidates_per_visit'][0]} candidate engineers "
                f"(median; p95 {g['p95_ms']} ms)",
                _f(g["median_ms"], " ms", 1),
                f"engine alone {_f(g['floor_engine_median_ms'], ' ms')}",
                f"{g['ratio']:.1f}x",
                f"<= {g['target_ms']:.0f} ms",
                _met(g["meets_target"]),
            )
        )
    d = load("board")
    if d:
        out.append(
            (
                f"Dispatch board: {d['engineers']} engineers x {d['days']} days "
                f"({d['cells']:,} cells; median of {d['repeat']}, max {d['max_ms']} ms)",
                _f(d["median_ms"], " ms", 0),
                f"engine.evaluate cell by cell {_f(d['floor_engine_per_cell_ms'], ' ms', 0)}",
                f"{d['ratio']:.2f}x",
                f"<= {d['target_ms']:.0f} ms, no cell unavailable",
                _met(d["meets_target"]),
            )
        )
    x = load("e2e")
    if x:
        out.append(
            (
                f"End to end: decisions/s ({x['visits']:,} visits filed through the API, "
                "drained by 2 pool processes)",
                _f(x["decisions_per_second"], "/s", 0),
                f"no-op tasks {_f(x['noop_per_second'], '/s', 0)}",
                f"{x['floor_share']:.0%} of floor",
                f">= {x['target_decisions_per_second']:.0f}/s and >= "
                f"{x['target_floor_share']:.0%} of floor",
                _met(
                    x["decisions_per_second"] >= x["target_decisions_per_second"]
                    and x["floor_share"] >= x["target_floor_share"]
                ),
            )
        )
        lat = x["latency"]
        post = x["post_response"]
        out.append(
            (
                f"End to end: submit-to-decision latency at {x['latency_rate_per_second']:.0f} "
                f"submissions/s (p50 / p95 / p99; {x['latency_visits']:,} visits"
                + (
                    f", {x['latency_undecided']} undecided after 120 s"
                    if x.get("latency_undecided")
                    else ""
                )
                + ")",
                f"{_f(lat.get('p50_ms'), '', 0)} / {_f(lat.get('p95_ms'), '', 0)} / "
                f"{_f(lat.get('p99_ms'), ' ms', 0)}",
                f"POST alone p95 {_f(post.get('p95_ms'), ' ms', 0)}",
                f"{lat.get('p95_ms', 0) / max(post.get('p95_ms') or 1, 1e-9):.1f}x",
                f"p95 <= {x['target_p95_ms']:.0f} ms",
                _met(
                    lat.get("p95_ms", 1e9) <= x["target_p95_ms"] and not x.get("latency_undecided")
                ),
            )
        )
        out.append(
            (
                f"End to end, sustained: filing and deciding at once ({x['sustained_visits']:,} "
                "visits, 8 API clients)",
                _f(x["sustained_per_second"], "/s", 0),
                f"no-op tasks {_f(x['noop_per_second'], '/s', 0)}",
                f"{x['sustained_per_second'] / x['noop_per_second']:.0%} of floor",
                "(information)",
                "n/a",
            )
        )
    r = load("recheck")
    if r:
        wall = (
            f"{_f(r['wall_seconds'], ' s')} (stopped at {r['checked']:,}; projected "
            f"{_f(r['projected_wall_seconds'], ' s')})"
            if r["timed_out"]
            else _f(r["wall_seconds"], " s")
        )
        out.append(
            (
                f"Re-check after a rule change: {r['requested']:,} open visits "
                f"({r['checks_per_second']:,.0f} checks/s, chunks of {r['chunk_size']})",
                wall,
                f"one bulk UPDATE {_f(r['floor_seconds'], ' s', 2)}",
                f"{r['ratio']:,.0f}x",
                f"<= {r['target_seconds']:.0f} s and <= {r['target_ratio']:.0f}x floor",
                _met(r["meets_targets"]),
            )
        )
        q = r["queries_per_chunk"]
        out.append(
            (
                "Re-check: queries per chunk (chunk size: queries)",
                ", ".join(f"{k}: {v}" for k, v in q.items()),
                "—",
                "—",
                "constant in the chunk size",
                _met(r["queries_constant"]),
            )
        )
    a = load("api_load")
    if a:
        reads = a["load"].get("reads", {})
        out.append(
            (
                f"API under load: reads (list + detail) at {a['clients']} concurrent clients, "
                f"p50 / p95 ({a['requests']:,} requests, {a['requests_per_second']:.0f}/s)",
                f"{_f(reads.get('p50_ms'), '', 0)} / {_f(reads.get('p95_ms'), ' ms', 0)}",
                f"401 without work p95 {_f(a['floor_p95_ms'], ' ms', 0)}",
                f"{(reads.get('p95_ms') or 0) / max(a['floor_p95_ms'] or 1, 1e-9):.1f}x",
                f"p95 <= {a['target_read_p95_ms']:.0f} ms",
                _met((reads.get("p95_ms") or 1e9) <= a["target_read_p95_ms"]),
            )
        )
        for kind in ("list", "detail", "create"):
            k = a["load"].get(kind)
            if k:
                out.append(
                    (
                        f"API under load: {kind} p50 / p95 ({k['count']:,} requests)",
                        f"{_f(k.get('p50_ms'), '', 0)} / {_f(k.get('p95_ms'), ' ms', 0)}",
                        "—",
                        "—",
                        "(information)",
                        "n/a",
                    )
                )
        out.append(
            (
                "API under load: errors",
                str(a["errors"]),
                "—",
                "—",
                "0",
                _met(a["errors"] == 0),
            )
        )
    m = load("memory")
    if m:
        out.append(
            (
                f"Worker memory: RSS growth across {m['checks_after_warmup']:,} checks after "
                f"warm-up (worst pool process {m['worst_pool_process_growth']:+.1%}; second half "
                f"of the run {m.get('second_half_growth', float('nan')):+.1%})",
                f"{m['final_total_mib']:.0f} MiB ({m['growth']:+.1%})",
                f"{m['baseline_total_mib']:.0f} MiB after warm-up",
                f"{m['final_total_mib'] / m['baseline_total_mib']:.2f}x",
                f"growth <= {m['target_growth']:.0%}",
                _met(m["meets_target"]),
            )
        )
    return out


def profiles() -> list[str]:
    lines = []
    for name, title in (
        ("e2e", "End to end: a pool process while draining the visits"),
        ("recheck", "Re-check: a pool process during the re-check"),
        ("api_load", "API under load: a gunicorn worker"),
    ):
        data = load(name)
        p = data.get("profile") if data else None
        if not p or not p.get("samples"):
            continue
        lines.append(f"**{title}** (py-spy, {p['samples']:,} samples, `{p['file']}`)")
        lines.append("")
        lines.append("| own time | frame | | total time | project frame |")
        lines.append("|---:|---|---|---:|---|")
        own, tot = p["top_own"][:10], p["top_total_project"][:10]
        for i in range(max(len(own), len(tot))):
            a = own[i] if i < len(own) else None
            b = tot[i] if i < len(tot) else None
            a_share = f"{a['share']:.1%}" if a else ""
            a_frame = f"`{a['frame']}`" if a else ""
            b_share = f"{b['share']:.1%}" if b else ""
            b_frame = f"`{b['frame']}`" if b else ""
            lines.append(f"| {a_share} | {a_frame} | | {b_share} | {b_frame} |")
        lines.append("")
    return lines


def render() -> str:
    machine = load("machine") or {}
    run = load("run") or {}
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run_all.py`, then `bench/report.py`) from "
        "`bench/results/*.json`. Every figure is measured with its floor in the same run, so "
        "that the ratio holds on a noisy machine. How each figure and floor is measured is "
        "written at the top of its script under `bench/`; the README's *Benchmarks* section "
        "explains the settings.",
        "",
        "| figure | value | floor | ratio | target | met? |",
        "|---|---:|---|---:|---|---|",
    ]
    for row in rows():
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Machine", ""]
    for key, label in (
        ("date", "date"),
        ("cpu", "CPU"),
        ("cores", "cores"),
        ("ram_gib", "RAM (GiB)"),
        ("os", "OS"),
        ("python", "Python"),
        ("postgresql", "PostgreSQL"),
        ("redis", "Redis"),
        ("load_before", "load average before the run (1, 5, 15 min)"),
    ):
        if key in machine:
            lines.append(f"- {label}: {machine[key]}")
    if run:
        lines += ["", "## Run", ""]
        lines.append(f"- total wall time: {run.get('total_seconds', 0):.0f} s")
        for step in run.get("steps", []):
            status = "ok" if step["ok"] else f"**failed** ({step.get('error', '')})"
            lines.append(
                f"- {step['name']}: {step['seconds']:.0f} s, {status}; load average "
                f"{step.get('load_before', '')} before, {step.get('load_after', '')} after"
            )
        if run.get("settings"):
            lines.append(
                "- settings: " + ", ".join(f"`{k}={v}`" for k, v in run["settings"].items())
            )
    prof = profiles()
    if prof:
        lines += [
            "",
            "## Profiles",
            "",
            "Sampled during the run (non-blocking, idle frames included so that waits on "
            "PostgreSQL show). *Own time*: the frame itself was running; *total time*: the "
            "frame was on the stack.",
            "",
            *prof,
        ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    c.log(f"wrote {DOC.relative_to(c.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
