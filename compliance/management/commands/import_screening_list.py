from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from compliance.screening.sources import sources
from compliance.services import list_snapshot_import
from config.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import a list file as a new snapshot of its source: the US CSL (CSV, CSV.GZ or JSON) by "
        "default, or --source un-sc | eu-fsf | uk-fcdo | jp-eul | opensanctions."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--source",
            default="us-csl",
            choices=sorted(sources()),
            help="The list source the file is a snapshot of (compliance/screening/sources.yaml).",
        )
        parser.add_argument(
            "--allow-drop",
            action="store_true",
            help="Accept a file with far fewer entries than the snapshot in force.",
        )
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
                path=str(path),
                source=options["source"],
                progress=progress,
                if_changed=options["if_changed"],
                allow_drop=options["allow_drop"],
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} The list in force is unchanged.") from exc
        finally:
            bar.close()
        counts = ", ".join(f"{k} {v}" for k, v in sorted(snapshot.counts.items()))
        diff = snapshot.diff or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"{sources()[snapshot.source].name}: snapshot {snapshot.version} in force: {snapshot.entry_count} entries ({counts}); "
                f"{diff.get('added', 0)} added, {diff.get('removed', 0)} removed, {diff.get('changed', 0)} changed."
            )
        )
