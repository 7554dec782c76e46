"""What the pages show of a decision: read models built from stored decisions, never re-evaluated."""

from compliance.presentation.card import decision_card

__all__ = ["decision_card"]
