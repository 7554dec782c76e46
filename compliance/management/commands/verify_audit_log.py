from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from compliance.audit import audit_chain_verify
from compliance.lifecycle import visit_states_verify


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain, then every visit's stored status and current decision "
        "against its records; prints OK, or names the first broken event and every visit whose "
        "state differs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        chain = audit_chain_verify()
        self.stdout.write((self.style.SUCCESS if chain.ok else self.style.ERROR)(str(chain)))
        mismatches = visit_states_verify()
        for mismatch in mismatches:
            self.stdout.write(self.style.ERROR(str(mismatch)))
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("OK: every visit's state matches its records."))
        else:
            self.stdout.write(
                self.style.ERROR(f"{len(mismatches)} visit(s) differ from their records.")
            )
        if not chain.ok or mismatches:
            sys.exit(1)
