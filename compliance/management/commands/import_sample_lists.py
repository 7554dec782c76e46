from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.screening.sources import sources
from compliance.services import list_snapshot_import
from config.errors import ApplicationError

DATA = Path(__file__).resolve().parents[2] / "screening" / "data"
# The lists the demo, the benchmarks and the resilience run load: the project's CSL sample, the
# real UN list of 2026-02-27 and the project's samples of the EU, UK and METI lists.
SAMPLES: dict[str, Path] = {
    "us-csl": DATA / "sample_csl.csv",
    "un-sc": DATA / "un-sc-consolidated-2026-02-27.xml.gz",
    "eu-fsf": DATA / "eu-fsf-sample.xml",
    "uk-fcdo": DATA / "uk-sanctions-sample.xml",
    "jp-eul": DATA / "jp-eul-sample.xlsx",
}


class Command(BaseCommand):
    help = (
        "Import the project's sample lists (US CSL sample, the UN list of 2026-02-27, EU, UK and "
        "METI samples), each only if it differs from the snapshot in force. Not for real screening "
        "beyond the UN list: fetch the real lists with refresh_screening_lists."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--csl", help="a CSL file to import instead of the sample")

    def handle(self, *args: Any, **options: Any) -> None:
        files = dict(SAMPLES)
        if options.get("csl"):
            files["us-csl"] = Path(options["csl"])
        for source, path in files.items():
            try:
                snapshot = list_snapshot_import(path=str(path), source=source, if_changed=True)
            except ApplicationError as exc:
                raise CommandError(f"{path.name}: {exc.message}") from exc
            self.stdout.write(
                f"{sources()[source].name}: snapshot {snapshot.version}, "
                f"{snapshot.entry_count} entries ({path.name})"
            )
