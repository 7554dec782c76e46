"""One week of activity (ISO week 2026-W45, Europe/Amsterdam), made through the real services on a
simulated clock, for the weekly audit report tests.

Timeline (local time; the week is Mon 2026-11-02 00:00 CET to Mon 2026-11-09 00:00 CET):

  Fri 30 Oct 10:00  rules and the sample list loaded; reference data
  Fri 30 Oct 15:00  P filed: unclassified tool → review hold (before the week)
  Mon 09:00  A filed: U.S. citizen, advanced fab, EAR tool → licence_required
  Mon 09:30  B filed: U.S. citizen, mature fab → clear
  Mon 11:00  C filed: unclassified tool → review hold
  Tue 10:00  D filed: "Hong Jinhua" (an SDN namesake) → prohibited
  Tue 14:00  D's hit marked false positive → re-check → clear       (outcome change: false_positive)
  Tue 16:00  P approved (held since before the week)
  Wed 09:00  A rejected
  Wed 10:00  E filed: U.S. citizen, 40 nm fab → clear
  Thu 11:00  the 40 nm fab turns out to run 14 nm FinFET → E re-checked → licence_required (edit)
  Thu 15:00  a BIS licence for that fab is filed → E re-checked → clear, covered (licence_change)
  Fri 12:00  C approved
  Sun 23:30  F filed: like A → licence_required, still open at the end of the week
  Mon 9 Nov 00:30  G filed (after the week: 23:30 UTC on Sunday, outside the week in Amsterdam)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from compliance.models import Licence
from compliance.reports.simulation import simulated_time
from compliance.reports.weeks import ReportWeek
from dispatch.models import Visit
from tests.django_fixtures import import_sample_lists
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

# The ``committed`` fixture: runs what a block schedules on commit when the block ends.
Committed = Callable[[], AbstractContextManager[Any]]

WEEK = ReportWeek(2026, 45, "Europe/Amsterdam")
AMS = ZoneInfo("Europe/Amsterdam")


def local(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=AMS)


@dataclass
class Activity:
    week: ReportWeek
    visits: dict[str, Visit]
    users: dict[str, Any]
    licence: Licence


def _file(
    committed: Committed,
    manager: Any,
    vendor: Any,
    facility: Any,
    engineers: list[Any],
    tools: list[Any],
    at,
):
    """File a visit and let the check it asks for run, as the commit would."""
    from dispatch import services

    start = at.date() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=[e.pk for e in engineers],
            tools=[t.pk for t in tools],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=2),
        )
    visit.refresh_from_db()
    return visit


def build_week_of_activity(committed: Committed) -> Activity:
    """Each step runs what it schedules on commit (re-checks, notices) at its own time."""
    from compliance.services import (
        licence_changed,
        match_review_mark,
        ruleset_load,
        visit_approve,
        visit_reject,
    )
    from dispatch import services as dispatch_services

    with simulated_time(local("2026-10-30", "10:00")) as clock:
        ruleset_load()
        import_sample_lists()
        vendor = VendorFactory(name="Lam Research Corporation", country="US")
        users = {
            "manager": make_user("lam.manager", role="service_manager", vendor=vendor),
            "approver": make_user("approver", role="approver"),
            "approver2": make_user("approver2", role="approver"),
            "auditor": make_user("auditor", role="auditor"),
            "auditor2": make_user("auditor2", role="auditor"),
        }
        manager = users["manager"]
        advanced = FacilityFactory(logic_node_nm=7, non_planar=True)
        mature = FacilityFactory(logic_node_nm=28)
        reassessed = FacilityFactory(logic_node_nm=40)
        ear_tool = ToolFactory(
            facility=advanced, oem=vendor, classifications={"US": ["3B001.c"]}, subject_to_ear=True
        )
        unclassified = ToolFactory(facility=mature, oem=vendor, classifications={})
        us = EngineerFactory(
            vendor=vendor, name="David Miller", citizenships=["US"], home_country="US"
        )
        nl = EngineerFactory(vendor=vendor, name="Sanne Bakker", citizenships=["NL"])
        namesake = EngineerFactory(
            vendor=vendor, name="Hong Jinhua", citizenships=["JP"], home_country="JP"
        )
        v: dict[str, Visit] = {}

        clock.set(local("2026-10-30", "15:00"))
        v["P"] = _file(committed, manager, vendor, mature, [nl], [unclassified], clock.current)

        clock.set(local("2026-11-02", "09:00"))
        v["A"] = _file(committed, manager, vendor, advanced, [us], [ear_tool], clock.current)
        clock.set(local("2026-11-02", "09:30"))
        v["B"] = _file(committed, manager, vendor, mature, [us], [], clock.current)
        clock.set(local("2026-11-02", "11:00"))
        v["C"] = _file(committed, manager, vendor, mature, [nl], [unclassified], clock.current)

        clock.set(local("2026-11-03", "10:00"))
        v["D"] = _file(committed, manager, vendor, mature, [namesake], [], clock.current)
        clock.set(local("2026-11-03", "14:00"))
        hit = next(
            h for h in v["D"].current_decision.screening_input if h["party"] == "engineers[0]"
        )
        with committed():
            match_review_mark(
                visit=v["D"],
                party="engineers[0]",
                entry_id=hit["entry_id"],
                reason="Different person: Japanese national, date of birth differs from the SDN entry.",
                actor=users["approver"],
            )
        clock.set(local("2026-11-03", "16:00"))
        with committed():
            visit_approve(
                visit=v["P"],
                user=users["approver"],
                justification="Classification confirmed with the OEM: dry DUV tool, not controlled.",
            )

        clock.set(local("2026-11-04", "09:00"))
        with committed():
            visit_reject(
                visit=v["A"],
                user=users["approver2"],
                justification="No BIS licence on file for a U.S. person at an advanced-node fab.",
            )
        clock.set(local("2026-11-04", "10:00"))
        v["E"] = _file(committed, manager, vendor, reassessed, [us], [], clock.current)

        clock.set(local("2026-11-05", "11:00"))
        with committed():
            # The fab's capability comes from the reference-data import (no person): whoever
            # changes it joins the visits it decides and could not record their licence below.
            dispatch_services.facility_update(
                facility=reassessed, user=None, logic_node_nm=14, non_planar=True
            )
        clock.set(local("2026-11-05", "15:00"))
        with committed():
            licence = Licence.objects.create(
                authority="BIS",
                number="BIS-TEST-0001",
                holder=vendor,
                valid_from=dt.date(2026, 11, 1),
                valid_until=dt.date(2027, 10, 31),
            )
            licence.facilities.set([reassessed])
            licence_changed(licence=licence, actor=users["approver"], created=True)

        clock.set(local("2026-11-06", "12:00"))
        with committed():
            visit_approve(
                visit=v["C"],
                user=users["approver2"],
                justification="Tool classification confirmed with the OEM export team; no licence needed.",
            )
        clock.set(local("2026-11-08", "23:30"))
        v["F"] = _file(committed, manager, vendor, advanced, [us], [ear_tool], clock.current)
        clock.set(local("2026-11-09", "00:30"))
        v["G"] = _file(committed, manager, vendor, advanced, [us], [ear_tool], clock.current)
    for visit in v.values():
        visit.refresh_from_db()
    return Activity(week=WEEK, visits=v, users=users, licence=licence)


@pytest.fixture
def activity(db, settings, committed) -> Activity:
    # The scenario's times are Amsterdam times, whatever REPORT_TIME_ZONE says on this machine.
    settings.AUDIT_REPORT = {**settings.AUDIT_REPORT, "TIME_ZONE": "Europe/Amsterdam"}
    return build_week_of_activity(committed)
