"""The engine is pure: no Django, no ORM, no clock reads (DESIGN sec. 2, STYLE 2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[4] / "compliance" / "engine"


def engine_sources() -> list[Path]:
    return sorted(ENGINE.glob("*.py"))


def test_importing_the_engine_loads_no_django() -> None:
    code = "import sys, compliance.engine; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ENGINE.parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_no_engine_module_imports_django() -> None:
    for path in engine_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "django" for n in names), path.name


def test_the_engine_never_reads_the_clock() -> None:
    forbidden = {
        ("datetime", "now"),
        ("datetime", "utcnow"),
        ("date", "today"),
        ("time", "time"),
        ("time", "monotonic"),
    }
    for path in engine_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) not in forbidden, (
                    f"{path.name}: {node.value.id}.{node.attr}"
                )
