"""Generate (and store) the weekly audit report of an ISO week and write its files.

    manage.py audit_report --week 2026-W47 [--format html|csv|pdf|json|all] [--output DIR] [--email]

The week defaults to the previous complete week in the report time zone. The stored row is
reused when the content hash is unchanged (the files are then byte-identical to the ones stored
and emailed); a changed week is re-rendered and the command says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.reports import services
from config.errors import ApplicationError

CHOICES = ("html", "csv", "pdf", "json", "all")


class Command(BaseCommand):
    help = "Generate the weekly audit report of an ISO week (Monday to Sunday, report time zone)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--week",
            help="ISO week as YYYY-Www, e.g. 2026-W47 (default: the previous complete week).",
        )
        parser.add_argument("--format", choices=CHOICES, default="all", dest="fmt")
        parser.add_argument(
            "--output", default="var/reports", help="Directory for the files (created if needed)."
        )
        parser.add_argument(
            "--email",
            action="store_true",
            help="Also email the report to the auditor group (once per content hash).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            week = services.report_week_parse(options["week"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        generation = services.report_weekly_generate(week=week)
        report = generation.report
        out = Path(options["output"])
        out.mkdir(parents=True, exist_ok=True)
        formats = services.FORMATS if options["fmt"] == "all" else (options["fmt"],)
        for fmt in formats:
            data, _, filename = services.report_file(report, fmt)
            target = out / filename
            target.write_bytes(data)
            self.stdout.write(f"  {target}")
        if generation.created:
            state = "stored"
        elif generation.changed:
            state = self.style.WARNING(
                "CHANGED since the last generation (previous hash "
                f"{report.previous_hashes[-1]['content_hash']}): records of this week changed"
            )
        else:
            state = "unchanged (the stored report is reused)"
        self.stdout.write(f"Weekly audit report {report.week}: content hash {report.content_hash}")
        self.stdout.write(f"  {state}")
        content = report.content
        replay, chain = content["replay"], content["audit_chain"]
        if replay["not_reproduced"]:
            self.stderr.write(
                self.style.ERROR(
                    f"  {replay['not_reproduced']} of {replay['sampled']} sampled decisions did "
                    "NOT replay to the same answer."
                )
            )
        if not chain["verified"]:
            self.stderr.write(
                self.style.ERROR(
                    f"  The audit chain is BROKEN at event #{chain['first_broken_event']}: "
                    f"{chain['problem']}."
                )
            )
        if options["email"]:
            _, sent = services.report_weekly_deliver(week=week, report=report)
            self.stdout.write(f"  emailed to {sent} auditor(s)" if sent else "  already emailed")
