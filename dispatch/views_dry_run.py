"""Try a visit: a visit document checked by the engine with the rules and lists in force, nothing
stored. The editor starts from a working example dated from today, or from the document of one of
the manager's own visits (``?visit=<pk>``) to try a change to it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from compliance import engine
from compliance.checks.evaluate import check_document
from compliance.presentation.card import merged_findings
from config.errors import ApplicationError
from config.parsers import DuplicateKey, unique_keys
from config.throttling import DryRunThrottle
from dispatch import selectors
from dispatch.forms_dry_run import DryRunForm
from dispatch.validators import id_param


def example_document(today: dt.date | None = None) -> dict[str, Any]:
    """A complete visit document a week from today (a Dutch scanner serviced in Shanghai by a
    Dutch engineer who holds a US green card)."""
    start = (today or timezone.localdate()) + dt.timedelta(days=7)
    return {
        "visit": {
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(days=2)).isoformat(),
        },
        "vendor": {"name": "ASML Netherlands B.V.", "country": "NL", "us_branch": False},
        "facility": {
            "name": "Fab 8 building B",
            "owner": "Example Semiconductor Co., Ltd.",
            "owner_aliases": [],
            "address": "88 Example Road, Pudong",
            "city": "Shanghai",
            "country": "CN",
            "products": ["logic"],
            "logic_node_nm": 7,
            "non_planar": True,
            "nand_layers": None,
            "dram_half_pitch_nm": None,
            "dram_cell_area_um2": None,
        },
        "tools": [
            {
                "model": "TWINSCAN NXT:1980i",
                "classifications": {"US": ["3B001.f"], "NL": ["3B001.f.4"]},
                "subject_to_ear": False,
            }
        ],
        "engineers": [
            {
                "name": "Jan de Vries",
                "citizenships": ["NL"],
                "permanent_residencies": [{"country": "US", "since": "2019-03-01", "until": None}],
                "us_protected_individual": False,
            }
        ],
    }


def _starting_document(request: HttpRequest) -> tuple[dict[str, Any], str]:
    """The editor's first document and where it came from."""
    pk = id_param(request.GET.get("visit"))
    if pk:
        visit = (
            selectors.visits_visible_to(request.user)
            .filter(pk=pk)
            .select_related("current_decision")
            .first()
        )
        if visit is not None and visit.current_decision is not None:
            return visit.current_decision.document, f"the document of visit #{visit.pk}"
    return example_document(), "an example visit"


def _findings_by_party(result: dict | None) -> list[dict]:
    """Group findings by engineer and tool for the page."""
    if not result:
        return []
    groups: dict[tuple[str, str], list[dict]] = {}
    for f in result.get("findings", []):
        groups.setdefault((f.get("engineer") or "", f.get("tool") or ""), []).append(f)
    out = []
    for (engineer, tool), findings in sorted(groups.items()):
        label = " · ".join(x for x in (engineer, tool) if x) or "The visit as a whole"
        out.append({"label": label, "findings": findings})
    return out


@login_required
@require_http_methods(["GET", "POST"])
def dry_run(request: HttpRequest) -> HttpResponse:
    document, origin = _starting_document(request)
    form = DryRunForm(request.POST or None, initial={"document": json.dumps(document, indent=2)})
    result = None
    merged: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    status = 200
    throttle = DryRunThrottle()
    if request.method == "POST" and not throttle.allow_request(request, None):
        wait = int(throttle.wait() or 1)
        errors = {"document": [f"Too many dry runs in a short time; try again in {wait} s."]}
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            raw = json.loads(form.cleaned_data["document"], object_pairs_hook=unique_keys)
        except DuplicateKey as exc:
            errors = {"document": [f"The key {exc.key!r} appears twice in one object."]}
        except RecursionError:
            errors = {"document": ["The document is nested too deeply to be a visit document."]}
        except json.JSONDecodeError as exc:
            errors = {
                "document": [f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
            }
        else:
            if not isinstance(raw, dict):
                errors = {"document": ["Expected a JSON object ({…}) holding the visit document."]}
            else:
                try:
                    result = check_document(raw)
                except engine.DocumentError as exc:
                    errors = exc.errors or {"document": [str(exc)]}
                except ApplicationError as exc:  # over a dry-run cap: the field at fault
                    errors = exc.errors or {"document": [exc.message]}
                else:
                    merged = merged_findings(result, raw)[0]
    return render(
        request,
        "dispatch/dry_run.html",
        {
            "form": form,
            "origin": origin,
            "result": result,
            "merged": merged,
            "groups": _findings_by_party(result),
            "errors": errors,
        },
        status=status,
    )
