from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from compliance.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain: prints OK, or names the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_chain_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(str(result)))
        else:
            self.stdout.write(self.style.ERROR(str(result)))
            sys.exit(1)
