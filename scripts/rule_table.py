"""Rewrite the table of every rule in compliance/rulepacks/README.md from the packs.

    .venv/bin/python scripts/rule_table.py

The suite checks the table against the packs (tests/unit/compliance/engine/test_rules_loading.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance.engine import load_rule_packs, read_rule_pack_dir

README = ROOT / "compliance" / "rulepacks" / "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def table() -> str:
    packs = load_rule_packs(read_rule_pack_dir(ROOT / "compliance" / "rulepacks"))
    rows = [
        "| rule | file | effect | confidence | in force | citation |",
        "|---|---|---|---|---|---|",
    ]
    for r in sorted(packs.rules, key=lambda r: (r.source_file, r.code)):
        start = (
            "—" if r.effective_from.isoformat() == "2000-01-01" else r.effective_from.isoformat()
        )
        end = r.effective_to.isoformat() if r.effective_to else "open"
        effect = r.effect + (" (policy)" if r.policy else "")
        citation = r.citation.replace("|", "/")
        rows.append(
            f"| `{r.code}` | `{r.source_file}` | {effect} | {r.confidence} | {start} → {end} "
            f"| {citation} |"
        )
    review = ", ".join(
        f"`{r.code}`" for r in sorted(packs.rules, key=lambda r: r.code) if r.effect == "review"
    )
    return (
        "\n".join(rows)
        + "\n\n### Deliberately left to `review`\n\nWhere the law is uncertain, a fact is missing or "
        "the item is not classified, a rule routes the visit to a person instead of deciding: "
        + review
        + ". None of them ever clears a visit; each says what to record or check."
    )


def main() -> None:
    text = README.read_text(encoding="utf-8")
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    README.write_text(f"{before}{START}\n{table()}\n{END}{after}", encoding="utf-8")
    print(f"wrote the table of rules in {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
