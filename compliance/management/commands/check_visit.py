from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from compliance import engine
from compliance.checks.evaluate import check_document
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Check a visit document (JSON file, or - for stdin) and print the decision JSON. Stores nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.stderr.write(f"Cannot read {source}: {exc}")
            sys.exit(2)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            self.stderr.write(
                f"document: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
            )
            sys.exit(2)
        if not isinstance(raw, dict):
            self.stderr.write("document: expected a JSON object.")
            sys.exit(2)
        try:
            decision = check_document(raw)
        except engine.DocumentError as exc:
            self.stderr.write(f"Invalid visit document: {exc}")
            for field, messages in exc.errors.items():
                for m in messages:
                    self.stderr.write(f"  {field}: {m}")
            sys.exit(2)
        except ApplicationError as exc:
            self.stderr.write(exc.message)
            sys.exit(3)
        self.stdout.write(json.dumps(decision, indent=2, ensure_ascii=False, default=str))
