"""The dispatch domain: who (engineers of a vendor) goes where (a fab building) to do what.

Models hold data and invariants; writes go through ``dispatch.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from config.text import nfc
from dispatch.countries import region_error, validate_country_code
from dispatch.validators import (
    SingleLineFormField,
    classifications_problem,
    multiline_text_problem,
    validate_alias_texts,
    validate_multiline_text,
    validate_owner_stakes,
    validate_plain_text,
    validate_visit_items,
    validate_visit_parties,
)


class NameField(models.CharField):
    """A name, address or identifier as typed: stored in Unicode NFC, refused when it carries
    a direction control, an invisible or a control character (``config.text``)."""

    default_validators = [validate_plain_text]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SingleLineFormField, **kwargs})

    def to_python(self, value):
        value = super().to_python(value)
        return nfc(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return nfc(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = nfc(value)
            setattr(model_instance, self.attname, value)
        return value


class CountryField(models.CharField):
    """ISO 3166-1 alpha-2, upper case, validated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("validators", [validate_country_code])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


class Activity(models.TextChoices):
    INSTALLATION = "installation", "Installation"
    MAINTENANCE = "maintenance", "Maintenance"
    REPAIR = "repair", "Repair"
    OVERHAUL = "overhaul", "Overhaul"
    REFURBISHMENT = "refurbishment", "Refurbishment"
    UPGRADE = "upgrade", "Upgrade"
    SPARE_PARTS = "spare_parts", "Spare parts"
    SOFTWARE_UPDATE = "software_update", "Software update"
    REMOTE_SUPPORT = "remote_support", "Remote support"
    TRAINING = "training", "Training"
    INSPECTION = "inspection", "Inspection"
    DECOMMISSIONING = "decommissioning", "Decommissioning"


class Mode(models.TextChoices):
    ON_SITE = "on_site", "On site"
    REMOTE = "remote", "Remote"


class Product(models.TextChoices):
    LOGIC = "logic", "Logic"
    DRAM = "dram", "DRAM"
    NAND = "nand", "NAND"
    OTHER = "other", "Other"


class Vendor(models.Model):
    """A tool vendor (or one of its legal entities) that employs field-service engineers."""

    name = NameField("legal name", max_length=200, unique=True)
    country = CountryField(help_text="Country of organisation (ISO 3166-1 alpha-2).")
    is_us_branch = models.BooleanField(
        "is a US branch",
        default=False,
        help_text="A foreign branch of a US-organised company is itself a U.S. person (15 CFR 772.1).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Engineer(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="engineers")
    name = NameField(max_length=200)
    employee_id = NameField("employee id", max_length=50)
    us_protected_individual = models.BooleanField(
        "US protected individual",
        default=False,
        help_text="Protected individual under 8 U.S.C. 1324b(a)(3) (certain refugees and asylees).",
    )
    home_country = CountryField(
        help_text="Where the engineer is based; the location for remote work."
    )
    date_of_birth = models.DateField(
        null=True,
        blank=True,
        help_text="Optional. Screening uses it to tell a listed person from a namesake.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "employee_id"], name="engineer_employee_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Citizenship(models.Model):
    """Every citizenship ever held: ITAR counts all of them, the EAR the most recent (DOMAIN sec. 5)."""

    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="citizenships")
    country = CountryField()
    since = models.DateField(null=True, blank=True, help_text="Date acquired, if known.")

    class Meta:
        # Undated first on every database (SQLite and PostgreSQL disagree on NULLs by default):
        # a visit document lists them in this order, and its digest must not depend on the backend.
        ordering = [F("since").asc(nulls_first=True), "country"]
        constraints = [
            models.UniqueConstraint(fields=["engineer", "country"], name="citizenship_unique"),
        ]

    def __str__(self) -> str:
        return self.country


class Residency(models.Model):
    """A permanent residency (e.g. a US green card), with the period it was held."""

    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="residencies")
    country = CountryField()
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = [F("since").asc(nulls_first=True), "country"]  # as Citizenship
        verbose_name_plural = "residencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=F("since")),
                name="residency_until_after_since",
                violation_error_message="The residency cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.country


