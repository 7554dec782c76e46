"""The plain explanation of a screening match: which name or alias matched, which words carried
the score, what counted little and what the party's countries and date of birth changed."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.screening.entries import ListEntry, list_label
from compliance.screening.names import NameKind
from compliance.screening.profile import Adjustment

CONFIRM_NOTICE = "A list hit is a screening aid: confirm it against the official list."


def explain_match(
    entry: ListEntry,
    *,
    kind: NameKind,
    text: str,
    query: Sequence[str],
    name_tokens: Sequence[str],
    weights: Sequence[float],
    strong: bool,
    pairs: Sequence[tuple[int, int, int]],
    raw_score: float,
    score: float,
    adjusted_by: Sequence[Adjustment],
) -> str:
    """`text` is the matched name as printed (of `kind`), `pairs` the (query position, name
    position, LCS) of the alignment, `strong` whether the name says who the party is."""
    where = f'{list_label(entry.list_code)} entry "{entry.name}"'
    if kind == "name":
        opening = f"Matched the name of {where}"
    elif kind == "name_part":
        opening = f'Matched "{text}", part of the name of {where}'
    elif kind == "short_form":
        opening = f'Matched alias "{text}" (given in brackets in the name) of {where}'
    else:
        opening = f'Matched alias "{text}" of {where}'
    words: list[str] = []
    for i, j, _ in sorted(pairs, key=lambda p: p[1]):
        query_token, list_token = query[i], name_tokens[j]
        words.append(
            list_token if query_token == list_token else f'{list_token} (typed "{query_token}")'
        )
    paired_query = {i for i, _, _ in pairs}
    paired_name = {j for _, j, _ in pairs}
    parts = [opening, f"tokens: {', '.join(words)}"]
    only_list = [t for j, t in enumerate(name_tokens) if j not in paired_name]
    only_query = [t for i, t in enumerate(query) if i not in paired_query]
    if only_list:
        parts.append(f"only in the list name: {', '.join(only_list)}")
    if only_query:
        parts.append(f"only in the screened name: {', '.join(only_query)}")
    light = [t for j, t in enumerate(name_tokens) if weights[j] < len(t)]
    if light:
        parts.append(f"counting little (common words, middle names): {', '.join(light)}")
    if only_query and not strong:
        parts.append("extra words cost more against a name of one word or of common words")
    stated = f"score {score:.2f}"
    if adjusted_by:
        stated += f" ({'; '.join(map(str, adjusted_by))})"
        lowered = sum(a.delta for a in adjusted_by) < 0
        if lowered and raw_score >= 1.0 - 1e-9:
            stated += ", an exact name is never taken below the threshold"
    parts.append(stated)
    return " — ".join(parts) + ". " + CONFIRM_NOTICE
