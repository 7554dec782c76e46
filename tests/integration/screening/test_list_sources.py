"""Lists of every source: the UN list in force, per-source snapshots, what a hit means, switching a
source, and the scheduled refresh against a local HTTP server (conditional requests, refusals)."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from compliance.checks.evaluate import decision_replay
from compliance.models import AuditEvent, ListSnapshot, ListSource
from compliance.services import list_snapshot_import
from compliance.services.list_sources import (
    OUTCOME_FETCHED,
    OUTCOME_NOT_MODIFIED,
    OUTCOME_REFUSED,
    list_source_refresh,
    list_source_set_enabled,
)
from config.errors import ApplicationError, PermissionDenied
from dispatch import services
from dispatch.models import VisitStatus
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

UN_FULL = Path("tests/data/un-sc-consolidated-2026-02-27.xml.gz")
UN_SAMPLE = Path("tests/data/un-sc-sample.xml")
UN_OWNER = "Leader (Hong Kong) International Trading Limited"  # alias of UN KPe.017 (DPRK)


def _visit(committed, *, owner: str, vendor_country: str = "NL", country: str = "HK"):
    vendor = VendorFactory(name=f"Vendor {vendor_country}", country=vendor_country)
    manager = make_user(f"mgr-{vendor_country.lower()}", role="service_manager", vendor=vendor)
    fab = FacilityFactory(customer=CustomerFactory(name=owner, country=country), logic_node_nm=40)
    engineer = EngineerFactory(vendor=vendor, name="Sanne Bakker", citizenships=["NL"])
    start = dt.date.today() + dt.timedelta(days=10)
    with committed():
        visit = services.visit_create(
            requested_by=manager,
            vendor=vendor.pk,
            facility=fab.pk,
            engineers=[engineer.pk],
            activity="maintenance",
            start_date=start,
            end_date=start,
        )
    visit.refresh_from_db()
    return visit


def _rules(visit) -> set[str]:
    return {f["rule"] for f in visit.current_decision.result["findings"]}


# --- The UN list -----------------------------------------------------------------------------
def test_the_un_list_imports_with_its_1003_entries(rules, sample_list):
    snapshot = list_snapshot_import(path=str(UN_FULL), source="un-sc")
    assert snapshot.entry_count == 1003
    assert snapshot.counts == {"UN": 1003}
    types = snapshot.entries.values_list("data__entity_type", flat=True)
    assert sum(1 for t in types if t == "Individual") == 730
    assert sum(1 for t in types if t == "Entity") == 273
    # Against the 33-entry sample in force before: the 1003 minus the sample's are added.
    assert snapshot.diff["added"] == 1003 - 33 and snapshot.diff["removed"] == 0
    assert snapshot.previous.source == "un-sc"
    # One snapshot in force per source; the CSL's is untouched.
    active = dict(ListSnapshot.objects.filter(is_active=True).values_list("source", "pk"))
    assert active["un-sc"] == snapshot.pk and active["us-csl"] == sample_list.pk


def test_a_un_listed_owner_holds_the_visit_citing_the_un_list_and_the_implementing_act(
    rules, sample_list, committed
):
    visit = _visit(committed, owner=UN_OWNER)
    assert visit.status == VisitStatus.ON_HOLD
    (finding,) = [
        f for f in visit.current_decision.result["findings"] if f["rule"] == "LIST-UN-HIT"
    ]
    assert finding["effect"] == "review"
    assert "UN Charter Art. 25" in finding["citation"]
    assert "Resolution 1718 (2006)" in finding["citation"]  # the DPRK regime
    # Vendor in NL: the EU's implementing regulations.
    assert "Regulation (EU) 2017/1509" in finding["citation"]
    assert finding["facts"]["entry_id"] == "UN:KPe.017"
    # The decision names the version of every source it used.
    version = visit.current_decision.lists_version
    for source in ("us-csl", "un-sc", "eu-fsf", "uk-fcdo", "jp-eul"):
        assert f"{source}=" in version
    assert decision_replay(visit.current_decision).identical


def test_the_implementing_act_follows_the_vendor_country(rules, sample_list, committed):
    visit = _visit(committed, owner=UN_OWNER, vendor_country="US")
    (finding,) = [
        f for f in visit.current_decision.result["findings"] if f["rule"] == "LIST-UN-HIT"
    ]
    assert "22 U.S.C. 287c" in finding["citation"]
    assert "2017/1509" not in finding["citation"]


def test_a_malformed_un_file_is_refused_and_the_snapshot_in_force_stays(
    rules, sample_list, tmp_path
):
    before = ListSnapshot.objects.get(is_active=True, source="un-sc")
    cut = tmp_path / "cut.xml"
    cut.write_bytes(UN_SAMPLE.read_bytes()[:5000])
    wrong_root = tmp_path / "root.xml"
    wrong_root.write_text("<export><sanctionEntity/></export>", encoding="utf-8")
    no_name = tmp_path / "noname.xml"
    no_name.write_text(
        "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><REFERENCE_NUMBER>QDi.1</REFERENCE_NUMBER>"
        "</INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>",
        encoding="utf-8",
    )
    for path, expected in (
        (cut, "not well-formed XML"),
        (wrong_root, "not <CONSOLIDATED_LIST>"),
        (no_name, "record 1: entry QDi.1 has no name"),
    ):
        with pytest.raises(ApplicationError) as exc:
            list_snapshot_import(path=str(path), source="un-sc")
        assert expected in exc.value.message
    assert ListSnapshot.objects.get(is_active=True, source="un-sc").pk == before.pk
    assert ListSnapshot.objects.filter(source="un-sc").count() == 1


def test_a_file_with_far_fewer_entries_is_refused_unless_allowed(rules, sample_list, tmp_path):
    list_snapshot_import(path=str(UN_FULL), source="un-sc")
    with pytest.raises(ApplicationError) as exc:
        list_snapshot_import(path=str(UN_SAMPLE), source="un-sc")
    assert "33 entries against 1003" in exc.value.message
    with pytest.raises(CommandError):
        call_command("import_screening_list", str(UN_SAMPLE), "--source", "un-sc", verbosity=0)
    call_command(
        "import_screening_list", str(UN_SAMPLE), "--source", "un-sc", "--allow-drop", verbosity=0
    )
    assert ListSnapshot.objects.get(is_active=True, source="un-sc").entry_count == 33


# --- Sources binding the visit, missing, stale, switched ------------------------------------
def test_a_missing_source_that_binds_the_visit_holds_it_naming_the_source(
    rules, committed, settings
):
    list_snapshot_import(path="compliance/screening/data/sample_csl.csv")
    visit = _visit(committed, owner="Unlisted Foundry Co")
    findings = [
        f for f in visit.current_decision.result["findings"] if f["rule"] == "SYSTEM-LIST-MISSING"
    ]
    named = {f["facts"]["source"] for f in findings}
    # The UN list binds every vendor, the EU list a Dutch one; the UK and Japanese lists do not.
    assert named == {"un-sc", "eu-fsf"}
    assert visit.status == VisitStatus.ON_HOLD


def test_a_stale_source_holds_and_a_fresh_snapshot_clears(rules, sample_list, committed):
    ListSnapshot.objects.filter(is_active=True, source="un-sc").update(
        imported_at=timezone.now() - dt.timedelta(days=8)
    )
    visit = _visit(committed, owner="Unlisted Foundry Co")
    assert visit.status == VisitStatus.ON_HOLD
    (stale,) = [
        f for f in visit.current_decision.result["findings"] if f["rule"] == "SYSTEM-STALE-LIST"
    ]
    assert stale["facts"]["source"] == "un-sc"
    assert "UN Security Council Consolidated List" in stale["message"]
    # A fresh snapshot of the same source re-checks the visit held for it, which clears.
    with committed():
        list_snapshot_import(path=str(UN_FULL), source="un-sc")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED, _rules(visit)


def test_switching_a_source_is_audited_and_rechecks(rules, sample_list, committed):
    visit = _visit(committed, owner=UN_OWNER)
    assert "LIST-UN-HIT" in _rules(visit)
    approver = make_user("approver", role="approver")
    with pytest.raises(PermissionDenied):
        list_source_set_enabled(
            key="un-sc", enabled=False, actor=visit.requested_by, reason="not needed"
        )
    with pytest.raises(ApplicationError):
        list_source_set_enabled(key="un-sc", enabled=False, actor=approver, reason=" ")
    with committed():
        list_source_set_enabled(
            key="un-sc", enabled=False, actor=approver, reason="licensed feed used instead"
        )
    visit.refresh_from_db()
    assert "LIST-UN-HIT" not in _rules(visit)
    assert "un-sc=" not in visit.current_decision.lists_version
    event = AuditEvent.objects.filter(event_type="list_source_changed").get()
    assert event.new["enabled"] is False and event.new["reason"] == "licensed feed used instead"
    assert event.actor == approver


# --- Scheduled refresh against a local server -----------------------------------------------
class _Server:
    """A local HTTP server whose answer each test sets: body, status, ETag, delay, cut."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.etag = '"v1"'
        self.delay = 0.0
        self.declared_length: int | None = None
        self.redirect = ""
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers))
                if server.delay:
                    time.sleep(server.delay)
                if server.redirect:
                    self.send_response(302)
                    self.send_header("Location", server.redirect)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == server.etag and server.status == 200:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(server.status)
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(server.declared_length or len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/consolidated.xml"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def un_source(server, sample_list):
    state, _ = ListSource.objects.get_or_create(key="un-sc")
    state.url = server.url
    state.save()
    return state


def _active_un() -> ListSnapshot:
    return ListSnapshot.objects.get(is_active=True, source="un-sc")


def test_a_200_with_a_valid_newer_file_makes_a_snapshot_and_a_304_keeps_it(
    rules, un_source, server, committed, mailoutbox
):
    visit = _visit(committed, owner="Hesong Trading Company")  # UN KPe.024, not in the sample
    assert "LIST-UN-HIT" not in _rules(visit)
    server.body = gzip.decompress(UN_FULL.read_bytes())
    with committed():
        result = list_source_refresh(key="un-sc")
    assert result.outcome == OUTCOME_FETCHED
    assert _active_un().entry_count == 1003
    visit.refresh_from_db()
    assert "LIST-UN-HIT" in _rules(visit)  # re-checked: its owner is now listed
    state = ListSource.objects.get(key="un-sc")
    assert state.etag == '"v1"' and state.last_outcome == OUTCOME_FETCHED

    before = _active_un().pk
    later = timezone.now() + dt.timedelta(hours=25)
    result = list_source_refresh(key="un-sc", now=later)
    assert result.outcome == OUTCOME_NOT_MODIFIED
    assert server.requests[-1]["If-None-Match"] == '"v1"'
    assert _active_un().pk == before
    state.refresh_from_db()
    assert state.last_attempt_at == later and state.last_success_at == later
    assert not [m for m in mailoutbox if "refused" in m.subject]


@pytest.mark.parametrize(
    "case",
    ["truncated", "half", "timeout", "500", "malformed", "redirect-to-file"],
)
def test_a_bad_download_is_refused_and_fails_closed(
    rules, un_source, server, committed, settings, mailoutbox, case
):
    make_user("approver", role="approver")
    full = gzip.decompress(UN_FULL.read_bytes())
    list_snapshot_import(raw=full, source="un-sc")
    before = _active_un().pk
    server.etag = '"v2"'
    if case == "truncated":
        server.body, server.declared_length = full[: len(full) // 2], len(full)
    elif case == "half":
        # A well-formed list with the individuals only: 730 of 1003 is a fall of 27 %.
        text = full.decode()
        start, end = text.index("<ENTITIES>"), text.index("</ENTITIES>") + len("</ENTITIES>")
        server.body = (text[:start] + "<ENTITIES/>" + text[end:]).encode()
    elif case == "timeout":
        settings.COMPLIANCE = {**settings.COMPLIANCE, "LIST_FETCH_TIMEOUT_SECONDS": 0.3}
        server.body, server.delay = full, 1.0
    elif case == "500":
        server.status, server.body = 500, b"oops"
    elif case == "redirect-to-file":
        server.redirect = "file:///etc/passwd"
    else:
        server.body = b"<CONSOLIDATED_LIST><INDIVIDUALS>"
    with committed():
        result = list_source_refresh(key="un-sc", force=True)
    assert result.outcome == OUTCOME_REFUSED, result.message
    assert _active_un().pk == before
    state = ListSource.objects.get(key="un-sc")
    assert state.last_outcome == OUTCOME_REFUSED and state.last_error
    event = AuditEvent.objects.filter(event_type="list_refused").get()
    assert event.new["source"] == "un-sc"
    (mail,) = mailoutbox
    assert "UN Security Council Consolidated List" in mail.subject
    assert "approver@example.com" in mail.to


def test_a_visit_held_for_a_stale_list_clears_once_a_304_confirms_it(
    rules, un_source, server, committed
):
    server.body = UN_SAMPLE.read_bytes()
    with committed():
        list_source_refresh(key="un-sc")
    ListSnapshot.objects.filter(is_active=True, source="un-sc").update(
        imported_at=timezone.now() - dt.timedelta(days=8)
    )
    ListSource.objects.filter(key="un-sc").update(
        last_success_at=timezone.now() - dt.timedelta(days=8)
    )
    visit = _visit(committed, owner="Unlisted Foundry Co")
    assert visit.status == VisitStatus.ON_HOLD
    assert "SYSTEM-STALE-LIST" in _rules(visit)
    with committed():
        result = list_source_refresh(key="un-sc")
    assert result.outcome == OUTCOME_NOT_MODIFIED and result.rechecked == 1
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CLEARED, _rules(visit)


def test_healthz_system_shows_each_source(rules, sample_list, client):
    admin = make_user("root", role="approver")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    body = client.get("/healthz/system").json()
    states = {s["source"]: s["state"] for s in body["lists"]}
    assert states == {
        "us-csl": "fresh",
        "un-sc": "fresh",
        "eu-fsf": "fresh",
        "uk-fcdo": "fresh",
        "jp-eul": "fresh",
        "opensanctions": "off",
    }
    assert body["lists_ok"] is True
