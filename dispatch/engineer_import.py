"""CSV import of a vendor's engineers, on django-import-export's Resource and dry-run machinery.

A file is read by tablib, each row is cleaned by the widgets below (an error names the row and the
column) and written through ``engineer_create`` / ``engineer_update`` (validation, audit, re-check
of the engineer's open visits), then screened. A dry run does all of it inside a transaction that
is rolled back: the preview is what a confirm would do. A confirm runs the same import again on the
same bytes, in one transaction that is rolled back if any row fails, so nothing is written unless
every row is. The vendor is the importing user's; a file never names one.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from import_export import fields, resources, widgets
from import_export.results import RowResult

from config.csv_cells import SafeWriter, looks_like_formula, safe_cell
from config.errors import ApplicationError
from config.text import unsafe_message
from dispatch import selectors, services
from dispatch.countries import is_country_code
from dispatch.engineer_screening import ArrivalScreening, screen_engineer
from dispatch.models import Citizenship, Engineer, Residency

# Under the site's request body limit (MAX_REQUEST_BODY_BYTES, 512 KiB), so that the page, not the
# limit, answers a file that is too large; 2,000 engineers take about 160 KiB.
MAX_BYTES = 384 * 1024
MAX_ROWS = 2000
COLUMNS = (
    "employee_id",
    "name",
    "citizenships",
    "residencies",
    "home_country",
    "us_protected_individual",
    "date_of_birth",
)
REQUIRED_COLUMNS = ("employee_id", "name", "citizenships", "home_country")
TEMPLATE_ROWS = (
    ("E-1001", "Jan de Vries", "NL", "US:2019-03-01:", "NL", "no", ""),
    ("E-1002", "Sanne Bakker", "NL;DE:2015-06-30", "", "DE", "no", "1988-04-12"),
)


class ImportRefused(Exception):
    """The file as a whole cannot be read (format, size, columns): nothing was imported."""


def template_csv() -> str:
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def export_csv(*, user: Any, vendor_id: int) -> str:
    """The vendor's engineers in the import's columns and cell formats (so the file can be
    edited and imported again); every cell spreadsheet-safe."""
    resource = EngineerResource(user=user, vendor_id=vendor_id)
    engineers = (
        resource.get_queryset().prefetch_related("citizenships", "residencies").order_by("name")
    )
    return resource.export(queryset=engineers).csv


# --- Reading the file ------------------------------------------------------------------------


def read_dataset(raw: bytes) -> tablib.Dataset:
    """The file as a dataset with the known columns, or ``ImportRefused`` saying why not."""
    if len(raw) > MAX_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_BYTES // 1024} KiB: split it.")
    if not raw.strip():
        raise ImportRefused("The file is empty.")
    if b"\x00" in raw or raw.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise ImportRefused("The file is not a CSV file (save it from the spreadsheet as CSV).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The file is not UTF-8 text: save it as CSV UTF-8.") from None
    try:
        dataset = tablib.Dataset().load(text, format="csv")
    except Exception:
        raise ImportRefused(
            "The file could not be read as CSV: a row has more cells than the header row."
        ) from None
    headers = [(h or "").strip().lower() for h in dataset.headers or []]
    if "vendor" in headers:
        raise ImportRefused(
            "Remove the vendor column: engineers are always imported into your own vendor."
        )
    unknown = [h for h in headers if h not in COLUMNS]
    if unknown:
        raise ImportRefused(f"Unknown column {unknown[0]!r}: the columns are {', '.join(COLUMNS)}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise ImportRefused(f"Column {missing[0]!r} is missing: see the template.")
    if len(set(headers)) != len(headers):
        raise ImportRefused("A column appears twice in the header row.")
    if len(dataset) > MAX_ROWS:
        raise ImportRefused(f"The file has more than {MAX_ROWS} rows: split it.")
    if not len(dataset):
        raise ImportRefused("The file has a header row but no engineers.")
    dataset.headers = headers
    for column in COLUMNS:  # optional columns read as empty
        if column not in headers:
            dataset.append_col([""] * len(dataset), header=column)
    return dataset


# --- Cells -----------------------------------------------------------------------------------


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    if looks_like_formula(text):
        raise ValueError(
            f"{text[:20]!r} looks like a spreadsheet formula (a cell may not start with "
            "=, +, -, @, a tab, a carriage return or a line break)."
        )
    if message := unsafe_message(text):
        # Also at either end of the cell, where stripping would drop it without a word.
        raise ValueError(message)
    return text.strip()


def _country(value: str) -> str:
    code = value.strip().upper()
    if not is_country_code(code):
        raise ValueError(f"{value.strip()!r} is not a country (ISO 3166-1 alpha-2, e.g. NL, US).")
    return code


def _date(value: str, what: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date {what}(YYYY-MM-DD).") from None


class TextWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return _text(value)


class RequiredTextWidget(TextWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = super().clean(value, row, **kwargs)
        if not text:
            raise ValueError("This cell is required.")
        return text


class CountryWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return _country(_text(value))


class YesNoWidget(widgets.Widget):
    TRUE = ("yes", "y", "true", "1")
    FALSE = ("no", "n", "false", "0", "")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        text = _text(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"{text!r} is not yes or no.")


class BirthDateWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        return _date(_text(value), "")


class CitizenshipsWidget(widgets.Widget):
    """``NL;US:2019-03-01``: each citizenship, with the date acquired if known."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        out = []
        for item in filter(None, (i.strip() for i in _text(value).split(";"))):
            country, _, since = item.partition(":")
            out.append({"country": _country(country), "since": _date(since, "acquired ")})
        if not out:
            raise ValueError("At least one citizenship is required (e.g. NL).")
        return out


