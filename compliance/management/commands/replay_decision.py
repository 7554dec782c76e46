from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.checks.evaluate import decision_replay
from compliance.models import Decision


class Command(BaseCommand):
    help = "Re-evaluate stored decisions from their stored document and versions; report any difference."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "ids", nargs="*", type=int, help="Decision ids (default with --all: every decision)."
        )
        parser.add_argument("--all", action="store_true", help="Replay every stored decision.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["ids"] and not options["all"]:
            raise CommandError("Give decision ids or --all.")
        qs = Decision.objects.select_related("ruleset").order_by("pk")
        if options["ids"]:
            qs = qs.filter(pk__in=options["ids"])
            missing = set(options["ids"]) - set(qs.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No such decision: {', '.join(map(str, sorted(missing)))}.")
        different = 0
        total = 0
        for decision in qs.iterator(chunk_size=500):
            total += 1
            result = decision_replay(decision)
            if result.identical:
                if options["ids"]:
                    self.stdout.write(f"Decision #{decision.pk}: identical ({decision.outcome}).")
            else:
                different += 1
                self.stdout.write(f"Decision #{decision.pk}: DIFFERENT")
                for line in result.differences:
                    self.stdout.write(f"  {line}")
        self.stdout.write(
            f"{total} replayed, {total - different} identical, {different} different."
        )
        if different:
            sys.exit(1)
