"""The weekly audit report as tables: one CSV per table in a zip (``render_csv_zip``).

Pure, like ``render``: the member timestamps are fixed to the week's Monday, so the bytes depend
only on the content and its metadata. Every cell goes through ``config.csv_cells``: a name or a
justification that starts like a formula reaches the spreadsheet as text.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from compliance.reports.content import NOTICE
from compliance.reports.render import OUTCOMES, ReportMeta
from config.csv_cells import SafeWriter

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
        (
            "reconfirmations.csv",
            ["basis", "trigger", "reconfirmations"],
            [
                [basis, trigger, n]
                for basis, trigger, n in _reconfirmation_rows(content["reconfirmations"])
            ]
            + [["TOTAL", "", content["reconfirmations"]["total"]]],
        ),
        (
            "reconfirmations_replay_sample.csv",
            ["reconfirmation", "decision", "visit", "at", "basis", "outcome", "rules_version"]
            + ["lists_version", "reproduced", "differences"],
            [
                [
                    x["reconfirmation"],
                    x["decision"],
                    x["visit"],
                    x["at"],
                    x["basis"],
                    x["outcome"],
                    x["rules_version"],
                    x["lists_version"],
                    "yes" if x["reproduced"] else "NO",
                    " | ".join(x["differences"]),
                ]
                for x in content["reconfirmations"]["replay"]["items"]
            ],
        ),
    ]
    return tables


def _reconfirmation_rows(section: dict[str, Any]) -> list[tuple[str, str, int]]:
    """By basis, then by trigger (two blocks of one table: the totals of each add up)."""
    rows = [(basis, "", n) for basis, n in section["by_basis"].items()]
    rows += [("", trigger, n) for trigger, n in section["by_trigger"].items() if n]
    return rows


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
            writer = SafeWriter(text)
            writer.writerow(header)
            writer.writerows(rows)
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, ("\ufeff" + text.getvalue()).encode())
    return buf.getvalue()
