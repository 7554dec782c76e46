"""Whether a tool is an item subject to the EAR, derived from its inputs (DOMAIN sec. 7).

A foreign-made tool is not "not subject to the EAR" because someone unticked a box: it is subject
when it is of US origin (15 CFR 734.3(a)(1)), when it holds more US-controlled content than the
de minimis level (734.4), or when it is a foreign direct product (734.9). Only the parts of that
determination that DOMAIN rates high are decided here:

- US origin, the United States including its territories (772.1): subject;
- foreign-made with more than 25 % US-controlled content: subject (the general de minimis level);
- foreign-made with no US-controlled content and not made with US technology or software: not
  subject;
- everything else is *undetermined*: lower de minimis levels apply to some destinations and to
  some items (0 % for some), and the foreign direct product rules (the SME FDP rule of December
  2024, the Entity-List footnote rules) reach items made with US technology, but DOMAIN rates
  their details medium. An undetermined tool is reviewed where the EAR's item rules bite; the
  product never guesses "not subject".

A determination recorded in the document (`subject_to_ear` true or false) stays a valid input and
wins (DESIGN sec. 3); the inputs are still derived next to it, so a rule can flag a recorded
"not subject" that the inputs do not support.
"""

from __future__ import annotations

from typing import Final

from .document import ToolInfo

__all__ = ["DE_MINIMIS_PERCENT", "EarStatus", "derive_ear", "ear_facts"]

# 15 CFR 734.4: the general de minimis level of US-controlled content (DOMAIN sec. 7 [H]).
DE_MINIMIS_PERCENT: Final = 25


class EarStatus:
    SUBJECT: Final = "subject"
    NOT_SUBJECT: Final = "not_subject"
    UNDETERMINED: Final = "undetermined"
    # No origin given: nothing can be derived (documents from before the inputs existed).
    NOT_DERIVED: Final = "not_derived"


def _pct(value: float) -> str:
    return f"{value:g}"


def derive_ear(tool: ToolInfo, *, united_states: frozenset[str]) -> tuple[str, str]:
    """(status, reasoning) from the tool's origin, US content and US technology alone."""
    origin = tool.origin
    if origin is None:
        return EarStatus.NOT_DERIVED, "origin not given"
    if origin in united_states:
        return EarStatus.SUBJECT, f"US-origin (made in {origin}; 15 CFR 734.3(a)(1))"
    made = f"made in {origin}"
    share = tool.us_content_percent
    if share is None:
        return EarStatus.UNDETERMINED, f"{made}, US-controlled content not given (15 CFR 734.4)"
    if share > DE_MINIMIS_PERCENT:
        return EarStatus.SUBJECT, (
            f"{made} with {_pct(share)} % US-controlled content, above the "
            f"{DE_MINIMIS_PERCENT} % de minimis level (15 CFR 734.4)"
        )
    if share > 0:
        return EarStatus.UNDETERMINED, (
            f"{made} with {_pct(share)} % US-controlled content: lower de minimis levels apply "
            "to some destinations and items (15 CFR 734.4); determine the level that applies"
        )
    technology = tool.made_with_us_technology
    if technology is None:
        return EarStatus.UNDETERMINED, (
            f"{made}, no US-controlled content, whether it is made with US technology or "
            "software not given (foreign direct product rules, 15 CFR 734.9)"
        )
    if technology:
        return EarStatus.UNDETERMINED, (
            f"{made} with US technology or software: whether it is a foreign direct product "
            "(15 CFR 734.9, the SME and Entity-List footnote rules) must be determined"
        )
    return EarStatus.NOT_SUBJECT, (
        f"{made}, no US-controlled content, not made with US technology or software"
    )


def ear_facts(tool: ToolInfo, *, united_states: frozenset[str]) -> dict[str, object]:
    """The tool facts about the EAR: the recorded determination wins over the derived one."""
    derived, reasoning = derive_ear(tool, united_states=united_states)
    recorded = tool.subject_to_ear is not None
    if tool.subject_to_ear is not None:
        status = EarStatus.SUBJECT if tool.subject_to_ear else EarStatus.NOT_SUBJECT
        said = "subject" if tool.subject_to_ear else "not subject"
        why = f" ({tool.ear_justification})" if tool.ear_justification else ""
        basis = f"recorded as {said} to the EAR{why}; from the inputs: {reasoning}"
    else:
        status = EarStatus.UNDETERMINED if derived == EarStatus.NOT_DERIVED else derived
        basis = reasoning
    return {
        "origin": tool.origin,
        "subject_to_ear": status == EarStatus.SUBJECT,
        "ear_recorded": recorded,
        "ear_status": status,
        "ear_derived": derived,
        "ear_basis": basis,
    }
