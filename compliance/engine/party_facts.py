"""Facts about the parties a visit is screened for besides its engineers: the owner's owners
(the Affiliates rule), the purchaser, consignee, end user and operator, and the licence review
policy of the Entity List entries they match. `facts.facility_facts` gathers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from .document import FacilityInfo

__all__ = ["AFFILIATE_LISTS", "NO_POLICY", "affiliate_facts", "el_policy", "party_facts"]

NO_POLICY: Final = "not stated in the list"


def el_policy(hits: Iterable[Any]) -> str:
    """The licence review policies of the live Entity List hits, as the list states them."""
    return "; ".join(sorted({h.licence_policy for h in hits if h.list_code == "EL"} - {""}))


def party_facts(facility: FacilityInfo, hits: Mapping[int, Sequence[Any]]) -> dict[str, Any]:
    """Facts about the purchaser, consignee, end user and operator: the lists they match."""
    live = {i: [h for h in hs if not h.false_positive] for i, hs in hits.items()}
    named = [
        f"{facility.parties[i].role.replace('_', ' ')} {facility.parties[i].name} "
        f"({', '.join(sorted({h.list_code for h in hs}))})"
        for i, hs in sorted(live.items())
        if hs and i < len(facility.parties)
    ]
    every = [h for hs in live.values() for h in hs]
    operators = {i for i, p in enumerate(facility.parties) if p.role == "operator"}
    return {
        "party_hits": sorted(
            {h.list_code for i, hs in live.items() if i not in operators for h in hs}
        ),
        "operator_hits": sorted(
            {h.list_code for i, hs in live.items() if i in operators for h in hs}
        ),
        "party_basis": "; ".join(named) or "none",
        "party_el_policy": el_policy(every) or NO_POLICY,
    }


# The lists whose parties' 50 % affiliates the Affiliates rule reaches (DOMAIN sec. 6).
AFFILIATE_LISTS: Final = frozenset({"EL", "MEU", "SDN"})


def affiliate_facts(
    facility: FacilityInfo, stake_hits: Mapping[int, Iterable[str]]
) -> dict[str, Any]:
    """Who of the owner's owners is listed, and whether together they hold 50 % or more of it.
    `stake_hits` maps an index of `facility.owners` to the list codes of its screening hits."""
    listed: list[tuple[str, float | None, list[str]]] = []
    for i, stake in enumerate(facility.owners):
        codes = sorted(AFFILIATE_LISTS.intersection(stake_hits.get(i, ())))
        if codes:
            listed.append((stake.name, stake.share, codes))
    # Rounded so that shares typed as decimals (2.65 + 47.35) reach 50 exactly.
    share = round(sum(s for _, s, _ in listed if s is not None), 6)
    lists = sorted({c for _, _, codes in listed for c in codes})
    return {
        "affiliate_lists": lists if share >= 50 else [],
        "affiliate_share": share,
        "affiliate_basis": "; ".join(
            f"{name} {f'{s:g}' if s is not None else 'unknown'} % ({', '.join(codes)})"
            for name, s, codes in listed
        ),
        "listed_owner_share_unknown": sorted(
            {c for _, s, codes in listed if s is None for c in codes}
        ),
    }
