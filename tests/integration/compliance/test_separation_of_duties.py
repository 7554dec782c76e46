"""Separation of duties on every path that can release a hold, and the lifecycle's other guards.

One person may hold several roles (small teams), never on the same visit: whoever requested or
edited a visit cannot approve or reject it, and a false-positive mark or a licence they recorded
or changed does not count for it. An approval covers exactly what it approved; revocation is final;
a status changed behind the lifecycle's back is named by ``verify_audit_log``.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from compliance import services as compliance_services
from compliance.checks.requests import visit_request_recheck
from compliance.lifecycle import visit_states_verify
from compliance.models import AuditEvent, Licence
from config.errors import Conflict, PermissionDenied
from dispatch import services
from dispatch.models import Visit, VisitStatus
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

START = dt.date.today() + dt.timedelta(days=10)
SOD = "SYSTEM-SEPARATION-OF-DUTIES"


def _also(user, role: str):
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def team(world, committed):
    """The persona world, with SMIC's mature fab, a Lam engineer on the Denied Persons List, a
    Dutch Lam engineer and ASML's lead, who files visits and approves holds; and ``committed``,
    with which the helpers below let the checks their step asks for run, as its commit would."""
    world["committed"] = committed
    world["smic"] = FacilityFactory(
        customer=CustomerFactory(name="Semiconductor Manufacturing Intl. Corp.", country="CN"),
        logic_node_nm=40,
    )
    world["denied"] = EngineerFactory(
        vendor=world.lam, name="Abdul Majid Saidi", citizenships=["US"]
    )
    world["nl_engineer"] = EngineerFactory(
        vendor=world.lam, name="Joris Bakker", citizenships=["NL"]
    )
    world["asml_lead"] = _also(
        make_user("asml.lead", role="service_manager", vendor=world.asml), "approver"
    )
    return world


def _file(
    team,
    *,
    by="lam_lead",
    vendor="lam",
    facility="fab",
    engineers=("lam_engineer",),
    tools=("lam_tool",),
):
    with team["committed"]():
        visit = services.visit_create(
            requested_by=team[by],
            vendor=team[vendor].pk,
            facility=team[facility].pk,
            engineers=[team[e].pk for e in engineers],
            tools=[team[t].pk for t in tools],
            activity="maintenance",
            start_date=START,
            end_date=START + dt.timedelta(days=1),
        )
    return Visit.objects.select_related("current_decision").get(pk=visit.pk)


def _fresh(visit):
    return Visit.objects.select_related("current_decision").get(pk=visit.pk)


def _mark_all(team, visit, actor):
    for hit in visit.current_decision.result["screening"]:
        with team["committed"]():  # each mark re-checks the visit
            compliance_services.match_review_mark(
                visit=visit,
                party=hit["party"],
                entry_id=hit["entry_id"],
                reason="Different person: passport and date of birth checked.",
                actor=actor,
            )


def _licence(team, actor, number="D900001", **changes):
    fields = {
        "authority": "BIS",
        "number": number,
        "holder": team["lam"].pk,
        "valid_from": dt.date.today(),
        "valid_until": START + dt.timedelta(days=365),
        "facilities": [team["fab"].pk],
        **changes,
    }
    with team["committed"]():  # a new licence re-checks the visits it may cover
        return compliance_services.licence_create(user=actor, **fields)


def _sod(visit):
    return [f for f in visit.current_decision.result["findings"] if f["rule"] == SOD]


def test_a_false_positive_mark_by_the_requester_does_not_release_their_own_blocked_visit(team):
    visit = _file(team, engineers=("denied",), facility="smic", tools=())
    assert visit.status == VisitStatus.BLOCKED
    assert any(h["list"] == "DPL" for h in visit.current_decision.result["screening"])

    _mark_all(team, visit, team["lam_lead"])
    visit = _fresh(visit)
    assert visit.status == VisitStatus.BLOCKED
    hits = visit.current_decision.result["screening"]
    assert hits and all(not h["false_positive"] and h["withheld_by"] == "lam.lead" for h in hits)
    sod = _sod(visit)
    assert len(sod) == len(hits)  # one per withheld mark, naming whose it is
    assert all("lead" in f["message"] and f["effect"] == "review" for f in sod)

    # The same mark by an approver who is not involved counts, and says whose it is.
    _mark_all(team, visit, team["approver"])
    visit = _fresh(visit)
    assert visit.status == VisitStatus.CLEARED, visit.current_decision.result
    assert all(
        h["false_positive_by"] == "approver" for h in visit.current_decision.result["screening"]
    )
    assert _sod(visit) == []


def test_a_licence_recorded_by_the_requester_does_not_cover_their_own_visit(team):
    visit = _file(team)
    assert visit.current_decision.outcome == "licence_required"

    _licence(team, team["lam_lead"])
    visit = _fresh(visit)
    assert visit.status == VisitStatus.ON_HOLD
    findings = visit.current_decision.result["findings"]
    assert [
        f for f in findings if f["effect"] == "licence_required" and not f["covered_by_licence"]
    ]
    (sod,) = _sod(visit)
    assert "D900001" in sod["message"] and "lead" in sod["message"]

    # The approver's own record of another licence covers it.
    _licence(team, team["approver"], number="D900002")
    visit = _fresh(visit)
    assert visit.status == VisitStatus.CLEARED, visit.current_decision.result["findings"]


def test_a_licence_edited_by_the_requester_to_cover_their_visit_does_not_count(team, committed):
    visit = _file(team)
    elsewhere = FacilityFactory(logic_node_nm=7, non_planar=True)
    licence = _licence(team, team["approver"], facilities=[elsewhere.pk])
    assert _fresh(visit).status == VisitStatus.ON_HOLD  # covers another fab

    licence.facilities.add(team["fab"])
    with committed():
        compliance_services.licence_changed(licence=licence, actor=team["lam_lead"])
    assert [r["username"] for r in Licence.objects.get(pk=licence.pk).recorded_by] == [
        "approver",
        "lam.lead",
    ]
    visit = _fresh(visit)
    assert visit.status == VisitStatus.ON_HOLD
    assert _sod(visit)

    # Another manager's visit to the same fab is covered: the lead is not involved in it.
    other = _file(team, by="lam_manager")
    assert other.status == VisitStatus.CLEARED, other.current_decision.result["findings"]


def test_whoever_edited_a_held_visit_cannot_approve_or_reject_it(team, committed):
    visit = _file(team, by="asml_manager", vendor="asml", engineers=("asml_engineer",), tools=())
    assert visit.status == VisitStatus.CLEARED
    # Nothing controlled, but an unclassified tool is a review: the edit holds it.
    unclassified = ToolFactory(facility=team["fab"], oem=team["asml"], classifications={})
    with committed():
        services.visit_update(visit=visit, user=team["asml_lead"], tools=[unclassified.pk])
    visit = _fresh(visit)
    assert visit.status == VisitStatus.ON_HOLD, visit.current_decision.result["findings"]
    assert visit.editor_ids == [team["asml_lead"].pk]

    with pytest.raises(PermissionDenied, match="edited"):
        compliance_services.visit_approve(
            visit=visit,
            user=team["asml_lead"],
            justification="Tool is EAR99 per the OEM statement.",
        )
    with pytest.raises(PermissionDenied, match="edited"):
        compliance_services.visit_reject(
            visit=visit, user=team["asml_lead"], justification="Not needed after all, withdrawn."
        )
    assert _fresh(visit).status == VisitStatus.ON_HOLD
    compliance_services.visit_approve(
        visit=visit, user=team["approver"], justification="Tool is EAR99 per the OEM statement."
    )
    assert _fresh(visit).status == VisitStatus.APPROVED


def test_an_approval_lapses_when_a_recheck_adds_a_finding_at_the_same_level(team, committed):
    unclassified = ToolFactory(facility=team["smic"], oem=team["lam"], classifications={})
    with committed():
        visit = services.visit_create(
            requested_by=team["lam_manager"],
            vendor=team["lam"].pk,
            facility=team["smic"].pk,
            engineers=[team["nl_engineer"].pk],
            tools=[unclassified.pk],
            activity="maintenance",
            start_date=START,
            end_date=START,
        )
    visit = _fresh(visit)
    # The owner is on the Entity List (licence required); mark those hits and keep the review.
    _mark_all(team, visit, team["approver"])
    visit = _fresh(visit)
    assert visit.current_decision.outcome == "review", visit.current_decision.result
    compliance_services.visit_approve(
        visit=visit, user=team["approver"], justification="Tool is EAR99 per the OEM statement."
    )
    assert _fresh(visit).status == VisitStatus.APPROVED

    # Same level (review), a finding that was not approved: an engineer without a citizenship.
    second = EngineerFactory(vendor=team["lam"], name="Kim Tan", citizenships=[])
    Visit.objects.get(pk=visit.pk).engineers.add(second)
    with committed():
        visit_request_recheck(visit=visit, user=team["lam_manager"])
    visit = _fresh(visit)
    assert visit.current_decision.outcome == "review"
    assert visit.status == VisitStatus.ON_HOLD
    assert visit.approval_id is None
    assert "approv" in visit.current_decision.change_reason.lower()

    # A re-check that finds exactly the approved findings keeps an approval.
    compliance_services.visit_approve(
        visit=visit, user=team["approver"], justification="Kim Tan's passport is on file: NL."
    )
    with committed():
        visit_request_recheck(visit=visit, user=team["lam_manager"])
    assert _fresh(visit).status == VisitStatus.APPROVED


def test_a_revoked_licence_cannot_be_made_valid_again(team, committed):
    visit = _file(team, by="lam_manager")
    licence = _licence(team, team["approver"])
    assert _fresh(visit).status == VisitStatus.CLEARED
    with committed():
        compliance_services.licence_revoke(
            licence=licence, user=team["approver"], reason="Superseded by the regulator."
        )
    assert _fresh(visit).status == VisitStatus.ON_HOLD

    locked = Licence.objects.get(pk=licence.pk)
    locked.revoked_at, locked.revocation_reason = None, ""
    Licence.objects.filter(pk=licence.pk).update(revoked_at=None, revocation_reason="")
    with committed(), pytest.raises(Conflict, match="revoked"):
        compliance_services.licence_changed(licence=locked, actor=team["approver"])
    assert _fresh(visit).status == VisitStatus.ON_HOLD
    events = AuditEvent.objects.filter(
        event_type="licence_changed", object_id=str(licence.pk)
    ).order_by("pk")
    assert events.count() == 2  # recorded, revoked; the refused change wrote nothing
    last = events.last()
    assert last.old["revoked_at"] is None and last.new["revoked_at"] is not None


def test_verify_audit_log_names_a_visit_whose_status_was_changed_in_the_database(team):
    held = _file(team, by="lam_manager")
    cleared = _file(team, by="asml_manager", vendor="asml", engineers=("asml_engineer",), tools=())
    assert held.status == VisitStatus.ON_HOLD and cleared.status == VisitStatus.CLEARED
    assert visit_states_verify() == []
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "OK: every visit's state matches its records." in out.getvalue()

    with connection.cursor() as cur:  # behind the services' back, as a database user could
        cur.execute("UPDATE dispatch_visit SET status = %s WHERE id = %s", ["approved", held.pk])
    (mismatch,) = visit_states_verify()
    assert mismatch.visit_id == held.pk
    assert mismatch.stored == "approved" and mismatch.derived == "on_hold"
    assert "no approval" in mismatch.reason
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_audit_log", stdout=out)
    assert f"visit {held.pk}: stored 'approved'" in out.getvalue()
    assert f"visit {cleared.pk}" not in out.getvalue()


def test_verify_audit_log_names_a_visit_whose_current_decision_was_swapped(team):
    held = _file(team, by="lam_manager")
    cleared = _file(team, by="asml_manager", vendor="asml", engineers=("asml_engineer",), tools=())
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE dispatch_visit SET current_decision_id = %s, status = %s WHERE id = %s",
            [cleared.current_decision_id, "cleared", held.pk],
        )
    (mismatch,) = visit_states_verify()
    assert mismatch.visit_id == held.pk and "current decision" in mismatch.reason