class Customer(models.Model):
    """The company that owns fab buildings; screened against restricted-party lists."""

    name = NameField("legal name", max_length=300, unique=True)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names the owner trades under.",
        validators=[validate_alias_texts],
    )
    owners = models.JSONField(
        default=list,
        blank=True,
        help_text='Who owns this company, screened like it: [{"name": "...", "share": 60, '
        '"source": "registry extract", "as_of": "2026-06-30"}]; share in percent, null when '
        "not known.",
        validators=[validate_owner_stakes],
    )
    country = CountryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    """One fab building: capability is recorded per building (15 CFR 772.1 "facility")."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="facilities")
    name = NameField(max_length=200)
    building = NameField(max_length=100, blank=True)
    address = NameField(max_length=300, blank=True)
    city = NameField(max_length=100)
    country = CountryField()
    region = models.CharField(
        "region (ISO 3166-2)",
        max_length=6,
        blank=True,
        help_text="Subdivision of the country, e.g. UA-43 (Crimea); needed where a region is "
        "sanctioned.",
    )
    products = models.JSONField(
        default=list,
        blank=True,
        help_text='What the building produces: any of "logic", "dram", "nand", "other". '
        "Empty means capability unknown.",
    )
    logic_node_nm = models.PositiveSmallIntegerField("logic node (nm)", null=True, blank=True)
    non_planar = models.BooleanField(
        "non-planar logic (FinFET/GAA)",
        default=False,
        help_text="Non-planar transistor architecture.",
    )
    nand_layers = models.PositiveSmallIntegerField("NAND layers", null=True, blank=True)
    dram_half_pitch_nm = models.DecimalField(
        "DRAM half-pitch (nm)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    dram_cell_area_um2 = models.DecimalField(
        "DRAM cell area (µm²)", max_digits=10, decimal_places=6, null=True, blank=True
    )
    capability_assessed_on = models.DateField(null=True, blank=True)
    capability_evidence = models.TextField(blank=True, validators=[validate_multiline_text])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer__name", "name"]
        verbose_name_plural = "facilities"
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="facility_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city}, {self.country})"

    def clean(self) -> None:
        products = self.products if isinstance(self.products, list) else None
        if products is None or any(p not in Product.values for p in products):
            raise ValidationError(
                {"products": f"Each product must be one of: {', '.join(Product.values)}."}
            )
        if len(set(products)) != len(products):
            raise ValidationError({"products": "A product is listed twice."})
        if self.region and (problem := region_error(self.region, self.country)):
            raise ValidationError({"region": problem})


class Tool(models.Model):
    """A tool installed in a facility, with its control classifications per jurisdiction."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="tools")
    oem = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="tools", verbose_name="OEM vendor"
    )
    model = NameField(max_length=200)
    serial_number = NameField(max_length=100)
    classifications = models.JSONField(
        default=dict,
        blank=True,
        help_text='Control codes per jurisdiction, e.g. {"US": ["3B001.f"], "NL": ["3B001.f.4"]}.',
    )
    # What "subject to the EAR" is derived from (compliance/engine/ear.py, DOMAIN sec. 7).
    origin = models.CharField(
        "country of origin",
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text="Where the tool was made (ISO 3166-1 alpha-2); blank when not known.",
    )
    us_content_percent = models.FloatField(
        "US-controlled content (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of US-controlled content by value (de minimis, 15 CFR 734.4).",
    )
    made_with_us_technology = models.BooleanField(
        "made with US technology or software",
        null=True,
        blank=True,
        help_text="For the foreign direct product rules (15 CFR 734.9); blank when not known.",
    )
    # A recorded determination overrides the derivation; it needs a justification.
    subject_to_ear = models.BooleanField(
        "recorded determination: subject to the EAR",
        null=True,
        blank=True,
        default=None,
        help_text="Leave blank to derive it from origin, US content and US technology.",
    )
    ear_justification = models.TextField(
        "justification of the recorded determination", blank=True, max_length=500
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["oem", "serial_number"], name="tool_serial_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.model} #{self.serial_number}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if problem := classifications_problem(self.classifications):
            errors["classifications"] = problem
        if self.subject_to_ear is not None and not (self.ear_justification or "").strip():
            errors["ear_justification"] = (
                "A recorded determination overrides the one derived from origin, US content "
                "and US technology: say why it holds."
            )
        justification = " ".join((self.ear_justification or "").split())
        if len(justification) > 500:
            errors["ear_justification"] = "At most 500 characters."
        elif message := multiline_text_problem(self.ear_justification):
            errors["ear_justification"] = message
        if errors:
            raise ValidationError(errors)


class VisitStatus(models.TextChoices):
    PENDING = "pending", "Pending check"
    CLEARED = "cleared", "Cleared"
    ON_HOLD = "on_hold", "On hold"
    BLOCKED = "blocked", "Blocked"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# Visits that may still happen: they are re-checked when anything they depend on changes.
OPEN_STATUSES = (
    VisitStatus.PENDING,
    VisitStatus.CLEARED,
    VisitStatus.ON_HOLD,
    VisitStatus.BLOCKED,
    VisitStatus.APPROVED,
)
# The statuses of the approvers' queue.
HOLD_STATUSES = (VisitStatus.ON_HOLD, VisitStatus.BLOCKED)


class Visit(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="visits")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="visits")
    tools = models.ManyToManyField(Tool, related_name="visits", blank=True)
    engineers = models.ManyToManyField(Engineer, related_name="visits")
    activity = models.CharField(max_length=20, choices=Activity.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    start_date = models.DateField()
    end_date = models.DateField()
    purpose = models.TextField(blank=True, validators=[validate_multiline_text])
    items = models.JSONField(
        null=True,
        blank=True,
        default=None,
        validators=[validate_visit_items],
        help_text="What the visit ships, hands over or transfers, each with its classifications "
        'and origin: [{"kind": "part", "description": "...", "classifications": {"US": '
        '["3B001.h"]}, "origin": "US"}]. Blank: not listed (an installation ships its tools).',
    )
    parties = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_visit_parties],
        help_text="Purchaser, consignee, end user or operator where they differ from the owner, "
        'screened like it: [{"role": "purchaser", "name": "...", "country": "HK"}].',
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_visits"
    )
    # Users who changed the visit after filing: like the requester, none of them may release it
    # (separation of duties, compliance.separation).
    editor_ids = models.JSONField(default=list, blank=True, editable=False)
    status = models.CharField(
        # Indexed by (status, end_date) below: a status-only index would be one more to update
        # on every decision of every visit.
        max_length=10,
        choices=VisitStatus.choices,
        default=VisitStatus.PENDING,
    )
    current_decision = models.ForeignKey(
        "compliance.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The approval in force: kept while re-checks do not make the outcome worse than what was approved.
    approval = models.ForeignKey(
        "compliance.Approval",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when a check is asked for, cleared when its decision is stored: the sweeper re-enqueues
    # visits whose request is older than a few minutes, so a lost message is never a lost check.
    check_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    check_trigger = models.CharField(max_length=30, blank=True)
    # The API's ``Idempotency-Key`` header, unique per requesting user ("" when none was sent): a
    # client that retries a POST gets the visit its first attempt filed, not a second one. The
    # fingerprint (SHA-256 of the request's fields) tells a retry from a different request.
    idempotency_key = models.CharField(max_length=255, blank=True, editable=False)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="visit_end_after_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="visit_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "end_date"]),
            # Visit lists: newest first, overall and per vendor.
            models.Index(fields=["-created_at", "-id"], name="visit_newest_idx"),
            models.Index(fields=["vendor", "-created_at", "-id"], name="visit_vendor_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"Visit #{self.pk}: {self.get_activity_display()} at {self.facility.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_held(self) -> bool:
        return self.status in HOLD_STATUSES

    @property
    def is_check_pending(self) -> bool:
        """Whether a check is still to answer: never checked, or a check requested since."""
        return self.status == VisitStatus.PENDING or self.check_requested_at is not None

    @property
    def involved_user_ids(self) -> frozenset[int]:
        """Who requested or edited this visit: none of them may release it."""
        return frozenset([self.requested_by_id, *(self.editor_ids or [])])


class UserProfile(models.Model):
    """Links a user to the vendor whose visits they file (service managers belong to one vendor)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.vendor or 'no vendor'})"
