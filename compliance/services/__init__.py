"""The compliance services other than the check pipeline (``compliance.checks``), by aggregate:
``approvals``, ``licences``, ``rulesets``, ``screening`` and ``suggestions``. Their public
functions are importable from here too."""

from compliance.services.approvals import MIN_JUSTIFICATION, visit_approve, visit_reject
from compliance.services.licences import licence_changed, licence_create, licence_revoke
from compliance.services.rulesets import (
    active_ruleset,
    ruleset_activate,
    ruleset_impact,
    ruleset_load,
    ruleset_with_policies,
)
from compliance.services.screening import (
    list_snapshot_import,
    match_review_mark,
    screening_search,
)
from compliance.services.suggestions import suggestion_inputs, visit_suggestions

__all__ = [
    "MIN_JUSTIFICATION",
    "active_ruleset",
    "licence_changed",
    "licence_create",
    "licence_revoke",
    "list_snapshot_import",
    "match_review_mark",
    "ruleset_activate",
    "ruleset_impact",
    "ruleset_load",
    "ruleset_with_policies",
    "screening_search",
    "suggestion_inputs",
    "visit_approve",
    "visit_reject",
    "visit_suggestions",
]
