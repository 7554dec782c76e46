"""CSV import of engineers: dry-run preview, confirm, per-row errors naming row and column, nothing
written on errors, the vendor from the user, hostile files, screening on arrival, re-checks."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from compliance.models import AuditEvent
from dispatch import services
from dispatch.engineer_import import COLUMNS
from dispatch.models import Engineer
from tests.factories import (
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


@pytest.fixture
def w(rules, sample_list):
    vendor = VendorFactory(name="ASML Netherlands B.V.")
    other = VendorFactory(name="Lam Research Corporation", country="US")
    manager = make_user("asml", role="service_manager", vendor=vendor)
    c = Client()
    c.force_login(manager)
    return {
        "client": c,
        "manager": manager,
        "vendor": vendor,
        "other": other,
        "mine": EngineerFactory(
            vendor=vendor, name="Sanne Bakker", employee_id="E-1", citizenships=["NL"]
        ),
        "theirs": EngineerFactory(
            vendor=other, name="David Miller", employee_id="E-9", citizenships=["US"]
        ),
    }


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _upload(w, raw: bytes, name: str = "engineers.csv"):
    return w["client"].post(
        "/engineers/import/", {"file": SimpleUploadedFile(name, raw, content_type="text/csv")}
    )


def _digest(w) -> str:
    return w["client"].session["engineer_import"]["digest"]


def _confirm(w, digest: str | None = None):
    return w["client"].post(
        "/engineers/import/confirm/", {"digest": digest or _digest(w)}, follow=True
    )


def _state():
    return (
        Engineer.objects.count(),
        AuditEvent.objects.filter(event_type="reference_changed").count(),
        sorted(Engineer.objects.values_list("pk", "name", "home_country")),
    )


VALID = _csv(
    "E-100,Jan de Vries,NL;US:2019-03-01,,NL,no,",
    "E-101,Maria Lopez,MX,US:2015-01-01:,MX,no,1988-04-12",
    "E-1,Sanne Bakker,NL,,NL,no,",
)


def test_a_valid_file_is_previewed_then_imported_on_confirm(w):
    before = _state()
    r = _upload(w, VALID)
    body = r.content.decode()
    assert r.status_code == 200
    assert "Preview of engineers.csv" in body
    assert "2 new" in body and "1 unchanged" in body and "0 changed" in body
    assert "Confirm the import" in body
    assert _state() == before  # the dry run wrote nothing

    r = _confirm(w)
    body = r.content.decode()
    assert "Imported engineers.csv" in body
    jan = Engineer.objects.get(employee_id="E-100")
    assert jan.vendor == w["vendor"]
    assert sorted(jan.citizenships.values_list("country", "since")) == [
        ("NL", None),
        ("US", dt.date(2019, 3, 1)),
    ]
    maria = Engineer.objects.get(employee_id="E-101")
    assert maria.date_of_birth == dt.date(1988, 4, 12)
    assert list(maria.residencies.values_list("country", "since", "until")) == [
        ("US", dt.date(2015, 1, 1), None)
    ]
    assert Engineer.objects.count() == before[0] + 2
    assert AuditEvent.objects.filter(event_type="reference_changed").count() == before[1] + 2
    # One confirm per upload.
    r = _confirm(w, digest="0" * 64)
    assert "Nothing to confirm" in r.content.decode()
    assert Engineer.objects.count() == before[0] + 2


def test_per_row_errors_name_row_and_column_and_nothing_is_written(w):
    before = _state()
    raw = _csv(
        "E-100,Jan de Vries,NL,,NL,no,",
        "E-101,Maria Lopez,MX,US:2015-01-01:,MX,maybe,",
        "E-102,Tan Mei Ling,XX,,SG,no,",
        "E-103,Ana Garcia,US,US:2020-01-01:2019-01-01,US,no,not-a-date",
    )
    body = _upload(w, raw).content.decode()
    assert "row 2, us_protected_individual: &#x27;maybe&#x27; is not yes or no." in body
    assert "row 3, citizenships: &#x27;XX&#x27; is not a country" in body
    assert "row 4, date_of_birth: &#x27;not-a-date&#x27; is not a date" in body
    assert "Confirm the import" not in body
    assert "engineer_import" not in w["client"].session
    assert _state() == before


def test_a_service_refusal_is_a_row_error_too(w):
    before = _state()
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    body = _upload(
        w,
        _csv(
            "E-100,Jan de Vries,NL,,NL,no,",
            f"E-101,Maria Lopez,MX,US:2020-01-01:2019-01-01,MX,no,{future}",
        ),
    ).content.decode()
    assert "row 2, residencies: The residency cannot end before it starts." in body
    assert "row 2, date_of_birth: A date of birth cannot be in the future." in body
    assert "Nothing can be imported" in body
    assert _state() == before


def test_confirm_revalidates_the_stored_file_and_refuses_a_changed_one(w):
    _upload(w, VALID)
    session = w["client"].session
    stored = session["engineer_import"]
    import base64

    stored["data"] = base64.b64encode(_csv("E-666,Evil Row,NL,,NL,no,")).decode()
    session["engineer_import"] = stored
    session.save()
    before = _state()
    r = _confirm(w, digest=stored["digest"])
    assert "Nothing to confirm: upload the file again." in r.content.decode()
    assert _state() == before


def test_confirm_is_bound_to_the_user_and_vendor_of_the_preview(w):
    _upload(w, _csv("E-100,Jan de Vries,NL,,NL,no,"))
    profile = w["manager"].profile
    profile.vendor = w["other"]
    profile.save()
    before = _state()
    r = _confirm(w)
    assert "Nothing to confirm" in r.content.decode()
    assert _state() == before


def test_confirm_decides_on_the_data_of_the_moment_not_on_the_preview(w):
    body = _upload(w, _csv("E-100,Jan de Vries,NL,,NL,no,")).content.decode()
    assert "1 new" in body
    # Meanwhile the engineer is added on the page: the confirm updates them, no duplicate.
    services.engineer_create(
        user=w["manager"],
        vendor=w["vendor"].pk,
        name="J. de Vries",
        employee_id="E-100",
        home_country="NL",
        citizenships=["NL"],
    )
    body = _confirm(w).content.decode()
    assert "Imported engineers.csv" in body and "1 changed" in body
    assert Engineer.objects.get(vendor=w["vendor"], employee_id="E-100").name == "Jan de Vries"


def test_the_vendor_comes_from_the_user_never_from_the_file(w):
    before = _state()
    body = _upload(
        w, _csv(f"E-100,Jan,NL,,NL,no,,{w['other'].pk}", header=HEADER + ",vendor")
    ).content.decode()
    assert "Remove the vendor column" in body
    assert _state() == before
    # Another vendor's employee id creates an engineer of the user's vendor; theirs is untouched.
    _upload(w, _csv("E-9,David Miller Jr,US,,US,no,"))
    _confirm(w)
    assert Engineer.objects.get(pk=w["theirs"].pk).name == "David Miller"
    assert Engineer.objects.get(vendor=w["vendor"], employee_id="E-9").name == "David Miller Jr"


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tTab", " =padded"]
)
def test_formula_looking_cells_are_refused(w, cell):
    before = _state()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["E-100", cell, "NL", "", "NL", "no", ""])
    body = _upload(w, out.getvalue().encode()).content.decode()
    assert "row 1, name:" in body and "looks like a spreadsheet formula" in body
    assert _state() == before


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"PK\x03\x04" + b"\x00" * 100, "is not a CSV file"),
        ("employee_id,name\n".encode("utf-16"), "is not a CSV file"),
        (HEADER.encode() + b"\nE-1,J\xe9r\xf4me,NL,,NL,no,\n", "is not UTF-8 text"),
        (b"", "The submitted file is empty."),
        (HEADER.encode() + b"\n", "no engineers"),
        (b"employee_id,name\nE-1,Jan\n", "Column &#x27;citizenships&#x27; is missing"),
        (HEADER.encode() + b",salary\nE-1,Jan,NL,,NL,no,,1\n", "Unknown column"),
        (HEADER.encode() + b"\nE-1,Jan,NL,,NL,no,,extra\n", "could not be read as CSV"),
        (_csv(*["E-{i},N,NL,,NL,no,"] * 2001), "more than 2000 rows"),
        (HEADER.encode() + b"\n" + b"x" * (400 * 1024), "larger than 384 KiB"),
    ],
)
def test_files_that_cannot_be_read_are_refused_cleanly(w, raw, message):
    before = _state()
    r = _upload(w, raw)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert _state() == before


def test_the_same_employee_id_twice_in_a_file_is_refused(w):
    body = _upload(w, _csv("E-100,Jan,NL,,NL,no,", "E-100,Jan again,NL,,NL,no,")).content.decode()
    assert "row 2, employee_id: &#x27;E-100&#x27; is also on row 1" in body


def test_an_engineer_on_a_list_is_screened_on_arrival(w):
    body = _upload(w, _csv("E-100,Jinhua Hong,CN,,CN,no,")).content.decode()
    assert "possible match" in body and "SDN" in body
    body = _confirm(w).content.decode()
    assert "possible match" in body and "SDN" in body
    assert Engineer.objects.filter(employee_id="E-100", vendor=w["vendor"]).exists()


def test_changed_engineers_open_visits_are_rechecked_on_confirm(w, committed):
    fab = FacilityFactory(logic_node_nm=28)
    tool = ToolFactory(facility=fab, oem=w["vendor"], model="TWINSCAN NXT:1980i")
    start = dt.date.today() + dt.timedelta(days=9)
    with committed():
        visit = services.visit_create(
            requested_by=w["manager"],
            vendor=w["vendor"].pk,
            facility=fab.pk,
            engineers=[w["mine"].pk],
            tools=[tool.pk],
            activity="maintenance",
            start_date=start,
            end_date=start + dt.timedelta(days=1),
        )
    checks = visit.decisions.count()
    with committed():
        body = _upload(w, _csv("E-1,Sanne Bakker,NL;US:2020-05-01,,NL,no,")).content.decode()
    assert "1 changed" in body and "citizenships" in body
    assert visit.decisions.count() == checks  # the preview re-checks nothing
    with committed():
        _confirm(w)
    assert visit.decisions.count() == checks + 1
    visit.refresh_from_db()
    engineers = visit.current_decision.document["engineers"]
    assert {c if isinstance(c, str) else c["country"] for c in engineers[0]["citizenships"]} == {
        "NL",
        "US",
    }


def test_the_template_downloads_with_the_import_columns(w):
    r = w["client"].get("/engineers/import/template.csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert tuple(rows[0]) == COLUMNS
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # The template imports as it is.
    body = _upload(w, r.content).content.decode()
    assert "2 new" in body and "Confirm the import" in body


def test_other_roles_cannot_import(w):
    for role in ("approver", "auditor"):
        c = Client()
        c.force_login(make_user(f"u-{role}", role=role))
        assert c.get("/engineers/import/").status_code == 404
        r = c.post("/engineers/import/", {"file": SimpleUploadedFile("e.csv", VALID)})
        assert r.status_code == 404
    assert not Engineer.objects.filter(employee_id="E-100").exists()


@pytest.mark.parametrize("cell", ["Wei Zhang\n", "Wei Zhang\r\n", "Wei\x0bZhang"])
def test_a_control_character_in_a_cell_is_refused_not_trimmed(w, cell):
    before = _state()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["E-100", cell, "NL", "", "NL", "no", ""])
    body = _upload(w, out.getvalue().encode()).content.decode()
    assert "row 1, name:" in body and "control character" in body
    assert _state() == before
