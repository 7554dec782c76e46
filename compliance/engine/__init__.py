"""Pure compliance engine: visit document in, decision out. No Django, no clock, no I/O.

See compliance/engine/README.md for the facts vocabulary and how to write a rule.
"""

from .decision import (
    EFFECTS,
    SCREENING_NOTICE,
    Decision,
    Finding,
    LicenceSpec,
    ScreeningHit,
    approval_stands,
    decision_from_dict,
    effect_rank,
    status_for,
)
from .docparse import parse_document, parse_document_json
from .document import (
    ACTIVITIES,
    MODES,
    PRODUCTS,
    Citizenship,
    CodeMap,
    DocumentError,
    EngineerInfo,
    FacilityInfo,
    Residency,
    ToolInfo,
    VendorInfo,
    VisitDocument,
    VisitInfo,
    document_to_dict,
)
from .evaluate import evaluate
from .facts import FACT_VOCABULARY, SCALAR_FACTS
from .rulepack import (
    Constant,
    CountryGroup,
    GroupMembership,
    Rule,
    RulePackError,
    RulePacks,
)
from .rules import load_rule_packs, read_rule_pack_dir
from .ruleset import CompiledRuleSet, compile_ruleset
from .suggest import Suggestion, suggest_engineers, without_engineer
from .system import (
    OWNER_PARTY,
    SYSTEM_ERROR,
    SYSTEM_NO_SCREENING_LIST,
    SYSTEM_RULE_ERROR,
    SYSTEM_SCREENING_HIT,
    SYSTEM_SCREENING_PARTY,
    SYSTEM_SEPARATION_OF_DUTIES,
    SYSTEM_STALE_LIST,
    engineer_party,
    system_error_decision,
)

__all__ = [
    "ACTIVITIES",
    "EFFECTS",
    "FACT_VOCABULARY",
    "MODES",
    "OWNER_PARTY",
    "PRODUCTS",
    "SCALAR_FACTS",
    "SCREENING_NOTICE",
    "SYSTEM_ERROR",
    "SYSTEM_NO_SCREENING_LIST",
    "SYSTEM_RULE_ERROR",
    "SYSTEM_SCREENING_HIT",
    "SYSTEM_SCREENING_PARTY",
    "SYSTEM_SEPARATION_OF_DUTIES",
    "SYSTEM_STALE_LIST",
    "Citizenship",
    "CodeMap",
    "CompiledRuleSet",
    "Constant",
    "CountryGroup",
    "Decision",
    "DocumentError",
    "EngineerInfo",
    "FacilityInfo",
    "Finding",
    "GroupMembership",
    "LicenceSpec",
    "Residency",
    "Rule",
    "RulePackError",
    "RulePacks",
    "ScreeningHit",
    "Suggestion",
    "ToolInfo",
    "VendorInfo",
    "VisitDocument",
    "VisitInfo",
    "approval_stands",
    "compile_ruleset",
    "decision_from_dict",
    "document_to_dict",
    "effect_rank",
    "engineer_party",
    "evaluate",
    "load_rule_packs",
    "parse_document",
    "parse_document_json",
    "read_rule_pack_dir",
    "status_for",
    "suggest_engineers",
    "system_error_decision",
    "without_engineer",
]
