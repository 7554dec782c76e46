from __future__ import annotations

import ast
from pathlib import Path

import compliance.screening

PACKAGE = Path(compliance.screening.__file__).parent


def test_the_screening_package_imports_no_django() -> None:
    # The matcher runs in workers, in the API's dry run and in replays: plain data in, plain data out.
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "django" or n.startswith("django.") for n in names), path


def test_the_public_api_is_exported() -> None:
    for name in compliance.screening.__all__:
        assert hasattr(compliance.screening, name)
