"""Renderers of the weekly audit report. Pure: they take the content dict (``content.py``) and the
report's metadata, and return text or bytes; none reads the database or the clock.

- HTML: ``templates/reports/weekly.html`` (the same page is the PDF's source);
- PDF: WeasyPrint from that HTML, with a cover, running footer and page numbers;
- CSV: ``tables.py``;
- JSON: ``{"week", "content_hash", "generated_at", "generation", "content"}``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from compliance import engine
from compliance.reports import charts
from compliance.reports.content import NOTICE

OUTCOMES = engine.EFFECTS
OUTCOME_LABELS = charts.OUTCOME_LABELS
TRIGGER_LABELS = {
    "submission": "Submission",
    "edit": "Edit of the visit or what it references",
    "rule_change": "Rule set change",
    "list_import": "Screening list import",
    "licence_change": "Licence change",
    "false_positive": "False-positive mark",
    "pre_travel": "Pre-travel re-check",
    "manual": "Re-check requested",
    "sweep": "Re-enqueued by the sweeper",
}

RECONFIRMATION_BASES = [
    ("evaluated", "Evaluated: the same outcome and findings"),
    ("out_of_reach", "Not evaluated: no changed rule can reach the visit"),
]


SECTIONS = [
    ("visits", "Visits filed"),
    ("decisions", "Decisions"),
    ("holds", "Holds"),
    ("approvals", "Approvals and rejections"),
    ("false-positives", "Screening hits marked false positive"),
    ("licences", "Licences used"),
    ("changes", "Re-checks that changed an outcome"),
    ("versions", "Rule set and list versions"),
    ("chain", "Audit chain"),
    ("replay", "Replay sample"),
]


@dataclass(frozen=True)
class ReportMeta:
    """What a rendering adds to the content: its hash and when it was generated."""

    content_hash: str
    generated_at: dt.datetime
    generation: dict[str, Any] = field(default_factory=dict)


# --- Formatting helpers ----------------------------------------------------------------------
def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _local(moment: dt.datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _short_time(iso: str | None) -> str:
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).strftime("%a %d %b %H:%M")


def _bounds_text(content: dict[str, Any]) -> str:
    zone = ZoneInfo(content["period"]["time_zone"])
    start = dt.datetime.fromisoformat(content["period"]["from"]).astimezone(zone)
    end = dt.datetime.fromisoformat(content["period"]["to"]).astimezone(zone)
    return f"{start:%a %d %b %Y %H:%M %Z} to {end:%a %d %b %Y %H:%M %Z} (end exclusive)"


def period_text(content: dict[str, Any]) -> str:
    first = dt.date.fromisoformat(content["period"]["first_day"])
    last = dt.date.fromisoformat(content["period"]["last_day"])
    return f"Monday {first:%d %B %Y} – Sunday {last:%d %B %Y}"


def _with_times(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{**r, **{f"{k}_text": _short_time(r.get(k)) for k in keys}} for r in rows]


def template_context(
    content: dict[str, Any], meta: ReportMeta, *, top_rules: int = 10
) -> dict[str, Any]:
    """Everything the template shows, pre-formatted (the template does no arithmetic)."""
    decisions = content["decisions"]
    holds = content["holds"]
    replay = content["replay"]
    chain = content["audit_chain"]
    tz = content["period"]["time_zone"]
    kpis = [
        ("Visits filed", content["visits_filed"]["total"], ""),
        ("Decisions", decisions["total"], ""),
        ("Re-confirmations", content["reconfirmations"]["total"], ""),
        ("Holds opened", holds["opened"], ""),
        ("Approved", holds["approved"], ""),
        ("Rejected", holds["rejected"], ""),
        ("Open at week end", holds["open_at_end"], "warn" if holds["open_at_end"] else ""),
        (
            "Replay reproduced",
            f"{replay['reproduced']} / {replay['sampled']}",
            "bad" if replay["not_reproduced"] else "ok",
        ),
        (
            "Audit chain",
            "intact" if chain["verified"] else "BROKEN",
            "ok" if chain["verified"] else "bad",
        ),
    ]
    hold_stats = [
        ("Filing to first decision", holds["filing_to_decision"]),
        ("Hold to approval", holds["hold_to_approval"]),
        ("Hold to rejection", holds["hold_to_rejection"]),
        ("Age of holds open at week end", holds["open_at_end_age"]),
    ]
    return {
        "c": content,
        "meta": meta,
        "notice": NOTICE,
        "period_text": period_text(content),
        "bounds_text": _bounds_text(content),
        "rules_versions_used": sorted(
            {
                v["rules_version"]
                for v in content["versions"]["used_by_decisions"]
                if v["rules_version"]
            }
        ),
        "lists_versions_used": sorted(
            {
                v["lists_version"]
                for v in content["versions"]["used_by_decisions"]
                if v["lists_version"]
            }
        ),
        "sections": SECTIONS,
        "generated_text": _local(meta.generated_at, tz),
        "kpis": kpis,
        "outcomes": [(o, OUTCOME_LABELS[o], decisions["by_outcome"].get(o, 0)) for o in OUTCOMES],
        "triggers": [
            (t, TRIGGER_LABELS.get(t, t), n) for t, n in decisions["by_trigger"].items() if n
        ],
        "top_rules": decisions["by_rule"][:top_rules],
        "more_rules": max(len(decisions["by_rule"]) - top_rules, 0),
        "hold_stats": [
            (label, s["count"], duration(s["median_seconds"]), duration(s["max_seconds"]))
            for label, s in hold_stats
        ],
        "open_holds": [
            {**h, "age_text": duration(h["age_seconds"]), "since_text": _short_time(h["since"])}
            for h in holds["open"]
        ],
        "approvals": [
            {
                **a,
                "hold_text": duration(a["hold_seconds"]),
                "at_text": _short_time(a["at"]),
                "outcome_text": OUTCOME_LABELS.get(a["outcome"], a["outcome"]),
            }
            for a in content["approvals"]
        ],
        "false_positives": _with_times(content["false_positives"], "at"),
        "changes": [
            {
                **ch,
                "at_text": _short_time(ch["at"]),
                "trigger_text": TRIGGER_LABELS.get(ch["trigger"], ch["trigger"]),
                "from_text": OUTCOME_LABELS.get(ch["from"] or "", ch["from"] or "—"),
                "to_text": OUTCOME_LABELS.get(ch["to"], ch["to"]),
            }
            for ch in content["outcome_changes"]["items"]
        ],
        "change_triggers": [
            (TRIGGER_LABELS.get(t, t), n)
            for t, n in content["outcome_changes"]["by_trigger"].items()
            if n
        ],
        "rule_sets_activated": _with_times(content["versions"]["rule_sets_activated"], "at"),
        "lists_imported": _with_times(content["versions"]["lists_imported"], "at"),
        "reconfirmation_bases": [
            (label, content["reconfirmations"]["by_basis"].get(key, 0))
            for key, label in RECONFIRMATION_BASES
        ],
        "reconfirmation_triggers": [
            (TRIGGER_LABELS.get(t, t), n)
            for t, n in content["reconfirmations"]["by_trigger"].items()
            if n
        ],
        "reconfirmation_replay_items": [
            {**r, "outcome_text": OUTCOME_LABELS.get(r["outcome"], r["outcome"])}
            for r in _with_times(content["reconfirmations"]["replay"]["items"], "at")
        ],
        "replay_items": [
            {**r, "outcome_text": OUTCOME_LABELS.get(r["outcome"], r["outcome"])}
            for r in _with_times(replay["items"], "at")
        ],
        "chart_per_day": charts.data_uri(charts.decisions_per_day_svg(content)),
        "chart_approval": charts.data_uri(charts.time_to_approval_svg(content)),
    }


# --- HTML / PDF ------------------------------------------------------------------------------
def render_html(content: dict[str, Any], meta: ReportMeta, *, top_rules: int = 10) -> str:
    return render_to_string(
        "reports/weekly.html", template_context(content, meta, top_rules=top_rules)
    )


def render_pdf(html: str) -> bytes:
    """The HTML as an A4 PDF (WeasyPrint): cover page, running footer, page numbers."""
    # WeasyPrint takes about half a second to import; only PDF rendering needs it.
    from weasyprint import HTML

    return HTML(string=html, base_url=".").write_pdf()


# --- JSON ------------------------------------------------------------------------------------
def report_document(content: dict[str, Any], meta: ReportMeta) -> dict[str, Any]:
    return {
        "week": content["week"],
        "content_hash": meta.content_hash,
        "generated_at": meta.generated_at.isoformat(),
        "generation": meta.generation,
        "notice": NOTICE,
        "content": content,
    }


def render_json(content: dict[str, Any], meta: ReportMeta) -> bytes:
    return (
        json.dumps(report_document(content, meta), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    ).encode()
