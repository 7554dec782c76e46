from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.checks.compact import reconfirmation_replay
from compliance.checks.evaluate import decision_replay
from compliance.models import Decision, Reconfirmation

PROGRESS_EVERY = 1000


class Command(BaseCommand):
    help = (
        "Re-evaluate stored decisions from their stored document and versions, and "
        "re-confirmations under theirs; report any difference."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "ids", nargs="*", type=int, help="Decision ids (default with --all: every decision)."
        )
        parser.add_argument(
            "--reconfirmation",
            dest="reconfirmations",
            action="append",
            type=int,
            default=[],
            metavar="ID",
            help="A re-confirmation id to replay (repeatable).",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Replay every stored decision and every re-confirmation.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids, reconfirmation_ids = options["ids"], options["reconfirmations"]
        if not ids and not reconfirmation_ids and not options["all"]:
            raise CommandError("Give decision ids, --reconfirmation ids or --all.")
        decisions = Decision.objects.select_related("ruleset").order_by("pk")
        reconfirmations = Reconfirmation.objects.select_related(
            "ruleset", "decision__ruleset"
        ).order_by("pk")
        named = bool(ids or reconfirmation_ids)
        if named:
            decisions = decisions.filter(pk__in=ids)
            reconfirmations = reconfirmations.filter(pk__in=reconfirmation_ids)
            self._require(decisions, ids, "decision")
            self._require(reconfirmations, reconfirmation_ids, "re-confirmation")
        self.total = self.different = 0
        for decision in decisions.iterator(chunk_size=500):
            result = decision_replay(decision)
            self._report(
                f"Decision #{decision.pk}", result.identical, result.differences, named, decision
            )
        for row in reconfirmations.iterator(chunk_size=500):
            replay = reconfirmation_replay(row)
            self._report(
                f"Re-confirmation #{row.pk} (of decision #{row.decision_id})",
                replay.identical,
                replay.differences,
                named,
                row.decision,
            )
        self.stdout.write(
            f"{self.total} replayed, {self.total - self.different} identical, "
            f"{self.different} different."
        )
        if self.different:
            sys.exit(1)

    def _require(self, qs: Any, ids: list[int], what: str) -> None:
        missing = set(ids) - set(qs.values_list("pk", flat=True))
        if missing:
            raise CommandError(f"No such {what}: {', '.join(map(str, sorted(missing)))}.")

    def _report(
        self, label: str, identical: bool, differences: list[str], named: bool, decision: Any
    ) -> None:
        self.total += 1
        if identical:
            if named:
                self.stdout.write(f"{label}: identical ({decision.outcome}).")
        else:
            self.different += 1
            self.stdout.write(f"{label}: DIFFERENT")
            for line in differences:
                self.stdout.write(f"  {line}")
        if not named and self.total % PROGRESS_EVERY == 0:
            self.stderr.write(f"  {self.total} replayed…")
