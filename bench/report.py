"""Regenerate docs/benchmarks.md from bench/results/*.json: ``python bench/report.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import closing
import report_profiles

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


class Row(NamedTuple):
    """One line of the table; ``profiles`` name the profiles that explain a missed target, and
    ``closing`` says what would close it (``closing.py``)."""

    figure: str
    value: str
    floor: str
    ratio: str
    target: str
    met: str
    profiles: tuple[str, ...] = ()
    closing: str = ""


def _x(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}x"


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _e2e_rows(x: dict[str, Any], *, label: str, tag: str) -> list[Row]:
    """The ratio targets of one end-to-end run (direct, or through PgBouncer)."""
    out: list[Row] = []
    met = x.get("met", {})
    noop = x.get("noop_per_second")
    sustained = x.get("sustained_per_second")
    share = _div(sustained, noop)
    out.append(
        Row(
            f"{label}sustained filing and deciding at once ({x['sustained_visits']:,} visits, "
            "8 API clients)",
            _f(sustained, "/s", 0),
            f"no-op tasks {_f(noop, '/s', 0)}",
            f"{share:.0%} of floor" if share is not None else "—",
            f">= {x['target_sustained_floor_share']:.0%} of the no-op floor",
            _met(met.get("sustained_floor_share")),
            (f"{tag}:filing_web", f"{tag}:filing_pool"),
            closing.sustained(x),
        )
    )
    post = x.get("post_response", {})
    unauth = x.get("unauthenticated", {})
    rate = x["latency_rate_per_second"]
    out.append(
        Row(
            f"{label}POST /api/v1/visits/ at {rate:.0f} submissions/s, p50 / p95 "
            f"({post.get('count', 0):,} visits)",
            f"{_f(post.get('p50_ms'), '', 0)} / {_f(post.get('p95_ms'), ' ms', 0)}",
            f"401 path at {rate:.0f}/s, p95 {_f(unauth.get('p95_ms'), ' ms', 1)}",
            _x(x.get("post_ratio")),
            f"<= {x['target_post_ratio']:.0f}x the 401 path",
            _met(met.get("post_ratio")),
            (f"{tag}:filing_web",),
            closing.post(x),
        )
    )
    lat = x.get("latency", {})
    undecided = x.get("latency_undecided")
    out.append(
        Row(
            f"{label}submit-to-decision latency at {rate:.0f} submissions/s, p50 / p95 / p99 "
            f"({x['latency_visits']:,} visits"
            + (f", {undecided} undecided after 120 s" if undecided else "")
            + ")",
            f"{_f(lat.get('p50_ms'), '', 0)} / {_f(lat.get('p95_ms'), '', 0)} / "
            f"{_f(lat.get('p99_ms'), ' ms', 0)}",
            f"POST p95 {_f(post.get('p95_ms'), ' ms', 0)}",
            _x(x.get("latency_ratio")),
            f"<= {x['target_latency_ratio']:.0f}x the POST p95, none undecided",
            _met(met.get("latency_ratio")),
            (f"{tag}:filing_pool", f"{tag}:filing_web"),
            closing.latency(x),
        )
    )
    out.append(
        Row(
            f"{label}drain: decisions/s ({x['visits']:,} visits filed through the API, then "
            "checked by 2 pool processes)",
            _f(x.get("decisions_per_second"), "/s", 0),
            f"no-op tasks {_f(noop, '/s', 0)}",
            f"{x.get('floor_share', 0):.0%} of floor",
            "(information)",
            "n/a",
        )
    )
    return out


def _recheck_rows(r: dict[str, Any], engine_us: float | None) -> list[Row]:
    out: list[Row] = []
    floor = r.get("floor_seconds")
    titles = {
        "one_rule": "Re-check after a one-rule change (`ruleset_activate`",
        "every_visit": "Re-check after a change that touches every visit (",
    }
    for name, s in r.get("scenarios", {}).items():
        what = f"{r['visits_open']:,} open visits"
        if name == "one_rule":
            product = s.get("product") or {}
            done = (
                f"{product['rechecked']:,} checked, {product['reconfirmed']:,} re-confirmed"
                if "rechecked" in product and "reconfirmed" in product
                else f"{s['requested']:,} checked"
            )
            detail = f"{titles[name]}; {what}: {done}; call {s['call_seconds']:.1f} s)"
        else:
            detail = f"{titles[name]}{what}, {s['checks_per_second']:,.0f} checks/s)"
        wall = (
            f"{_f(s['wall_seconds'], ' s')} (stopped at {s['checked']:,}; projected "
            f"{_f(s['projected_wall_seconds'], ' s')})"
            if s["timed_out"]
            else _f(s["wall_seconds"], " s")
        )
        out.append(
            Row(
                detail,
                wall,
                f"one bulk UPDATE {_f(floor, ' s', 2)}",
                _x(s.get("ratio")),
                f"<= {s['target_ratio']:.0f}x the bulk UPDATE",
                _met(s.get("meets_target")),
                (f"recheck:{name}:call", f"recheck:{name}:pool"),
                closing.recheck_one_rule(s, r)
                if name == "one_rule"
                else closing.recheck_every_visit(s, r, engine_us),
            )
        )
    q = r.get("queries_per_chunk")
    if q:
        out.append(
            Row(
                "Re-check: queries per chunk (chunk size: queries)",
                ", ".join(f"{k}: {v}" for k, v in q.items()),
                "—",
                "—",
                "constant in the chunk size",
                _met(r.get("queries_constant")),
            )
        )
    return out


def rows() -> list[Row]:
    """Every result present, as table rows."""
    out: list[Row] = []
    e = load("engine")
    if e:
        out.append(
            Row(
                "Engine: `evaluate()` per visit (2 engineers x 2 tools)",
                _f(e["evaluate_us"], " µs"),
                f"{_f(e['floor_us'], ' µs')} (CEL exec x rules in force x pairs)",
                f"{e['ratio']:.2f}x",
                f"<= {e['target_ratio']:.0f}x the floor",
                _met(e["ratio"] <= e["target_ratio"]),
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
            Row(
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
            Row(
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
            Row(
                f"Screening yardstick: time a name, median / p95 (index built in {p['build_s']} s)",
                f"{p['median_ms']} / {p['p95_ms']} ms",
                f"rapidfuzz full scan {base['median_ms']} / {base['p95_ms']} ms",
                f"{base['median_ms'] / max(p['median_ms'], 1e-9):,.0f}x faster",
                f"<= {t['median_ms']} / <= {t['p95_ms']} ms, build <= {t['build_s']:.0f} s",
                _met(y["met"]["median_ms"] and y["met"]["p95_ms"] and y["met"]["build_s"]),
                (),
                closing.screening_time(p, base),
            )
        )
    g = load("suggestions")
    if g:
        out.append(
            Row(
                f"Suggestions: vendor with {g['candidates_per_visit'][0]} candidate engineers "
                f"(median; p95 {g['p95_ms']} ms)",
                _f(g["median_ms"], " ms", 1),
                f"engine alone {_f(g['floor_engine_median_ms'], ' ms')}",
                f"{g['ratio']:.1f}x",
                f"<= {g['target_ms']:.0f} ms",
                _met(g["meets_target"]),
                (),
                closing.suggestions(g),
            )
        )
    d = load("board")
    if d:
        out.append(
            Row(
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
        out += _e2e_rows(x, label="End to end: ", tag="e2e")
    a = load("api_load")
    if a:
        reads = a["load"].get("reads", {})
        ratio = a.get("read_ratio", _div(reads.get("p95_ms"), a.get("floor_p95_ms")))
        out.append(
            Row(
                f"API under load: reads (list + detail) at {a['clients']} concurrent clients, "
                f"p50 / p95 ({a['requests']:,} requests, {a['requests_per_second']:.0f}/s)",
                f"{_f(reads.get('p50_ms'), '', 0)} / {_f(reads.get('p95_ms'), ' ms', 0)}",
                f"401 path at {a['clients']} clients, p95 {_f(a['floor_p95_ms'], ' ms', 1)}",
                _x(ratio),
                f"<= {a['target_read_ratio']:.0f}x the 401 path",
                _met(ratio is not None and ratio <= a["target_read_ratio"]),
                ("api_load:web",),
                closing.api_reads(a),
            )
        )
        for kind in ("list", "detail", "create"):
            k = a["load"].get(kind)
            if k:
                out.append(
                    Row(
                        f"API under load: {kind} p50 / p95 ({k['count']:,} requests)",
                        f"{_f(k.get('p50_ms'), '', 0)} / {_f(k.get('p95_ms'), ' ms', 0)}",
                        "—",
                        _x(_div(k.get("p95_ms"), a.get("floor_p95_ms"))),
                        "(information)",
                        "n/a",
                    )
                )
        out.append(
            Row("API under load: errors", str(a["errors"]), "—", "—", "0", _met(a["errors"] == 0))
        )
    pg = load("e2e_pgbouncer")
    if pg and pg.get("skipped"):
        out.append(Row("Through PgBouncer", "skipped", "—", "—", pg["skipped"], "n/a"))
    elif pg and "noop_per_second" in pg:
        b = pg.get("pgbouncer", {})
        label = f"Through PgBouncer (transaction pooling, {b.get('pool_size', '?')} server connections): "
        out += _e2e_rows(pg, label=label, tag="e2e_pgbouncer")
        if b.get("samples"):
            out.append(
                Row(
                    "Through PgBouncer: peak client connections / server connections in use "
                    f"(clients kept waiting at most {b['max_wait_ms']} ms)",
                    f"{b['max_client_connections']} / {b['max_server_active']}",
                    f"pool of {b['pool_size']}",
                    "—",
                    "(information)",
                    "n/a",
                )
            )
    r = load("recheck")
    if r:
        out += _recheck_rows(r, e["evaluate_us"] if e else None)
    m = load("memory")
    if m:
        out.append(
            Row(
                f"Worker memory: RSS growth across {m['checks_after_warmup']:,} checks after "
                f"warm-up (worst pool process {m['worst_pool_process_growth']:+.1%}; second half "
                f"of the run {m.get('second_half_growth', float('nan')):+.1%})",
                f"{m['final_total_mib']:.0f} MiB ({m['growth']:+.1%})",
                f"{m['baseline_total_mib']:.0f} MiB after warm-up",
                f"{m['final_total_mib'] / m['baseline_total_mib']:.2f}x",
                f"growth <= {m['target_growth']:.0%}",
                _met(m["meets_target"]),
                (),
                closing.memory(m),
            )
        )
    return out


def floors() -> list[str]:
    """The floors of this machine, measured in the run: what to compare machines by."""
    lines = []
    e = load("engine")
    if e:
        lines.append(
            f"- CEL: one compiled condition {_f(e['exec_us'], ' µs', 3)}; the engine's floor "
            f"{_f(e['floor_us'], ' µs')} ({e['rules_in_force']} rules x {e['pairs']} pairs)"
        )
    for name, what in (("e2e", ""), ("e2e_pgbouncer", " (through PgBouncer)")):
        x = load(name)
        if x and "noop_per_second" in x:
            unauth = x.get("unauthenticated", {})
            lines.append(
                f"- no-op Celery tasks{what}: {_f(x['noop_per_second'], '/s', 0)} (2 pool "
                f"processes, Redis); the 401 path at {x['latency_rate_per_second']:.0f}/s: p50 "
                f"{_f(unauth.get('p50_ms'), ' ms', 1)}, p95 {_f(unauth.get('p95_ms'), ' ms', 1)}"
            )
    a = load("api_load")
    if a:
        fl = a.get("floor", {}).get("floor", {})
        lines.append(
            f"- the 401 path at {a['clients']} clients: p50 {_f(fl.get('p50_ms'), ' ms', 1)}, "
            f"p95 {_f(fl.get('p95_ms'), ' ms', 1)}"
        )
    r = load("recheck")
    if r and r.get("floor_seconds"):
        per_row = r["floor_seconds"] / max(r["visits_open"], 1) * 1e6
        lines.append(
            f"- one bulk UPDATE of {r['visits_open']:,} visits: {_f(r['floor_seconds'], ' s', 2)} "
            f"({per_row:.0f} µs a row)"
        )
    s = load("screening")
    if s:
        lines.append(
            f"- screening full scan of one name: {_f(s['full_scan_median_us'] / 1000, ' ms')}"
        )
    return lines


def render() -> str:
    machine = load("machine") or {}
    run = load("run") or {}
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run_all.py`, then `bench/report.py`) from "
        "`bench/results/*.json`. Every figure is measured with its floor in the same run, and "
        "the targets are ratios to those floors, so that they hold on any machine of this kind "
        "(2 cores); the absolute figures are alongside, and the floors of the machine are listed "
        "below the table so that machines can be compared. How each figure and floor is "
        "measured is written at the top of its script under `bench/`; the README's "
        "*Benchmarks* section explains the settings, `docs/sizing.md` turns the figures into "
        "processes and connections.",
        "",
        "| figure | value | floor | ratio | target | met? |",
        "|---|---:|---|---:|---|---|",
    ]
    for row in rows():
        lines.append("| " + " | ".join(row[:6]) + " |")
    fl = floors()
    if fl:
        lines += ["", "## Floors of this machine", "", *fl]
    miss = report_profiles.missed(rows(), load)
    if miss:
        lines += [
            "",
            "## Missed targets",
            "",
            "Each missed target with the top entries of the profiles its benchmark sampled under "
            "the same load (*own time*: the frame itself was running; *total time*: the frame "
            "was on the stack, project frames only; idle frames included, so that waits on "
            "PostgreSQL show).",
            "",
            *miss,
        ]
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
    prof = report_profiles.profiles(load)
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
