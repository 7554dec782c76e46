"""The dispatch board page: the vendor's engineers x days, each cell the outcome that engineer
alone would get for a visit on that day, and a link that files it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from compliance.services.board import OUTCOME_LABELS, OUTCOMES, dispatch_board
from dispatch import roles
from dispatch.forms_board import BoardForm


@login_required
@require_GET
def dispatch_board_page(request: HttpRequest) -> HttpResponse:
    if not roles.can_file_visits(request.user):
        raise Http404("Your role does not file visits.")
    vendor_id = roles.user_vendor_id(request.user)
    if vendor_id is None:
        raise Http404("Your account belongs to no vendor.")
    data = None
    if request.GET:
        data = request.GET.copy()
        for key, value in BoardForm.defaults().items():
            if not data.get(key):
                data[key] = value
    form = BoardForm(data, user=request.user)
    board = None
    rows: list[dict[str, object]] = []
    if request.GET and form.is_valid():
        data = form.cleaned_data
        tool = data["tool"]
        board = dispatch_board(
            vendor_id=vendor_id,
            facility_id=data["facility"].pk,
            tool_ids=[tool.pk] if tool else [],
            activity=data["activity"],
            mode=data["mode"],
            start=data["start"],
            days=data["days"],
            length=data["length"],
            user_id=request.user.pk,
        )
        filing = reverse("visit-new")
        common = {
            "facility": data["facility"].pk,
            "activity": data["activity"],
            "mode": data["mode"],
        }
        if tool:
            common["tools"] = tool.pk
        rows = [
            {
                "engineer": row.engineer,
                "nationalities": ", ".join(c.country for c in row.engineer.citizenships.all())
                or "no citizenship",
                "cells": [
                    {
                        "cell": cell,
                        "href": filing
                        + "?"
                        + urlencode(
                            {
                                **common,
                                "engineers": row.engineer.pk,
                                "start_date": cell.start.isoformat(),
                                "end_date": cell.end.isoformat(),
                            }
                        ),
                    }
                    for cell in row.cells
                ],
            }
            for row in board.rows
        ]
    return render(
        request,
        "dispatch/board.html",
        {
            "form": form,
            "board": board,
            "rows": rows,
            "counts": board.counts() if board else {},
            "legend": [(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
        },
    )
