"""What a check reads besides the visit document: the rule set and list in force, the screening
hits of the visit's parties (with the false-positive marks that count for it) and the licences
that could cover it. Fixed queries for any number of visits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from compliance import engine, runtime, separation
from compliance.checks.lists import ListsInForce, lists_in_force
from compliance.models import (
    Licence,
    ListSnapshot,
    MatchReview,
    RuleSet,
)
from compliance.screening.matcher import Match, ScreeningIndex
from compliance.screening.sources import hit_meaning
from compliance.selectors import CheckInput
from config.errors import ApplicationError
from config.text import nfc
from dispatch.sql import CompiledQuery


@dataclass
class CheckContext:
    """What every check of one batch shares: the rules and the lists in force."""

    ruleset: RuleSet
    compiled: engine.CompiledRuleSet
    lists: ListsInForce

    @property
    def index(self) -> ScreeningIndex | None:
        return self.lists.index

    @property
    def snapshot(self) -> ListSnapshot | None:
        """The US Consolidated Screening List in force (the decision's ``snapshot``)."""
        csl = self.lists.sources.get("us-csl")
        return csl.snapshot if csl and csl.enabled else None

    @property
    def lists_version(self) -> str | None:
        return self.lists.version

    def list_state(self, document: dict[str, Any]) -> tuple[bool, list[engine.ListProblem]]:
        """(stale, problems) of the lists for one visit document: the sources that bind it and
        are missing or stale."""
        problems = self.lists.problems_for(document)
        return any(p.state == "stale" for p in problems), problems


def active_ruleset() -> RuleSet:
    # The packs' text is only read to compile a version not yet cached in this process.
    ruleset = RuleSet.objects.filter(is_active=True).defer("packs").first()
    if ruleset is None:
        raise ApplicationError("No rule set is loaded: run `manage.py load_rulepacks`.")
    return ruleset


def active_snapshot(source: str = "us-csl") -> ListSnapshot | None:
    # Without the import's diff and warnings (thousands of ids for a full list).
    return (
        ListSnapshot.objects.filter(is_active=True, source=source)
        .defer("diff", "warnings", "counts")
        .first()
    )


def check_context(*, now: dt.datetime | None = None) -> CheckContext:
    ruleset = active_ruleset()
    return CheckContext(
        ruleset=ruleset,
        compiled=runtime.compiled_ruleset(ruleset),
        lists=lists_in_force(now or timezone.now()),
    )


def screen_name(
    index: ScreeningIndex | None,
    name: str,
    country: str | None,
    *,
    countries: Iterable[str] = (),
    date_of_birth: dt.date | str | None = None,
) -> list[Match]:
    """Hits of one party: its name, with its country (an owner), or its citizenships and date of
    birth (an engineer), which lift or lower near misses (compliance.screening.profile). Every
    caller that compares hits (checks, list impact, marks) must pass the same facts."""
    if index is None or not name or not name.strip():
        return []
    return index.search(
        name,
        country=country,
        countries=countries,
        date_of_birth=date_of_birth,
        threshold=settings.COMPLIANCE["SCREENING_THRESHOLD"],
    )


def engineer_countries(citizenships: Iterable[Any]) -> tuple[str, ...]:
    """The countries of an engineer's citizenships, from a document ("NL" or {"country": "NL"})."""
    return tuple(
        sorted({c if isinstance(c, str) else (c.get("country") or "") for c in citizenships} - {""})
    )


# Bump when the party fingerprint's canonical form changes: every mark then lapses and is reviewed
# again, which is the safe direction.
PARTY_HASH_VERSION = "party-v1"


def stake_names(owners: object) -> list[tuple[int, str]]:
    """(index, name) of each named owner of a customer, as stored or in a document: the owners
    screened, by their place in the list (``facility.owners[i]``)."""
    stakes = owners if isinstance(owners, list) else []
    return [
        (i, o["name"])
        for i, o in enumerate(stakes)
        if isinstance(o, dict) and isinstance(o.get("name"), str) and o["name"]
    ]


def party_fingerprint(document: Mapping[str, Any], party: str, name: str) -> str:
    """sha256 (hex) of who a document party is, as screened: the name that was screened and, for
    the facility owner, its country; for an engineer, the countries of citizenship and the date of
    birth where the document has one. A false-positive mark is bound to it as well as to the list
    entry's content, so renaming the party, or changing its country or date of birth, lapses the
    mark and the next check flags the hit again."""
    if party == "facility.owner":
        facts: dict[str, Any] = {"country": (document.get("facility") or {}).get("country") or ""}
    elif party.startswith("facility.owners["):
        facts = {}  # an owner of the owner: its name is who it is
    elif party.startswith("facility.parties["):
        index = int(party.removeprefix("facility.parties[").rstrip("]"))
        named = ((document.get("facility") or {}).get("parties") or [])[index]
        facts = {"role": named.get("role") or "", "country": named.get("country") or ""}
    else:
        index = int(party.removeprefix("engineers[").rstrip("]"))
        eng = (document.get("engineers") or [])[index]
        facts = {
            "citizenships": list(engineer_countries(eng.get("citizenships") or [])),
            "date_of_birth": eng.get("date_of_birth") or "",
        }
    canonical = json.dumps(
        {"v": PARTY_HASH_VERSION, "party": party.split("[")[0], "name": nfc(name), **facts},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def screen_parties(
    *,
    index: ScreeningIndex | None,
    document: dict[str, Any],
    party_keys: dict[str, str] | None = None,
    false_positives: Mapping[tuple[str, str, str, str], Sequence[separation.Supplier]]
    | None = None,
    involved: frozenset[int] = frozenset(),
) -> list[engine.ScreeningHit]:
    """Screen the facility owner (and aliases) and every engineer of a document.

    ``party_keys`` maps document parties ("facility.owner", "engineers[0]") to stable keys
    ("customer:3", "engineer:7") under which false-positive marks are stored;
    ``false_positives`` gives who marked each (key, entry id, entry hash, party fingerprint); a
    mark made by one of ``involved`` (who requested or edited the visit) does not count for it.
    """
    hits: list[engine.ScreeningHit] = []
    party_keys = party_keys or {}
    false_positives = false_positives or {}
    facility = document.get("facility") or {}
    owner_names = [facility.get("owner") or ""] + list(facility.get("owner_aliases") or [])
    targets: list[tuple[str, str, str | None, tuple[str, ...], str | None]] = [
        ("facility.owner", n, facility.get("country"), (), None) for n in owner_names if n
    ]
    for i, name in stake_names(facility.get("owners")):
        targets.append((f"facility.owners[{i}]", name, None, (), None))
    for i, named in enumerate(facility.get("parties") or []):
        if isinstance(named, Mapping) and isinstance(named.get("name"), str) and named["name"]:
            targets.append(
                (f"facility.parties[{i}]", named["name"], named.get("country"), (), None)
            )
    for i, eng in enumerate(document.get("engineers") or []):
        targets.append(
            (
                f"engineers[{i}]",
                eng.get("name") or "",
                None,
                engineer_countries(eng.get("citizenships") or []),
                eng.get("date_of_birth"),
            )
        )
    seen: set[tuple[str, str]] = set()
    for party, name, country, countries, born in targets:
        for match in screen_name(index, name, country, countries=countries, date_of_birth=born):
            if (party, match.entry_id) in seen:
                continue
            seen.add((party, match.entry_id))
            key = party_keys.get(party, party)
            fingerprint = party_fingerprint(document, party, name) if false_positives else ""
            marked_by, withheld_by = separation.mark_basis(
                false_positives.get((key, match.entry_id, match.entry_hash, fingerprint), ()),
                involved,
            )
            hits.append(
                engine.ScreeningHit(
                    party=party,
                    name=name,
                    list_code=match.list_code,
                    entry_id=match.entry_id,
                    entry_name=match.entry_name,
                    score=round(float(match.score), 4),
                    explanation=match.explanation,
                    entry_hash=match.entry_hash,
                    licence_policy=match.licence_policy,
                    false_positive=bool(marked_by),
                    false_positive_by=marked_by,
                    withheld_by=withheld_by,
                    **_meaning_fields(match, document),
                )
            )
    return hits


def _meaning_fields(match: Match, document: Mapping[str, Any]) -> dict[str, str]:
    """What the hit means for this visit (sources.yaml), as ScreeningHit fields; {} for the CSL,
    whose codes the rule packs judge."""
    meaning = hit_meaning(
        match.list_code, programs=match.programs, measures=match.measures, document=document
    )
    if meaning is None:
        return {}
    return {
        "list_effect": meaning["effect"],
        "list_rule": meaning["rule"],
        "list_title": meaning["title"],
        "list_jurisdiction": meaning["jurisdiction"],
        "list_citation": meaning["citation"],
        "list_authority": meaning["authority"] or "",
        "list_confidence": meaning["confidence"],
        "list_source_url": meaning["source_url"],
    }


FalsePositiveMarks = dict[tuple[str, str, str, str], list[separation.Supplier]]


# Compiled once per process (dispatch/sql.py): read on every check.
_MARK_ROWS = CompiledQuery(
    lambda parties: (
        MatchReview.objects.filter(party__within=parties)
        .exclude(party_hash="")
        .order_by("marked_at", "pk")
        .values_list(
            "party", "entry_id", "entry_hash", "party_hash", "marked_by_id", "marked_by__username"
        )
    )
)


def false_positive_marks(party_keys: Iterable[str]) -> FalsePositiveMarks:
    """Who marked each (party key, entry id, entry hash, party fingerprint) as a false positive,
    oldest first. Marks recorded before parties were fingerprinted have none and count for no
    party: they lapsed, and their hits are flagged again."""
    marks: FalsePositiveMarks = {}
    for party, entry_id, entry_hash, party_hash, user_id, username in _MARK_ROWS.rows(
        sorted(set(party_keys))
    ):
        marks.setdefault((party, entry_id, entry_hash, party_hash), []).append((user_id, username))
    return marks


def licence_spec(licence: Licence, vendor_name: str) -> engine.LicenceSpec:
    facilities = [f.name for f in licence.facilities.all()] + [c.name for c in licence.owners.all()]
    return engine.LicenceSpec(
        id=str(licence.pk),
        authority=licence.authority,
        number=licence.number,
        holder=licence.holder.name if licence.holder_id else vendor_name,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        facilities=tuple(sorted(facilities)),
        activities=tuple(sorted(licence.activities or [])),
        classifications=tuple(sorted(licence.classifications or [])),
        engineers=tuple(sorted(e.name for e in licence.engineers.all())),
        revoked=licence.revoked_at is not None,
        # Only a METI bulk licence covers by country, and only for its own holder.
        countries=tuple(sorted(licence.countries or []))
        if licence.kind == Licence.Kind.BULK
        and licence.authority == "METI"
        and licence.holder_id is not None
        else (),
        recorded_by=tuple(username for _, username in separation.recorded_by(licence.recorded_by)),
    )


def licences_for_visits(visits: Sequence[CheckInput]) -> dict[int, list[engine.LicenceSpec]]:
    """Licences that could cover each visit: held by its vendor (or by anyone, e.g. a VEU) and naming
    its facility or the facility's owner. A fixed number of queries for any number of visits."""

    vendor_ids = {v.vendor_id for v in visits}
    facility_ids = {v.facility_id for v in visits}
    customer_ids = {v.customer_id for v in visits}
    licences = list(
        Licence.objects.filter(Q(holder_id__in=vendor_ids) | Q(holder__isnull=True))
        .filter(
            Q(facilities__in=facility_ids)
            | Q(owners__in=customer_ids)
            | Q(kind=Licence.Kind.BULK, revoked_at__isnull=True)
        )
        .distinct()
        .select_related("holder")
        .prefetch_related("facilities", "owners", "engineers")
    )
    places = [
        (
            lic,
            {f.pk for f in lic.facilities.all()},
            {c.pk for c in lic.owners.all()},
        )
        for lic in licences
    ]
    specs_by: dict[tuple[int, str], engine.LicenceSpec] = {}
    out: dict[int, list[engine.LicenceSpec]] = {}
    for visit in visits:
        specs = []
        for lic, facility_ids, owner_ids in places:
            if lic.holder_id not in (None, visit.vendor_id):
                continue
            in_scope = (
                lic.kind == Licence.Kind.BULK
                and lic.holder_id == visit.vendor_id
                and visit.facility_country in (lic.countries or [])
            )
            if visit.facility_id in facility_ids or visit.customer_id in owner_ids or in_scope:
                key = (lic.pk, visit.vendor_name)
                if key not in specs_by:
                    specs_by[key] = licence_spec(lic, visit.vendor_name)
                specs.append(
                    separation.withhold_licence(
                        specs_by[key],
                        separation.recorded_by(lic.recorded_by),
                        visit.involved_user_ids,
                    )
                )
        out[visit.pk] = sorted(specs, key=lambda s: (s.authority, s.number))
    return out


def hit_dict(hit: engine.ScreeningHit) -> dict[str, Any]:
    return asdict(hit)


def licence_dict(spec: engine.LicenceSpec) -> dict[str, Any]:
    d = asdict(spec)
    d["valid_from"] = spec.valid_from.isoformat()
    d["valid_until"] = spec.valid_until.isoformat()
    return d


def licence_from_dict(d: dict[str, Any]) -> engine.LicenceSpec:
    data = dict(d)
    data["valid_from"] = dt.date.fromisoformat(data["valid_from"])
    data["valid_until"] = dt.date.fromisoformat(data["valid_until"])
    for key in (
        "facilities",
        "activities",
        "classifications",
        "engineers",
        "recorded_by",
        "countries",
    ):
        data[key] = tuple(data.get(key) or ())
    return engine.LicenceSpec(**data)
