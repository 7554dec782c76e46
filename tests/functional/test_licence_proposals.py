"""Licences proposed on the approve page: only those that could apply are listed, the covering ones
marked, every other one naming the condition that fails (real licences on a real decision)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from compliance.models import AuditEvent, Licence
from compliance.services.licence_proposals import licence_shortfalls, licences_proposed
from compliance.services.licences import licences_expiry_notify
from dispatch import services
from dispatch.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db

START = dt.date.today() + dt.timedelta(days=10)
END = START + dt.timedelta(days=1)


@pytest.fixture
def held(world, committed):
    """A U.S. engineer and a 3B001.c tool at a 7 nm fab: three BIS licence-required findings."""
    with committed():
        visit = services.visit_create(
            requested_by=world.lam_manager,
            vendor=world.lam.pk,
            facility=world.fab.pk,
            engineers=[world.lam_engineer.pk],
            tools=[world.lam_tool.pk],
            activity="maintenance",
            start_date=START,
            end_date=END,
        )
    visit = Visit.objects.select_related("current_decision", "vendor").get(pk=visit.pk)
    assert visit.status == VisitStatus.ON_HOLD
    assert visit.current_decision.outcome == "licence_required"
    return visit


def _licence(world, number, *, facility=None, until=None, start=None, **kw):
    kw.setdefault("authority", "BIS")
    kw.setdefault("holder", world.lam)
    engineers = kw.pop("engineers", None)
    licence = Licence.objects.create(
        number=number,
        valid_from=start or START - dt.timedelta(days=30),
        valid_until=until or START + dt.timedelta(days=200),
        **kw,
    )
    licence.facilities.set([facility or world.fab])
    if engineers:
        licence.engineers.set(engineers)
    return licence


def _by_number(visit):
    return {p.licence.number: p for p in licences_proposed(visit)}


def test_a_licence_covering_every_finding_is_marked_and_listed_first(world, held):
    _licence(world, "A-WRONG-AUTHORITY", authority="METI")
    _licence(world, "Z-GOOD")
    proposals = licences_proposed(held)
    assert [p.licence.number for p in proposals] == ["Z-GOOD", "A-WRONG-AUTHORITY"]
    good = proposals[0]
    assert good.covers_all and good.reasons == []
    assert good.summary == "Covers all 3 findings"
    assert not proposals[1].covers_all


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("authority", "Authority METI does not match the finding's authority BIS"),
        ("classification", "Does not cover ECCN 3B001.c"),
        ("ends", f"Ends {END - dt.timedelta(days=1)}, before the visit ends {END}"),
        ("starts", f"Starts {END}, after the visit starts {START}"),
        ("facility", "Issued for {mature}, not {fab} ({owner})"),
        ("engineer", "Does not name David Miller"),
        ("activity", "Covers installation, not the visit's activity maintenance"),
    ],
)
def test_each_failing_condition_is_named(world, held, kind, expected):
    if kind == "authority":
        _licence(world, "X", authority="METI")
    elif kind == "classification":
        _licence(world, "X", classifications=["3B991"])
    elif kind == "ends":
        _licence(world, "X", until=END - dt.timedelta(days=1))
    elif kind == "starts":
        _licence(world, "X", start=END)
    elif kind == "facility":
        _licence(world, "X", facility=world.mature)
    elif kind == "engineer":
        _licence(world, "X", engineers=[world.asml_engineer])
    elif kind == "activity":
        _licence(world, "X", activities=["installation"])
    expected = expected.format(
        mature=world.mature.name, fab=world.fab.name, owner=world.fab.customer.name
    )
    proposal = _by_number(held)["X"]
    assert not proposal.covers_all
    assert any(expected in r for r in proposal.reasons), proposal.reasons
    # The approval refuses the same licence, and its message names the same condition.
    c = Client()
    c.force_login(world.approver)
    r = c.post(
        f"/admin/compliance/hold/{held.pk}/approve/",
        {"licence": proposal.licence.pk, "justification": "Covered by the licence on file."},
    )
    assert r.status_code == 200
    assert expected in r.content.decode().replace("&#x27;", "'")
    held.refresh_from_db()
    assert held.status == VisitStatus.ON_HOLD


def test_a_condition_failing_for_some_findings_only_names_their_rule(world, held):
    # A licence for 3B991 items fails only the finding about the 3B001.c tool.
    _licence(world, "X", classifications=["3B991"])
    assert _by_number(held)["X"].reasons == [
        "US-EAR-744.23-ADVANCED-FAB-ITEMS: Does not cover ECCN 3B001.c"
    ]


def test_only_licences_in_force_for_the_vendor_are_listed(world, held):
    _licence(
        world, "EXPIRED", until=START - dt.timedelta(days=1), start=START - dt.timedelta(days=60)
    )
    _licence(world, "LATER", start=END + dt.timedelta(days=1))
    _licence(world, "OTHER-VENDOR", holder=world.asml)
    revoked = _licence(world, "REVOKED")
    Licence.objects.filter(pk=revoked.pk).update(revoked_at=dt.datetime.now(dt.UTC))
    _licence(world, "VEU", kind="veu", holder=None)
    assert set(_by_number(held)) == {"VEU"}
    # Another vendor's licence, posted by id, is refused by the form and changes nothing.
    c = Client()
    c.force_login(world.approver)
    other = Licence.objects.get(number="OTHER-VENDOR")
    r = c.post(
        f"/admin/compliance/hold/{held.pk}/approve/",
        {"licence": other.pk, "justification": "Covered by the licence on file."},
    )
    assert r.status_code == 200 and b"Select a valid choice" in r.content
    assert Visit.objects.get(pk=held.pk).status == VisitStatus.ON_HOLD
    assert licence_shortfalls(held, other)[0].startswith("Held by ASML Netherlands B.V., not Lam")


def test_a_licence_recorded_by_the_requester_does_not_count(world, held):
    licence = _licence(
        world, "MINE", recorded_by=[{"id": world.lam_manager.pk, "username": "lam.manager"}]
    )
    proposal = _by_number(held)["MINE"]
    assert not proposal.covers_all
    assert proposal.reasons == [
        "Recorded by lam.manager, who requested or edited this visit: it does not count for it"
    ]
    c = Client()
    c.force_login(world.approver)
    c.post(
        f"/admin/compliance/hold/{held.pk}/approve/",
        {"licence": licence.pk, "justification": "Covered by the licence on file."},
    )
    assert Visit.objects.get(pk=held.pk).status == VisitStatus.ON_HOLD


def test_expiry_within_30_days_shows(world, held):
    today = dt.date.today()
    _licence(world, "SOON", until=today + dt.timedelta(days=20))
    _licence(world, "LONG", until=today + dt.timedelta(days=31))
    by = _by_number(held)
    assert by["SOON"].covers_all and by["SOON"].expiry == "expires in 20 days"
    assert by["LONG"].expiry == ""
    c = Client()
    c.force_login(world.approver)
    assert (
        "expires in 20 days" in c.get(f"/admin/compliance/hold/{held.pk}/approve/").content.decode()
    )


def test_the_approve_page_marks_the_proposal_and_approving_with_it_releases(world, held, committed):
    good = _licence(world, "GOOD")
    _licence(world, "BAD", authority="METI")
    c = Client()
    c.force_login(world.approver)
    body = c.get(f"/admin/compliance/hold/{held.pk}/approve/").content.decode()
    assert "Covers all 3 findings" in body
    assert f'value="{good.pk}" id="licence-{good.pk}" checked' in body
    assert "Authority METI does not match" in body
    with committed():
        r = c.post(
            f"/admin/compliance/hold/{held.pk}/approve/",
            {"licence": good.pk, "justification": "Covered by BIS licence GOOD on file."},
        )
    assert r.status_code == 302
    held.refresh_from_db()
    assert held.status == VisitStatus.APPROVED
    assert held.approval.licence_id == good.pk


def test_licence_expiry_is_emailed_to_approvers_once_per_threshold(world, committed):
    world.approver.email = "approver@example.com"
    world.approver.save()
    today = dt.date.today()
    soon = _licence(world, "SOON", until=today + dt.timedelta(days=20))
    _licence(world, "LONG", until=today + dt.timedelta(days=90))
    with committed():
        assert licences_expiry_notify(today=today) == 1
    assert len(mail.outbox) == 1
    assert "BIS SOON" in mail.outbox[0].subject
    assert "approver@example.com" in mail.outbox[0].to
    assert "lam.manager@example.com" not in mail.outbox[0].to
    events = AuditEvent.objects.filter(object_id=str(soon.pk), event_type="licence_expiry_notified")
    assert events.count() == 1 and events.get().new["threshold_days"] == 30
    # Again the same day, and the next: nothing new.
    with committed():
        assert licences_expiry_notify(today=today) == 0
        assert licences_expiry_notify(today=today + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1
    # At 7 days the next threshold is reached: one more notice.
    with committed():
        assert licences_expiry_notify(today=soon.valid_until - dt.timedelta(days=7)) == 1
    assert len(mail.outbox) == 2
    assert "expires in 7 days" in mail.outbox[1].body