class ResidenciesWidget(widgets.Widget):
    """``US:2019-03-01:`` (country:since:until, either date may be empty), ``;`` between them."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        out = []
        for item in filter(None, (i.strip() for i in _text(value).split(";"))):
            country, _, dates = item.partition(":")
            since, _, until = dates.partition(":")
            out.append(
                {
                    "country": _country(country),
                    "since": _date(since, "since "),
                    "until": _date(until, "until "),
                }
            )
        return out


# --- The resource ----------------------------------------------------------------------------

# Resource field attribute -> the file's column (errors name the column).
_ATTRIBUTE_COLUMNS = {"citizenship_rows": "citizenships", "residency_rows": "residencies"}
# A service's error key (e.g. "permanent_residencies[0].until") -> the file's column.
_SERVICE_COLUMNS = {"permanent_residencies": "residencies", "is_active": NON_FIELD_ERRORS}


def _facts_of(engineer: Engineer) -> dict[str, Any]:
    return {
        "name": engineer.name,
        "home_country": engineer.home_country,
        "us_protected_individual": engineer.us_protected_individual,
        "date_of_birth": engineer.date_of_birth,
        "citizenships": sorted(
            (c.country, c.since) for c in Citizenship.objects.filter(engineer_id=engineer.pk)
        ),
        "residencies": sorted(
            (r.country, str(r.since), str(r.until))
            for r in Residency.objects.filter(engineer_id=engineer.pk)
        ),
    }


def _facts_in_row(instance: Engineer) -> dict[str, Any]:
    cits = getattr(instance, "citizenship_rows", [])
    ress = getattr(instance, "residency_rows", [])
    return {
        "name": instance.name,
        "home_country": instance.home_country,
        "us_protected_individual": instance.us_protected_individual,
        "date_of_birth": instance.date_of_birth,
        "citizenships": sorted((c["country"], c["since"]) for c in cits),
        "residencies": sorted((r["country"], str(r["since"]), str(r["until"])) for r in ress),
    }


class EngineerResource(resources.ModelResource):
    employee_id = fields.Field("employee_id", "employee_id", RequiredTextWidget())
    name = fields.Field("name", "name", RequiredTextWidget())
    citizenship_rows = fields.Field("citizenship_rows", "citizenships", CitizenshipsWidget())
    residency_rows = fields.Field("residency_rows", "residencies", ResidenciesWidget())
    home_country = fields.Field("home_country", "home_country", CountryWidget())
    us_protected_individual = fields.Field(
        "us_protected_individual", "us_protected_individual", YesNoWidget()
    )
    date_of_birth = fields.Field("date_of_birth", "date_of_birth", BirthDateWidget())

    class Meta:
        model = Engineer
        fields = (
            "employee_id",
            "name",
            "citizenship_rows",
            "residency_rows",
            "home_country",
            "us_protected_individual",
            "date_of_birth",
        )
        import_id_fields = ("employee_id",)
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        store_instance = True
        clean_model_instances = False  # the service validates (and says which field)
        use_transactions = True

    def __init__(self, *, user: Any, vendor_id: int) -> None:
        super().__init__()
        self.user = user
        self.vendor_id = vendor_id
        self.seen: dict[str, int] = {}

    def get_queryset(self) -> Any:
        return selectors.engineers_visible_to(self.user).filter(vendor_id=self.vendor_id)

    def init_instance(self, row: Any = None) -> Engineer:
        return Engineer(vendor_id=self.vendor_id)

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        employee_id = str(row.get("employee_id") or "").strip()
        first = self.seen.setdefault(employee_id, kwargs["row_number"])
        if employee_id and first != kwargs["row_number"]:
            raise ValidationError(
                {"employee_id": f"{employee_id!r} is also on row {first}: list it once."}
            )

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if import_validation_errors:
            return False
        new = _facts_in_row(instance)
        if instance.pk is None:
            instance.import_changes = []
            return False
        old = _facts_of(original)
        instance.import_changes = [k.replace("_", " ") for k in new if new[k] != old[k]]
        return not instance.import_changes

    def save_instance(self, instance: Any, is_create: bool, row: Any, **kwargs: Any) -> None:
        facts = {
            "name": instance.name,
            "home_country": instance.home_country,
            "us_protected_individual": instance.us_protected_individual,
            "date_of_birth": instance.date_of_birth,
            "citizenships": instance.citizenship_rows,
            "permanent_residencies": instance.residency_rows,
        }
        try:
            if is_create:
                saved = services.engineer_create(
                    user=self.user,
                    vendor=self.vendor_id,
                    employee_id=instance.employee_id,
                    **facts,
                )
                instance.pk = saved.pk
            else:
                saved = services.engineer_update(
                    engineer=Engineer.objects.get(pk=instance.pk), user=self.user, **facts
                )
        except ApplicationError as exc:
            errors: dict[str, list[str]] = {}
            for key, messages in (exc.errors or {NON_FIELD_ERRORS: [exc.message]}).items():
                base = key.split("[")[0].split(".")[0]
                column = _SERVICE_COLUMNS.get(base, base)
                column = column if column in COLUMNS else NON_FIELD_ERRORS
                errors.setdefault(column, []).extend(messages)
            raise ValidationError(errors) from None
        instance.screening = screen_engineer(saved)

    # --- Export: the import's columns and cell formats, so an export can be imported again ------
    def dehydrate_citizenship_rows(self, engineer: Engineer) -> str:
        return ";".join(
            f"{c.country}:{c.since}" if c.since else str(c.country)
            for c in engineer.citizenships.all()
        )

    def dehydrate_residency_rows(self, engineer: Engineer) -> str:
        return ";".join(
            f"{r.country}:{r.since or ''}:{r.until or ''}" for r in engineer.residencies.all()
        )

    def dehydrate_us_protected_individual(self, engineer: Engineer) -> str:
        return "yes" if engineer.us_protected_individual else "no"

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        # Every export cell is spreadsheet-safe: a name such as "=HYPERLINK(…)" comes out as text.
        return safe_cell(super().export_field(field, instance, **kwargs))


# --- Running an import -----------------------------------------------------------------------

KIND = {
    RowResult.IMPORT_TYPE_NEW: "new",
    RowResult.IMPORT_TYPE_UPDATE: "changed",
    RowResult.IMPORT_TYPE_SKIP: "unchanged",
}


@dataclass
class ImportRow:
    number: int
    employee_id: str
    name: str
    kind: str  # new, changed, unchanged, error
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screening: ArrivalScreening | None = None


@dataclass
class ImportReport:
    rows: list[ImportRow]
    written: bool

    @property
    def errors(self) -> list[str]:
        return [e for r in self.rows for e in r.errors]

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind)


def _row_errors(number: int, row_result: RowResult) -> list[str]:
    out = []
    if row_result.validation_error is not None:
        for attribute, errs in row_result.validation_error.message_dict.items():
            column = _ATTRIBUTE_COLUMNS.get(attribute, attribute)
            where = f"row {number}" if column == NON_FIELD_ERRORS else f"row {number}, {column}"
            out.extend(f"{where}: {e}" for e in errs)
    for err in row_result.errors:
        out.append(f"row {number}: could not be saved ({type(err.error).__name__}).")
    return out


def run_import(*, user: Any, vendor_id: int, raw: bytes, dry_run: bool) -> ImportReport:
    """Import ``raw`` for ``user`` into ``vendor_id``; with ``dry_run`` nothing is kept. Raises
    ``ImportRefused`` for a file that cannot be read at all."""
    dataset = read_dataset(raw)
    resource = EngineerResource(user=user, vendor_id=vendor_id)
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
    rows = []
    for number, (row_result, data) in enumerate(zip(result.rows, dataset.dict, strict=True), 1):
        errors = _row_errors(number, row_result)
        instance = row_result.instance
        rows.append(
            ImportRow(
                number=number,
                employee_id=str(data.get("employee_id") or "").strip(),
                name=str(data.get("name") or "").strip(),
                kind="error" if errors else KIND.get(row_result.import_type, "error"),
                changes=list(getattr(instance, "import_changes", []) or []),
                errors=errors,
                screening=getattr(instance, "screening", None),
            )
        )
    for error in result.base_errors:
        rows.append(ImportRow(0, "", "", "error", errors=[f"file: {error.error}"]))
    written = not dry_run and not any(r.errors for r in rows)
    return ImportReport(rows=rows, written=written)
