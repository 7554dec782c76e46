from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from compliance.services import list_snapshot_import
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Import a Consolidated Screening List file (CSV, CSV.GZ or JSON) as a new snapshot."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Do nothing if the file equals the list in force.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        bar = tqdm(
            desc=f"Reading {path.name}",
            unit=" rows",
            disable=options["verbosity"] < 1,
            file=self.stderr._out,
        )

        def progress(rows: int) -> None:
            bar.update(rows - bar.n)

        try:
            snapshot = list_snapshot_import(
                path=str(path), progress=progress, if_changed=options["if_changed"]
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} The list in force is unchanged.") from exc
        finally:
            bar.close()
        counts = ", ".join(f"{k} {v}" for k, v in sorted(snapshot.counts.items()))
        diff = snapshot.diff or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"Snapshot {snapshot.version} in force: {snapshot.entry_count} entries ({counts}); "
                f"{diff.get('added', 0)} added, {diff.get('removed', 0)} removed, {diff.get('changed', 0)} changed."
            )
        )
