from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance import engine
from compliance.services import ruleset_load


class Command(BaseCommand):
    help = "Load the rule packs (compliance/rulepacks/*.yaml) as the rule set in force. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dir", default=str(settings.COMPLIANCE["RULEPACK_DIR"]), help="Rule pack folder."
        )
        parser.add_argument("--note", default="", help="Why the rules are being loaded.")
        parser.add_argument(
            "--remove",
            nargs="+",
            default=[],
            metavar="CODE",
            help="Rules in force that these packs deliberately drop (audited); any other rule "
            "missing from the packs is refused.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["dir"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder of rule packs.")
        try:
            texts = engine.read_rule_pack_dir(folder)
            ruleset, changed = ruleset_load(
                texts=texts, note=options["note"], remove=options["remove"]
            )
        except engine.RulePackError as exc:
            problems = "\n".join(f"  - {line}" for line in exc.lines)
            raise CommandError(
                f"Rule packs not loaded; the rule set in force is unchanged.\n{problems}"
            ) from exc
        rules = ruleset.rules.count()
        if changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rule set {ruleset.version[:16]} in force: {rules} rules from {len(texts)} files; open visits queued for re-check."
                )
            )
        else:
            self.stdout.write(
                f"Rule set {ruleset.version[:16]} is already in force ({rules} rules); nothing changed."
            )
