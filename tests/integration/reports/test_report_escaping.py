"""Names and justifications with HTML or SQL in them reach the report as text, escaped."""

from __future__ import annotations

import pytest
from django.db import connection

from compliance.models import Approval
from compliance.reports.services import report_weekly_generate

pytestmark = pytest.mark.django_db

EVIL = "<script>alert('x')</script>'; DROP TABLE dispatch_visit; --"


def test_the_report_escapes_markup_in_justifications_and_names(activity):
    approval = (
        Approval.objects.filter(
            created_at__gte=activity.week.starts_at, created_at__lt=activity.week.ends_at
        )
        .order_by("pk")
        .first()
    )
    assert approval is not None
    engineer = approval.visit.engineers.first()
    # Stored verbatim (approvals are append-only, so the text is set the way a raw client would).
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE compliance_approval SET justification = %s WHERE id = %s", [EVIL, approval.pk]
        )
    engineer.name = EVIL
    engineer.save(update_fields=["name"])

    report = report_weekly_generate(week=activity.week).report
    html = report.html
    assert EVIL not in html
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html
