"""Another vendor's ids in an API body are answered exactly like ids that do not exist."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from dispatch.models import Visit

pytestmark = pytest.mark.django_db

START = dt.date.today() + dt.timedelta(days=10)
UNKNOWN = 987654


@pytest.fixture
def two_vendors(world):
    """The persona world, seen through the API as ASML's service manager."""
    client = APIClient()
    client.force_authenticate(world.asml_manager)
    world["client"] = client
    return world


def _file(w, **changes):
    body = {
        "vendor": w["asml"].pk,
        "facility": w["fab"].pk,
        "engineers": [w["asml_engineer"].pk],
        "tools": [w["asml_tool"].pk],
        "activity": "maintenance",
        "start_date": START.isoformat(),
        "end_date": START.isoformat(),
        **changes,
    }
    return w["client"].post("/api/v1/visits/", body, format="json")


def _shape(response, field: str, foreign: int, unknown: int) -> str:
    """The error with the id replaced, so a foreign and an unknown id can be compared."""
    assert response.status_code == 400, response.content
    (message,) = response.json()["errors"][field]
    return message.replace(str(foreign), "<id>").replace(str(unknown), "<id>")


@pytest.mark.parametrize(
    ("field", "foreign_key", "as_list"),
    [("vendor", "tel", False), ("engineers", "tel_engineer", True), ("tools", "tel_tool", True)],
)
def test_another_vendors_id_is_refused_like_an_unknown_one(
    two_vendors, field, foreign_key, as_list
):
    w = two_vendors
    before = (Visit.objects.count(), AuditEvent.objects.count())
    foreign = w[foreign_key].pk

    def value(pk):
        return [pk] if as_list else pk

    theirs = _file(w, **{field: value(foreign)})
    nobodys = _file(w, **{field: value(UNKNOWN)})
    assert _shape(theirs, field, foreign, UNKNOWN) == _shape(nobodys, field, foreign, UNKNOWN)
    assert "No such" in theirs.json()["errors"][field][0]
    for secret in ("Tokyo Electron", "Haruto Sato", "Tactras", "TEL-77"):
        assert secret not in theirs.content.decode()
    assert (Visit.objects.count(), AuditEvent.objects.count()) == before


def test_another_vendors_engineer_and_tool_cannot_be_read_either(two_vendors):
    w = two_vendors
    for path in (
        f"/api/v1/engineers/{w['tel_engineer'].pk}/",
        f"/api/v1/tools/{w['tel_tool'].pk}/",
    ):
        response = w["client"].get(path)
        assert response.status_code == 404
        assert "Haruto" not in response.content.decode()
