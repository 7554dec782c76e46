"""The whole transition table, walked through every channel that moves a visit.

For each status a visit can be in and each action (approve, reject, cancel, edit, re-check), the
action is tried through the API, the admin (or the manager pages) and the services. It must work
exactly where ``compliance.lifecycle.TRANSITIONS`` allows the move, and everywhere else be refused
with a message that names the visit's state, changing nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from compliance.lifecycle import TRANSITIONS, can_move
from compliance.models import AuditEvent
from dispatch.models import Visit, VisitStatus
from tests.factories import ToolFactory

pytestmark = pytest.mark.django_db

S = VisitStatus
START = dt.date.today() + dt.timedelta(days=10)
JUSTIFICATION = "Reviewed every finding against the file; decided."


@pytest.fixture
def world(world, committed):
    """The persona world with two unclassified ASML tools: a data-quality review holds every
    visit to them. Every step runs its on-commit work (the check) when it ends."""
    world["committed"] = committed
    world["tool"] = ToolFactory(facility=world.fab, oem=world.asml, classifications={})
    world["other_tool"] = ToolFactory(facility=world.fab, oem=world.asml, classifications={})
    return world


def _visit_in(world, status: str) -> Visit:
    """A held visit (a real check, a review finding), then put in ``status`` for the walk."""
    from dispatch import services

    with world["committed"]():
        visit = services.visit_create(
            requested_by=world["asml_manager"],
            vendor=world["asml"].pk,
            facility=world["fab"].pk,
            engineers=[world["asml_engineer"].pk],
            tools=[world["tool"].pk],
            activity="maintenance",
            start_date=START,
            end_date=START,
        )
    assert Visit.objects.get(pk=visit.pk).status == S.ON_HOLD
    Visit.objects.filter(pk=visit.pk).update(status=status)
    return Visit.objects.get(pk=visit.pk)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _approve(world, visit, channel):
    body = {"justification": JUSTIFICATION}
    if channel == "api":
        return _api(world["approver"]).post(
            f"/api/v1/visits/{visit.pk}/approve/", body, format="json"
        )
    return _web(world["approver"]).post(f"/admin/compliance/hold/{visit.pk}/approve/", body)


def _reject(world, visit, channel):
    body = {"justification": JUSTIFICATION}
    if channel == "api":
        return _api(world["approver"]).post(
            f"/api/v1/visits/{visit.pk}/reject/", body, format="json"
        )
    return _web(world["approver"]).post(f"/admin/compliance/hold/{visit.pk}/reject/", body)


def _cancel(world, visit, channel):
    if channel == "api":
        return _api(world["asml_manager"]).post(
            f"/api/v1/visits/{visit.pk}/cancel/", {"reason": "Trip moved"}, format="json"
        )
    page = _web(world["asml_manager"]).post(
        f"/visits/{visit.pk}/cancel/", {"reason": "Trip moved"}, follow=True
    )
    # The manager pages answer through a message on the visit's page.
    return PageOutcome(f"Visit #{visit.pk} cancelled." in page.content.decode(), page)


class PageOutcome:
    def __init__(self, ok: bool, page) -> None:
        self.ok, self.page = ok, page


def _edit(world, visit, channel):
    if channel == "services":
        from config.errors import ApplicationError
        from dispatch import services

        try:
            services.visit_update(
                visit=visit, user=world["asml_manager"], tools=[world["other_tool"].pk]
            )
        except ApplicationError as exc:
            return exc
        return None
    return _web(world["asml_manager"]).post(
        f"/admin/dispatch/visit/{visit.pk}/change/",
        {
            "vendor": world["asml"].pk,
            "facility": world["fab"].pk,
            "engineers": [world["asml_engineer"].pk],
            "tools": [world["other_tool"].pk],
            "activity": "maintenance",
            "mode": "on_site",
            "start_date": START.isoformat(),
            "end_date": START.isoformat(),
            "purpose": "",
        },
    )


def _refusal_text(response) -> str:
    if response is None:
        return ""
    if isinstance(response, Exception):
        return str(response)
    if isinstance(response, PageOutcome):
        return response.page.content.decode()
    return response.content.decode()


ALL = list(TRANSITIONS)
LABEL = {status: S(status).label.lower() for status in ALL}


def _succeeded(response) -> bool:
    if response is None:
        return True
    if isinstance(response, Exception):
        return False
    if isinstance(response, PageOutcome):
        return response.ok
    if response.status_code in (200, 201, 202) and "application/json" in response["Content-Type"]:
        return True
    # The admin answers an accepted form with a redirect to the list (or the hold queue).
    return response.status_code == 302 and response["Location"].rstrip("/").endswith(
        ("/hold", "/visit")
    )


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize(
    ("action", "target", "channels"),
    [
        (_approve, S.APPROVED, ("api", "admin")),
        (_reject, S.REJECTED, ("api", "admin")),
        (_cancel, S.CANCELLED, ("api", "page")),
        (_edit, S.PENDING, ("services", "admin")),
    ],
    ids=["approve", "reject", "cancel", "edit"],
)
def test_a_person_moves_a_visit_exactly_where_the_table_allows(
    world, status, action, target, channels
):
    allowed = target in TRANSITIONS[status] or (target == S.PENDING and can_move(status, target))
    for channel in channels:
        visit = _visit_in(world, status)
        events = AuditEvent.objects.count()
        with world["committed"]():
            response = action(world, visit, channel)
        after = Visit.objects.get(pk=visit.pk).status
        if allowed:
            assert _succeeded(response), (channel, _refusal_text(response)[:500])
            # An edit is re-checked at once (in-process here): pending, then held again.
            assert after == (S.ON_HOLD if target == S.PENDING else target), channel
            assert AuditEvent.objects.count() > events
        else:
            assert not _succeeded(response), channel
            assert after == status, channel
            assert AuditEvent.objects.count() == events, channel
            if channel != "admin":
                # The refusal says which state the visit is in (the admin offers no form for a
                # move it refuses: it answers 403 or sends the approver back to the queue).
                assert LABEL[status] in _refusal_text(response).lower(), (
                    channel,
                    _refusal_text(response)[:800],
                )


@pytest.mark.parametrize("status", ALL)
def test_the_check_path_moves_a_visit_exactly_where_the_table_allows(world, status):
    """A re-check's result (here: on hold, for the same review) lands through the same table."""
    visit = _visit_in(world, status)
    with world["committed"]():
        response = _api(world["asml_manager"]).post(f"/api/v1/visits/{visit.pk}/recheck/")
    after = Visit.objects.get(pk=visit.pk).status
    if status in (S.REJECTED, S.CANCELLED):
        assert response.status_code == 409
        assert LABEL[status] in response.json()["message"].lower()
        assert after == status
    else:
        assert response.status_code == 202, response.content
        # An approval stands only for the findings it approved; a forced "approved" has no
        # approval on record, so the re-check holds it.
        assert after == S.ON_HOLD
        assert can_move(status, after)
