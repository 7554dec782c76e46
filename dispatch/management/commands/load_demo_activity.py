"""Generate a few weeks of past activity on top of ``load_demo``, so that the weekly audit report
has something to show: visits filed on weekdays, their decisions, approvals and rejections with
justifications, a screening hit marked false positive, a licence that comes into force, and a
facility whose capability is reassessed.

Everything goes through the real services, run on a simulated clock
(``compliance.reports.simulation``), so the records, decisions and audit chain are exactly what
the application would have stored then. Idempotent: a second run finds the activity and does
nothing. Only targeted re-checks are generated in the past (a licence, a facility and an engineer
that the present-day demo visits do not use), so no present-day visit gets a backdated decision.

    manage.py load_demo_activity [--weeks 3] [--no-reports]
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from compliance.models import Licence
from compliance.reports.services import report_time_zone, report_weekly_generate
from compliance.reports.simulation import SimulatedClock, simulated_time
from compliance.reports.weeks import previous_week
from compliance.services import licence_changed, match_review_mark, visit_approve, visit_reject
from config.celery_app import app
from config.errors import ApplicationError
from dispatch import services
from dispatch.demo.activity import (
    APPROVE_DEFAULT,
    APPROVE_TEXT,
    APPROVERS,
    ASML,
    DALIAN,
    DEMO_LICENCE,
    MANAGERS,
    MARK,
    NAMESAKE,
    NAMESAKE_REASON,
    NAMESAKE_VISIT,
    REASSESSED,
    REJECT_DEFAULT,
    REJECT_TEXT,
    SEED,
    TEL,
    TEMPLATES,
    XIAN,
    Template,
)
from dispatch.models import Engineer, Facility, Tool, Vendor, Visit, VisitStatus


@dataclass(order=True)
class Step:
    at: dt.datetime
    seq: int
    run: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")


class Command(BaseCommand):
    help = "Generate a few weeks of past activity (visits, decisions, approvals) for the demo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--weeks", type=int, default=3, help="Complete weeks to generate (1–8)."
        )
        parser.add_argument(
            "--no-reports", action="store_true", help="Do not generate the weekly reports."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        weeks = options["weeks"]
        if not 1 <= weeks <= 8:
            raise CommandError("--weeks must be between 1 and 8.")
        if Visit.objects.filter(purpose__endswith=MARK).exists():
            self.stdout.write("Demo activity is already loaded; nothing to do.")
            return
        self._require_demo_data()
        tz = report_time_zone()
        last = previous_week(timezone.now(), tz)
        self.weeks = [last]
        while len(self.weeks) < weeks:
            self.weeks.insert(0, self.weeks[0].previous())
        # Checks must run here, on the simulated clock, even when a broker is configured.
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            counts = self._generate()
        finally:
            app.conf.task_always_eager = eager
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo activity for {self.weeks[0].label} to {self.weeks[-1].label}: "
                + ", ".join(f"{v} {k}" for k, v in counts.items())
                + "."
            )
        )
        if not options["no_reports"]:
            for week in self.weeks:
                report = report_weekly_generate(week=week).report
                self.stdout.write(
                    f"  weekly audit report {week.label}: {report.content_hash[:16]}…"
                )

    # --- Setup -----------------------------------------------------------------------------
    def _require_demo_data(self) -> None:
        users = get_user_model().objects.filter(username__in=[*MANAGERS.values(), *APPROVERS])
        self.users = {u.username: u for u in users}
        missing = sorted({*MANAGERS.values(), *APPROVERS} - set(self.users))
        if missing or not Vendor.objects.filter(name=ASML).exists():
            raise CommandError(
                "Run `manage.py load_demo` first (demo users and vendors are missing)."
            )
        self.vendors = {v.name: v for v in Vendor.objects.filter(name__in=MANAGERS)}
        self.facilities = {f.name: f for f in Facility.objects.all()}

    # --- Timeline --------------------------------------------------------------------------
    def _generate(self) -> dict[str, int]:
        rng = random.Random(SEED)
        self.queue: list[Step] = []
        self.seq = 0
        self.counts = {
            "visits": 0,
            "approvals": 0,
            "rejections": 0,
            "false-positive marks": 0,
            "licence changes": 0,
            "facility edits": 0,
        }
        first = self.weeks[0]
        self._at(
            first.day_bounds(first.first_day)[0] + dt.timedelta(hours=7, minutes=45),
            self._namesake_create,
            "engineer",
        )
        for w, week in enumerate(self.weeks):
            for offset, day in enumerate(week.days[:5]):
                morning = week.day_bounds(day)[0]
                for _ in range(rng.randint(2, 4)):
                    at = morning + dt.timedelta(
                        hours=rng.randint(8, 16), minutes=rng.randint(0, 59)
                    )
                    template = rng.choices(TEMPLATES, weights=[t.weight for t in TEMPLATES])[0]
                    self._file_at(at, template, rng)
                if w == 0 and offset == 1:
                    self._file_at(morning + dt.timedelta(hours=9, minutes=12), NAMESAKE_VISIT, rng)
            monday = week.day_bounds(week.days[0])[0]
            if w == 0:
                # Held until the building's capability is reassessed on Thursday.
                self._file_at(monday + dt.timedelta(hours=10, minutes=5), DALIAN, rng, follow=1.0)
                thu = week.day_bounds(week.days[3])[0]
                self._at(
                    thu + dt.timedelta(hours=14, minutes=5), self._facility_reassess, "facility"
                )
            if w == min(1, len(self.weeks) - 1):
                # Held until the licence is granted on Wednesday.
                self._file_at(monday + dt.timedelta(hours=11, minutes=40), XIAN, rng, follow=1.0)
                wed = week.day_bounds(week.days[2])[0]
                self._at(wed + dt.timedelta(hours=11, minutes=30), self._licence_grant, "licence")
        end = self.weeks[-1].ends_at
        # No decision emails for backdated activity (a configured SMTP server would send them).
        quiet = override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
        with quiet, simulated_time(self.queue[0].at) as clock:
            self.clock: SimulatedClock = clock
            while self.queue:
                step = heapq.heappop(self.queue)
                if step.at >= end:
                    continue  # follow-ups that would fall after the last complete week
                clock.set(max(step.at, clock.current))
                try:
                    step.run()
                except ApplicationError as exc:
                    self.stdout.write(
                        f"  skipped {step.label} at {step.at:%Y-%m-%d %H:%M}: {exc.message}"
                    )
        return self.counts

    def _at(self, at: dt.datetime, run: Callable[[], None], label: str) -> None:
        self.seq += 1
        heapq.heappush(self.queue, Step(at.astimezone(dt.UTC), self.seq, run, label))

    def _file_at(
        self, at: dt.datetime, template: Template, rng: random.Random, follow: float | None = None
    ) -> None:
        """File ``template`` at ``at``; ``follow`` < 0.85 approves a review hold, < 0.45 rejects a
        licence hold (1.0 leaves any hold open)."""
        lead = dt.timedelta(days=rng.randint(4, 16))
        days = rng.randint(1, 4)
        follow = rng.random() if follow is None else follow
        self._at(at, lambda: self._file(template, at, lead, days, follow, rng), "visit")

    # --- Steps -----------------------------------------------------------------------------
    def _file(
        self,
        template: Template,
        at: dt.datetime,
        lead: dt.timedelta,
        days: int,
        follow: float,
        rng: random.Random,
    ) -> None:
        vendor = self.vendors[template.vendor]
        facility = self.facilities[template.facility]
        engineers = list(
            Engineer.objects.filter(vendor=vendor, employee_id__in=template.engineers).values_list(
                "pk", flat=True
            )
        )
        tools = list(
            Tool.objects.filter(facility=facility, serial_number__in=template.tools).values_list(
                "pk", flat=True
            )
        )
        start = (at + lead).date()
        visit = services.visit_create(
            requested_by=self.users[MANAGERS[template.vendor]],
            vendor=vendor.pk,
            facility=facility.pk,
            engineers=engineers,
            tools=tools,
            activity=template.activity,
            mode=template.mode,
            start_date=start,
            end_date=start + dt.timedelta(days=days - 1),
            purpose=f"{template.purpose} {MARK}",
        )
        self.counts["visits"] += 1
        visit.refresh_from_db()
        if template is NAMESAKE_VISIT:
            self._at(
                at + dt.timedelta(hours=3, minutes=20),
                lambda: self._mark_false_positive(visit.pk),
                "false positive",
            )
            return
        self._follow_up(visit, at, follow, rng)

    def _follow_up(self, visit: Visit, at: dt.datetime, follow: float, rng: random.Random) -> None:
        """What an approver does with a hold, some hours or days later."""
        decision = visit.current_decision
        if visit.status not in (VisitStatus.ON_HOLD, VisitStatus.BLOCKED) or decision is None:
            return
        approver = APPROVERS[visit.pk % 2]
        codes = sorted({f.rule_code for f in decision.findings.all() if not f.covered_by_licence})
        if decision.outcome == "review" and follow < 0.85:
            text = next((APPROVE_TEXT[c] for c in codes if c in APPROVE_TEXT), APPROVE_DEFAULT)
            delay = dt.timedelta(hours=rng.randint(2, 30), minutes=rng.randint(0, 59))
            self._at(
                self._working_time(at + delay),
                lambda: self._decide(visit.pk, approver, "approve", text),
                "approval",
            )
        elif decision.outcome in ("licence_required", "prohibited") and follow < 0.45:
            text = next((REJECT_TEXT[c] for c in codes if c in REJECT_TEXT), REJECT_DEFAULT)
            delay = dt.timedelta(hours=rng.randint(4, 70), minutes=rng.randint(0, 59))
            self._at(
                self._working_time(at + delay),
                lambda: self._decide(visit.pk, approver, "reject", text),
                "rejection",
            )

    def _working_time(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or the next weekday 08:xx if it falls outside 08:00–18:00 on a weekday."""
        local = moment.astimezone(self.weeks[0].zone)
        if local.hour >= 18:
            local += dt.timedelta(days=1)
        if local.hour >= 18 or local.hour < 8:
            local = local.replace(hour=8)
        while local.weekday() >= 5:
            local += dt.timedelta(days=1)
        return local

    def _decide(self, visit_id: int, approver: str, action: str, justification: str) -> None:
        visit = Visit.objects.get(pk=visit_id)
        if visit.status not in (VisitStatus.ON_HOLD, VisitStatus.BLOCKED):
            return  # a re-check released it meanwhile
        if action == "approve":
            visit_approve(visit=visit, user=self.users[approver], justification=justification)
            self.counts["approvals"] += 1
        else:
            visit_reject(visit=visit, user=self.users[approver], justification=justification)
            self.counts["rejections"] += 1

    def _namesake_create(self) -> None:
        vendor = self.vendors[NAMESAKE["vendor"]]
        if not Engineer.objects.filter(vendor=vendor, employee_id=NAMESAKE["employee_id"]).exists():
            services.engineer_create(
                user=self.users[MANAGERS[TEL]],
                **{**NAMESAKE, "vendor": vendor.pk},
            )

    def _mark_false_positive(self, visit_id: int) -> None:
        visit = Visit.objects.select_related("current_decision").get(pk=visit_id)
        for hit in visit.current_decision.screening_input if visit.current_decision else []:
            if hit["party"].startswith("engineers[") and not hit["false_positive"]:
                match_review_mark(
                    visit=visit,
                    party=hit["party"],
                    entry_id=hit["entry_id"],
                    reason=NAMESAKE_REASON,
                    actor=self.users["approver"],
                )
                self.counts["false-positive marks"] += 1
                return

    def _licence_grant(self) -> None:
        spec = DEMO_LICENCE
        if Licence.objects.filter(authority=spec["authority"], number=spec["number"]).exists():
            return
        today = timezone.localdate()
        licence = Licence.objects.create(
            authority=spec["authority"],
            number=spec["number"],
            holder=self.vendors[spec["holder"]],
            valid_from=today,
            valid_until=today + dt.timedelta(days=365),
            activities=spec["activities"],
            conditions=spec["conditions"],
        )
        licence.facilities.set([self.facilities[f] for f in spec["facilities"]])
        licence_changed(licence=licence, actor=self.users["approver"], created=True)
        self.counts["licence changes"] += 1

    def _facility_reassess(self) -> None:
        facility = Facility.objects.get(name=REASSESSED["facility"])
        services.facility_update(
            facility=facility,
            user=self.users["approver2"],
            nand_layers=REASSESSED["nand_layers"],
            capability_evidence=(
                "Demo data: reassessed from the customer's declaration — the building runs a "
                "96-layer NAND line."
            ),
        )
        self.counts["facility edits"] += 1
