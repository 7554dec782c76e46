"""In the admin, a service manager sees and picks only their own vendor's visits, decisions,
approvals, engineers, tools and licences; another vendor's object answers 404 like a missing one,
and another vendor's id in a form is refused like an unknown id. Approvers, auditors and superusers
see every vendor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from compliance import services as compliance_services
from compliance.models import Approval, Licence
from dispatch import services
from dispatch.models import Visit
from tests.factories import EngineerFactory, FacilityFactory, ToolFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db

START = dt.date.today() + dt.timedelta(days=10)

# Everything of the other vendor that a page could show.
OTHER_VENDOR_TEXT = ("ASML Netherlands", "Bram Asmlworker", "ASML-SN-0009", "LIC-ASML", "VEU-NAMED")


def _licence(number, holder, fab, *, authority="BIS", kind="licence"):
    licence = Licence.objects.create(
        authority=authority,
        kind=kind,
        number=number,
        holder=holder,
        valid_from=START,
        valid_until=START + dt.timedelta(days=30),
    )
    licence.facilities.set([fab])
    return licence


def _file(manager, vendor, fab, engineer, tool):
    return services.visit_create(
        requested_by=manager,
        vendor=vendor.pk,
        facility=fab.pk,
        engineers=[engineer.pk],
        tools=[tool.pk],
        activity="maintenance",
        start_date=START,
        end_date=START + dt.timedelta(days=1),
    )


@pytest.fixture
def world(rules, sample_list, committed):
    lam = VendorFactory(name="Lam Research Corporation", country="US")
    asml = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    fab = FacilityFactory(logic_node_nm=7, non_planar=True)  # shared by both vendors
    w = {"lam": lam, "asml": asml, "fab": fab}
    for key, vendor, name, serial in (
        ("lam", lam, "Alice Lamworker", "LAM-SN-0001"),
        ("asml", asml, "Bram Asmlworker", "ASML-SN-0009"),
    ):
        w[f"{key}_engineer"] = EngineerFactory(
            vendor=vendor, name=name, citizenships=["US"], home_country="US"
        )
        w[f"{key}_tool"] = ToolFactory(
            facility=fab,
            oem=vendor,
            serial_number=serial,
            classifications={"US": ["3B001.c"]},
            subject_to_ear=True,
        )
        w[f"{key}_manager"] = make_user(f"{key}.manager", role="service_manager", vendor=vendor)
    w["approver"] = make_user("approver", role="approver")
    w["auditor"] = make_user("auditor", role="auditor")
    w["boss"] = make_user("boss", superuser=True)
    for key in ("lam", "asml"):
        with committed():
            w[f"{key}_visit"] = _file(
                w[f"{key}_manager"], w[key], fab, w[f"{key}_engineer"], w[f"{key}_tool"]
            )
    # Recorded after filing (no re-check), so that the approver releases each hold with one.
    w["lam_licence"] = _licence("LIC-LAM", lam, fab)
    w["asml_licence"] = _licence("LIC-ASML", asml, fab)
    w["open_veu"] = _licence("VEU-OPEN", None, fab, kind="veu")
    w["named_veu"] = _licence("VEU-NAMED", None, fab, kind="veu")
    w["named_veu"].engineers.set([w["asml_engineer"]])
    for key in ("lam", "asml"):
        with committed():
            compliance_services.visit_approve(
                visit=w[f"{key}_visit"],
                user=w["approver"],
                justification="Reviewed the findings; the licence covers them.",
                licence=w[f"{key}_licence"],
            )
        w[f"{key}_visit"].refresh_from_db()
        w[f"{key}_decision"] = w[f"{key}_visit"].current_decision
        w[f"{key}_approval"] = Approval.objects.get(visit=w[f"{key}_visit"])
    # A manager who has also been given the licence and approval view permissions: the scoping
    # must not depend on the permissions a role happens to lack.
    w["lam_manager"].user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="compliance", codename__in=["view_licence", "view_approval"]
        )
    )
    return w


def _client(user):
    c = Client()
    c.force_login(user)
    return c


# (admin URL name, the manager's own object, the other vendor's object)
OBJECTS = [
    ("dispatch_vendor", "lam", "asml"),
    ("dispatch_visit", "lam_visit", "asml_visit"),
    ("dispatch_engineer", "lam_engineer", "asml_engineer"),
    ("dispatch_tool", "lam_tool", "asml_tool"),
    ("compliance_decision", "lam_decision", "asml_decision"),
    ("compliance_approval", "lam_approval", "asml_approval"),
    ("compliance_licence", "lam_licence", "asml_licence"),
]


@pytest.mark.parametrize(("name", "own", "other"), OBJECTS)
def test_a_manager_opens_their_own_vendors_objects_and_gets_404_for_another_vendors(
    world, name, own, other
):
    c = _client(world["lam_manager"])
    assert c.get(reverse(f"admin:{name}_change", args=[world[own].pk])).status_code == 200
    for url in (f"admin:{name}_change", f"admin:{name}_history"):
        assert c.get(reverse(url, args=[world[other].pk])).status_code == 404
        assert c.get(reverse(url, args=[999_999])).status_code == 404  # the same as no such id


def test_a_manager_sees_the_general_authorisations_that_name_none_of_another_vendors_engineers(
    world,
):
    c = _client(world["lam_manager"])
    assert (
        c.get(reverse("admin:compliance_licence_change", args=[world["open_veu"].pk])).status_code
        == 200
    )
    named = reverse("admin:compliance_licence_change", args=[world["named_veu"].pk])
    assert c.get(named).status_code == 404


@pytest.mark.parametrize(("name", "own", "other"), OBJECTS)
def test_a_managers_list_pages_show_none_of_another_vendors_rows(world, name, own, other):
    r = _client(world["lam_manager"]).get(reverse(f"admin:{name}_changelist"))
    assert r.status_code == 200
    body = r.content.decode()
    assert reverse(f"admin:{name}_change", args=[world[own].pk]) in body
    assert reverse(f"admin:{name}_change", args=[world[other].pk]) not in body
    for text in OTHER_VENDOR_TEXT:
        assert text not in body, text


def test_the_audit_log_and_the_hold_pages_are_not_for_managers(world, committed):
    w = world
    c = _client(w["lam_manager"])
    with committed():
        visit = _file(w["asml_manager"], w["asml"], w["fab"], w["asml_engineer"], w["asml_tool"])
    assert c.get(reverse("admin:compliance_auditevent_changelist")).status_code == 403
    assert c.get(reverse("admin:compliance_hold_changelist")).status_code == 403
    for page in ("approve", "reject", "false_positive"):
        r = c.get(reverse(f"admin:compliance_hold_{page}", args=[visit.pk]))
        assert r.status_code == 403
        assert "Bram Asmlworker" not in r.content.decode()


def test_the_audit_log_stays_closed_to_a_manager_given_its_view_permission(world):
    manager = world["lam_manager"]
    manager.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert (
        _client(manager).get(reverse("admin:compliance_auditevent_changelist")).status_code == 403
    )


def _visit_body(w, *, engineers, tools, vendor="lam"):
    return {
        "vendor": w[vendor].pk,
        "facility": w["fab"].pk,
        "engineers": [e.pk for e in engineers],
        "tools": [t.pk for t in tools],
        "activity": "maintenance",
        "mode": "on_site",
        "start_date": START.isoformat(),
        "end_date": START.isoformat(),
        "purpose": "Preventive maintenance",
    }


def _form(response):
    return response.context["adminform"].form


def test_the_visit_form_offers_only_the_managers_own_vendor_engineers_and_tools(world):
    r = _client(world["lam_manager"]).get(reverse("admin:dispatch_visit_add"))
    assert r.status_code == 200
    form = _form(r)
    assert list(form.fields["vendor"].queryset) == [world["lam"]]
    assert list(form.fields["engineers"].queryset) == [world["lam_engineer"]]
    assert list(form.fields["tools"].queryset) == [world["lam_tool"]]
    body = r.content.decode()
    assert "Alice Lamworker" in body and "LAM-SN-0001" in body
    for text in OTHER_VENDOR_TEXT:
        assert text not in body, text


@pytest.mark.parametrize(
    ("field", "message"),
    [("tools", "No such tool"), ("engineers", "No such engineer"), ("vendor", "No such vendor")],
)
def test_another_vendors_id_in_a_new_visit_is_refused_like_an_unknown_id(world, field, message):
    w = world
    parties = {"engineers": [w["lam_engineer"]], "tools": [w["lam_tool"]], "vendor": "lam"}
    parties[field] = "asml" if field == "vendor" else [w[f"asml_{field[:-1]}"]]
    before = Visit.objects.count()
    r = _client(w["lam_manager"]).post(
        reverse("admin:dispatch_visit_add"), _visit_body(w, **parties)
    )
    assert r.status_code == 200
    errors = _form(r).errors.get(field, [])
    assert any(message in e for e in errors), errors
    assert Visit.objects.count() == before
    body = r.content.decode()
    for text in OTHER_VENDOR_TEXT:
        assert text not in body, text


def test_another_vendors_tool_or_engineer_added_to_a_visit_is_refused_and_nothing_changes(
    world, committed
):
    w = world
    with committed():
        visit = _file(w["lam_manager"], w["lam"], w["fab"], w["lam_engineer"], w["lam_tool"])
    url = reverse("admin:dispatch_visit_change", args=[visit.pk])
    c = _client(w["lam_manager"])
    for parties, field in (
        ({"engineers": [w["lam_engineer"]], "tools": [w["lam_tool"], w["asml_tool"]]}, "tools"),
        (
            {"engineers": [w["lam_engineer"], w["asml_engineer"]], "tools": [w["lam_tool"]]},
            "engineers",
        ),
    ):
        r = c.post(url, _visit_body(w, **parties))
        assert r.status_code == 200
        assert _form(r).errors.get(field), field
        for text in OTHER_VENDOR_TEXT:
            assert text not in r.content.decode(), text
    visit.refresh_from_db()
    assert list(visit.tools.all()) == [w["lam_tool"]]
    assert list(visit.engineers.all()) == [w["lam_engineer"]]
    assert not w["asml_tool"].visits.exclude(pk=w["asml_visit"].pk).exists()


@pytest.mark.parametrize("field", ["vendor", "engineers", "tools"])
def test_the_admin_autocomplete_offers_a_manager_only_their_own_vendors_rows(world, field):
    r = _client(world["lam_manager"]).get(
        "/admin/autocomplete/",
        {"app_label": "dispatch", "model_name": "visit", "field_name": field, "term": ""},
    )
    assert r.status_code == 200
    body = r.content.decode()
    for text in OTHER_VENDOR_TEXT:
        assert text not in body, text
    assert len(r.json()["results"]) == 1


def test_a_licence_form_offers_an_approver_every_vendor_and_engineer(world):
    r = _client(world["approver"]).get(reverse("admin:compliance_licence_add"))
    form = _form(r)
    assert set(form.fields["holder"].queryset) == {world["lam"], world["asml"]}
    assert {world["lam_engineer"], world["asml_engineer"]} <= set(form.fields["engineers"].queryset)


@pytest.mark.parametrize("role", ["approver", "auditor", "boss"])
def test_approvers_auditors_and_superusers_see_every_vendors_objects(world, role):
    c = _client(world[role])
    for name, own, other in OBJECTS:
        for key in (own, other):
            r = c.get(reverse(f"admin:{name}_change", args=[world[key].pk]))
            assert r.status_code == 200, (name, key)
        body = c.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert reverse(f"admin:{name}_change", args=[world[other].pk]) in body, name
        # A missing id is a 404 for them too.
        assert c.get(reverse(f"admin:{name}_change", args=[999_999])).status_code == 404
    named = reverse("admin:compliance_licence_change", args=[world["named_veu"].pk])
    assert c.get(named).status_code == 200
    assert c.get(reverse("admin:compliance_auditevent_changelist")).status_code == 200
    assert c.get(reverse("admin:compliance_hold_changelist")).status_code == 200


def test_system_health_is_for_staff_only_and_liveness_is_public(world):
    anonymous = Client()
    assert anonymous.get("/healthz").status_code == 200
    r = anonymous.get("/healthz/system")
    assert r.status_code == 302 and "/login/" in r["Location"]
    outsider = make_user("outsider", role="service_manager", vendor=world["lam"])
    outsider.is_staff = False
    outsider.save()
    r = _client(outsider).get("/healthz/system")
    assert r.status_code in (302, 403, 404)
    assert b"unanswered_checks" not in r.content
    staff = _client(world["approver"]).get("/healthz/system")
    assert staff.status_code in (200, 503) and "unanswered_checks" in staff.json()
