"""Rule sets: loading the packs, switching policies, activating a rule set (which re-checks the
open visits) and previewing what a switch would change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance import engine, runtime
from compliance.audit import audit_record
from compliance.checks.evaluate import decision_reevaluate
from compliance.checks.inputs import active_ruleset
from compliance.checks.rule_change import visits_recheck_for_rule_change
from compliance.models import (
    AuditEventType,
    CountryGroupMembership,
    Rule,
    RuleSet,
)
from config.errors import ApplicationError, PermissionDenied
from dispatch import roles
from dispatch.models import OPEN_STATUSES
from dispatch.models import Visit as VisitModel
from dispatch.roles import User


def _rule_rows(ruleset: RuleSet, compiled: engine.CompiledRuleSet) -> None:

    enabled = set(ruleset.enabled_policies)
    Rule.objects.bulk_create(
        Rule(
            ruleset=ruleset,
            code=r.code,
            pack=r.source_file,
            jurisdiction=r.jurisdiction,
            title=r.title,
            citation=r.citation,
            source_url=r.source_url or "",
            confidence=r.confidence,
            effective_from=r.effective_from,
            effective_to=r.effective_to,
            scope=r.scope,
            effect=r.effect,
            licence_authority=r.licence_authority or "",
            condition=r.when,
            message=r.message,
            is_policy=r.policy,
            is_enabled=(not r.policy) or r.code in enabled,
        )
        for r in compiled.rules
    )
    CountryGroupMembership.objects.bulk_create(
        CountryGroupMembership(
            ruleset=ruleset,
            group=g.code,
            country=m.country,
            valid_from=m.from_date,
            valid_to=m.to_date,
            citation=m.citation or g.citation,
            confidence=m.confidence or g.confidence,
        )
        for g in compiled.groups
        for m in g.members
    )


def _ruleset_activate(ruleset: RuleSet, *, actor: User | None, note: str) -> int:
    """Make ``ruleset`` the one in force and re-check every open visit (inside a transaction)."""
    previous = (
        RuleSet.objects.select_for_update().filter(is_active=True).exclude(pk=ruleset.pk).first()
    )
    if previous is not None:
        RuleSet.objects.filter(pk=previous.pk).update(is_active=False)
    RuleSet.objects.filter(pk=ruleset.pk).update(is_active=True)
    ruleset.is_active = True
    # Visits before the audit chain head, the order every transaction takes them in.
    plan = visits_recheck_for_rule_change(previous=previous, ruleset=ruleset)
    audit_record(
        event_type=AuditEventType.RULESET_ACTIVATED,
        obj=ruleset,
        actor=actor,
        old={"version": previous.version if previous else None},
        new={
            "version": ruleset.version,
            "enabled_policies": ruleset.enabled_policies,
            "note": note,
            "changed_rules": list(plan.changed_rules),
            "rechecked": plan.checked,
            "reconfirmed": plan.reconfirmed,
        },
    )
    return plan.checked


def _removed_rules(
    *,
    texts: dict[str, str],
    packs: engine.RulePacks,
    current: RuleSet | None,
    remove: frozenset[str],
) -> list[str]:
    """The codes of the rules in force that `packs` drops, each named in `remove`; otherwise
    ``engine.RulePackError`` naming every rule and file that would go silently. A rule set must not
    shrink by accident: a deleted or emptied file clears the visits its rules used to hold."""
    problems: list[tuple[str, str | None, str]] = [
        (name, None, "a required rule pack file is missing")
        for name in settings.COMPLIANCE["REQUIRED_RULE_PACKS"]
        if name not in texts
    ]
    # An emptied file would load as a smaller rule set and clear what it used to hold. (Checked
    # here, not in the engine: a stored rule set with an empty file must still replay.)
    emptied = {r.source_file for r in packs.rules}
    problems += [
        (name, None, "the pack has no rules (delete the file and --remove its rules)")
        for name in sorted(texts)
        if not name.startswith("reference/") and name not in emptied
    ]
    in_force = dict(current.rules.values_list("code", "pack")) if current else {}
    kept = {r.code for r in packs.rules}
    removed = set(in_force) - kept
    for code in sorted(removed - remove):
        missing = " (its file is missing)" if in_force[code] not in texts else ""
        problems.append(
            (
                in_force[code],
                code,
                f"a rule in force is not in the packs{missing}: name it with --remove to remove it",
            )
        )
    for code in sorted(remove - removed):
        where = "it is still in the packs" if code in kept else "it is not a rule in force"
        problems.append(("--remove", code, f"named for removal, but {where}"))
    if problems:
        raise engine.RulePackError(*problems[0], errors=tuple(problems))
    return sorted(removed)


def ruleset_load(
    *,
    texts: dict[str, str] | None = None,
    actor: User | None = None,
    note: str = "",
    remove: Iterable[str] = (),
) -> tuple[RuleSet, bool]:
    """Load the rule packs; a changed pack makes a new version and re-checks open visits.

    Idempotent: loading the packs in force again changes nothing. A bad pack, a required file
    missing, or a rule in force dropped without being named in `remove` raises
    ``engine.RulePackError`` (naming file, rule and problem) and changes nothing.
    """
    if texts is None:
        texts = engine.read_rule_pack_dir(settings.COMPLIANCE["RULEPACK_DIR"])
    packs = engine.load_rule_packs(texts)
    current = RuleSet.objects.filter(is_active=True).first()
    removed = _removed_rules(texts=texts, packs=packs, current=current, remove=frozenset(remove))
    policy_codes = {r.code for r in packs.rules if r.policy}
    enabled = frozenset(
        c for c in (current.enabled_policies if current else []) if c in policy_codes
    )
    if current is None:
        enabled = frozenset(r.code for r in packs.rules if r.policy and r.enabled_by_default)
    compiled = engine.compile_ruleset(packs, enabled_policies=enabled)
    with transaction.atomic():
        existing = RuleSet.objects.select_for_update().filter(version=compiled.version).first()
        if existing is not None and existing.is_active:
            return existing, False
        if existing is None:
            existing = RuleSet.objects.create(
                version=compiled.version,
                packs=dict(texts),
                enabled_policies=sorted(enabled),
                loaded_by=actor if getattr(actor, "pk", None) else None,
                note=note,
            )
            _rule_rows(existing, compiled)
            audit_record(
                event_type=AuditEventType.RULESET_LOADED,
                obj=existing,
                actor=actor,
                new={
                    "version": compiled.version,
                    "files": sorted(texts),
                    "rules": len(compiled.rules),
                    "removed_rules": removed,
                    "note": note,
                },
            )
        _ruleset_activate(existing, actor=actor, note=note or "rule packs loaded")
    return existing, True


def ruleset_with_policies(*, enabled_policies: Iterable[str], actor: User | None = None) -> RuleSet:
    """The rule set in force with another set of company policies switched on (created if new,
    not activated): what the impact preview evaluates and what activation then puts in force."""
    current = active_ruleset()
    packs = engine.load_rule_packs(current.packs)
    policy_codes = {r.code for r in packs.rules if r.policy}
    wanted = frozenset(enabled_policies)
    unknown = wanted - policy_codes
    if unknown:
        raise ApplicationError(
            "Unknown policy.",
            errors={"enabled_policies": [f"{c} is not a policy rule." for c in sorted(unknown)]},
        )
    compiled = engine.compile_ruleset(packs, enabled_policies=wanted)
    with transaction.atomic():
        ruleset = RuleSet.objects.filter(version=compiled.version).first()
        if ruleset is None:
            ruleset = RuleSet.objects.create(
                version=compiled.version,
                packs=current.packs,
                enabled_policies=sorted(wanted),
                loaded_by=actor if getattr(actor, "pk", None) else None,
                note="policy switch",
            )
            _rule_rows(ruleset, compiled)
            audit_record(
                event_type=AuditEventType.RULESET_LOADED,
                obj=ruleset,
                actor=actor,
                new={"version": compiled.version, "enabled_policies": sorted(wanted)},
            )
    return ruleset


def ruleset_activate(*, ruleset: RuleSet, actor: User | None = None, note: str = "") -> int:

    if actor is not None and not roles.can_manage_compliance(actor):
        raise PermissionDenied("Only an approver may change the rules in force.")
    with transaction.atomic():
        if RuleSet.objects.filter(pk=ruleset.pk, is_active=True).exists():
            return 0
        return _ruleset_activate(ruleset, actor=actor, note=note)


def ruleset_impact(*, candidate: RuleSet, user: Any = None) -> list[dict[str, Any]]:
    """Which open visits would change outcome under ``candidate``, and how — computed by the engine
    from each visit's current decision inputs (document, hits, licences); nothing is written."""

    compiled = runtime.compiled_ruleset(candidate)
    today = timezone.localdate()
    visits = (
        VisitModel.objects.filter(
            status__in=OPEN_STATUSES, end_date__gte=today, current_decision__isnull=False
        )
        .select_related("current_decision", "facility", "vendor")
        .order_by("pk")
    )
    changes = []
    for visit in visits.iterator(chunk_size=500):
        d = visit.current_decision
        if d.error:
            continue
        new = decision_reevaluate(d, compiled=compiled)
        if new.outcome != d.outcome:
            old_rules = {
                f["rule"] for f in d.result.get("findings", []) if not f.get("covered_by_licence")
            }
            new_rules = {f.rule for f in new.findings if not f.covered_by_licence}
            changes.append(
                {
                    "visit": visit.pk,
                    "facility": visit.facility.name,
                    "vendor": visit.vendor.name,
                    "status": visit.status,
                    "outcome": d.outcome,
                    "new_outcome": new.outcome,
                    "new_status": new.status,
                    "added_rules": sorted(new_rules - old_rules),
                    "removed_rules": sorted(old_rules - new_rules),
                }
            )
    return changes
