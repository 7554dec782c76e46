from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.checks.lists import sources_in_force
from compliance.screening.sources import sources
from compliance.services.list_sources import (
    OUTCOME_REFUSED,
    list_source_refresh,
    list_sources_due,
)


class Command(BaseCommand):
    help = (
        "Fetch list sources from their URLs now, as the scheduled refresh does: the sources given, "
        "or every source in use that is due (--due), or all in use with a URL (default)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("sources", nargs="*", help=f"Of: {', '.join(sorted(sources()))}.")
        parser.add_argument("--due", action="store_true", help="Only the sources that are due.")
        parser.add_argument(
            "--force", action="store_true", help="Download even if the server says unchanged."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = sorted(set(options["sources"]) - set(sources()))
        if unknown:
            raise CommandError(f"Unknown source {', '.join(unknown)}; of: {', '.join(sources())}.")
        keys = options["sources"] or (
            list_sources_due()
            if options["due"]
            else [k for k, s in sources_in_force().items() if s.enabled and s.url]
        )
        refused = []
        for key in keys:
            self.stdout.write(f"{sources()[key].name}: fetching …")
            result = list_source_refresh(key=key, force=options["force"])
            style = self.style.ERROR if result.outcome == OUTCOME_REFUSED else self.style.SUCCESS
            self.stdout.write(style(f"  {result.outcome}: {result.message}"))
            if result.rechecked:
                self.stdout.write(f"  {result.rechecked} held visits asked for a re-check")
            if result.outcome == OUTCOME_REFUSED:
                refused.append(key)
        if refused:
            raise CommandError(f"Refused: {', '.join(refused)}. The snapshots in force stay.")
