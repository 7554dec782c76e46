"""Renderers of the weekly audit report. Pure: they take the content dict (``content.py``) and the
report's metadata, and return text or bytes; none reads the database or the clock.

- HTML: ``templates/reports/weekly.html`` (the same page is the PDF's source);
- PDF: WeasyPrint from that HTML, with a cover, running footer and page numbers;
- CSV: one file per table in a zip, with fixed member timestamps so the bytes depend only on the
  content and its metadata;
- JSON: ``{"week", "content_hash", "generated_at", "generation", "content"}``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

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
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _short_time(iso: str | None) -> str:
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).strftime("%a %d %b %H:%M")


def _bounds_text(content: dict[str, Any]) -> str:
    from zoneinfo import ZoneInfo

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


# --- CSV -------------------------------------------------------------------------------------
Table = tuple[str, list[str], list[list[Any]]]


def csv_tables(content: dict[str, Any], meta: ReportMeta) -> list[Table]:
    """Every table of the report as (file name, header, rows), in report order."""
    d = content["decisions"]
    h = content["holds"]
    v = content["versions"]
    chain = content["audit_chain"]
    r = content["replay"]
    tables: list[Table] = [
        (
            "report.csv",
            ["key", "value"],
            [
                ["week", content["week"]],
                ["period_from", content["period"]["from"]],
                ["period_to_exclusive", content["period"]["to"]],
                ["time_zone", content["period"]["time_zone"]],
                ["content_hash", meta.content_hash],
                ["generated_at", meta.generated_at.isoformat()],
                ["notice", NOTICE],
            ],
        ),
        (
            "visits_filed_by_vendor.csv",
            ["vendor", "visits"],
            [[row["vendor"], row["visits"]] for row in content["visits_filed"]["by_vendor"]]
            + [["TOTAL", content["visits_filed"]["total"]]],
        ),
        (
            "decisions_by_outcome.csv",
            ["outcome", "decisions"],
            [[o, d["by_outcome"].get(o, 0)] for o in OUTCOMES]
            + [["TOTAL", d["total"]], ["system_errors", d["system_errors"]]],
        ),
        (
            "decisions_by_day.csv",
            ["date", *OUTCOMES, "total"],
            [
                [day["date"], *(day.get(o, 0) for o in OUTCOMES), day["total"]]
                for day in d["by_day"]
            ],
        ),
        (
            "decisions_by_trigger.csv",
            ["trigger", "decisions"],
            [[t, n] for t, n in d["by_trigger"].items()],
        ),
        (
            "decisions_by_jurisdiction.csv",
            ["jurisdiction", "decisions", "findings", "covered_by_licence"],
            [
                [j["jurisdiction"], j["decisions"], j["findings"], j["covered_by_licence"]]
                for j in d["by_jurisdiction"]
            ],
        ),
        (
            "rules_fired.csv",
            ["rule", "jurisdiction", "citation", "findings", "decisions", "covered_by_licence"],
            [
                [
                    x["rule"],
                    x["jurisdiction"],
                    x["citation"],
                    x["findings"],
                    x["decisions"],
                    x["covered_by_licence"],
                ]
                for x in d["by_rule"]
            ],
        ),
        (
            "holds.csv",
            ["measure", "count", "median_seconds", "max_seconds"],
            [
                ["opened", h["opened"], "", ""],
                ["approved", h["approved"], "", ""],
                ["rejected", h["rejected"], "", ""],
                ["open_at_end", h["open_at_end"], "", ""],
            ]
            + [
                [name, h[name]["count"], h[name]["median_seconds"], h[name]["max_seconds"]]
                for name in (
                    "filing_to_decision",
                    "hold_to_approval",
                    "hold_to_rejection",
                    "open_at_end_age",
                )
            ],
        ),
        (
            "open_holds_at_end.csv",
            ["visit", "vendor", "facility", "status", "since", "age_seconds"],
            [
                [x["visit"], x["vendor"], x["facility"], x["status"], x["since"], x["age_seconds"]]
                for x in h["open"]
            ],
        ),
        (
            "approvals.csv",
            [
                "id",
                "at",
                "action",
                "visit",
                "vendor",
                "facility",
                "decision",
                "outcome",
                "approver",
                "justification",
                "licence",
                "hold_seconds",
            ],
            [
                [
                    a["id"],
                    a["at"],
                    a["action"],
                    a["visit"],
                    a["vendor"],
                    a["facility"],
                    a["decision"],
                    a["outcome"],
                    a["approver"],
                    a["justification"],
                    a["licence"] or "",
                    a["hold_seconds"],
                ]
                for a in content["approvals"]
            ],
        ),
        (
            "false_positives.csv",
            [
                "id",
                "at",
                "party",
                "party_name",
                "list",
                "entry_id",
                "entry_name",
                "entry_hash",
                "marked_by",
                "reason",
            ],
            [
                [
                    f["id"],
                    f["at"],
                    f["party"],
                    f["party_name"],
                    f["list"],
                    f["entry_id"],
                    f["entry_name"],
                    f["entry_hash"],
                    f["marked_by"],
                    f["reason"],
                ]
                for f in content["false_positives"]
            ],
        ),
        (
            "licences_used.csv",
            [
                "licence",
                "authority",
                "kind",
                "holder",
                "valid_until",
                "covered_findings",
                "covered_decisions",
                "approvals",
            ],
            [
                [
                    x["licence"],
                    x["authority"],
                    x["kind"],
                    x["holder"],
                    x["valid_until"] or "",
                    x["covered_findings"],
                    x["covered_decisions"],
                    x["approvals"],
                ]
                for x in content["licences_used"]
            ],
        ),
        (
            "outcome_changes.csv",
            ["decision", "visit", "at", "trigger", "from", "to", "reason"],
            [
                [
                    x["decision"],
                    x["visit"],
                    x["at"],
                    x["trigger"],
                    x["from"] or "",
                    x["to"],
                    x["reason"],
                ]
                for x in content["outcome_changes"]["items"]
            ],
        ),
        (
            "versions_used_by_decisions.csv",
            ["rules_version", "lists_version", "decisions"],
            [
                [x["rules_version"], x["lists_version"], x["decisions"]]
                for x in v["used_by_decisions"]
            ],
        ),
        (
            "versions_in_force.csv",
            ["event", "at", "version", "detail"],
            [
                [
                    "rules_in_force_at_end",
                    content["period"]["to"],
                    v["rules_in_force_at_end"] or "",
                    "",
                ]
            ]
            + [
                [
                    "list_in_force_at_end",
                    content["period"]["to"],
                    v["list_in_force_at_end"] or "",
                    "",
                ]
            ]
            + [
                ["rule_set_activated", x["at"], x["version"] or "", f"{x['by']}: {x['note']}"]
                for x in v["rule_sets_activated"]
            ]
            + [
                [
                    "list_imported",
                    x["at"],
                    x["version"],
                    f"{x['source']}: {x['entries']} entries, +{x['added']} −{x['removed']} ~{x['changed']}",
                ]
                for x in v["lists_imported"]
            ],
        ),
        (
            "audit_chain.csv",
            ["key", "value"],
            [[k, "" if chain[k] is None else chain[k]] for k in sorted(chain)],
        ),
        (
            "replay_sample.csv",
            [
                "decision",
                "visit",
                "at",
                "outcome",
                "rules_version",
                "lists_version",
                "reproduced",
                "differences",
            ],
            [
                [
                    x["decision"],
                    x["visit"],
                    x["at"],
                    x["outcome"],
                    x["rules_version"],
                    x["lists_version"],
                    "yes" if x["reproduced"] else "NO",
                    " | ".join(x["differences"]),
                ]
                for x in r["items"]
            ],
        ),
    ]
    return tables


def render_csv_zip(content: dict[str, Any], meta: ReportMeta) -> bytes:
    """One CSV (UTF-8 with BOM, for spreadsheet programs) per table, in a zip whose members carry
    the week's Monday as their date."""
    first = dt.date.fromisoformat(content["period"]["first_day"])
    stamp = (first.year, first.month, first.day, 0, 0, 0)
    folder = f"audit-report-{content['week']}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, header, rows in csv_tables(content, meta):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(header)
            writer.writerows(rows)
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, ("\ufeff" + text.getvalue()).encode())
    return buf.getvalue()
