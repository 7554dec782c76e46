"""Company policy rules (policy.yaml): off unless switched on."""

from __future__ import annotations

from .builders import decide, document, engineer, findings

ALLIED = "POLICY-ALLIED-NATIONALS-ADVANCED-CHINA"
KOREAN = "POLICY-KR-ENGINEERS-ABROAD"


def test_policies_are_off_by_default() -> None:
    decision = decide(document(engineers=[engineer(citizenships=["JP"])]))
    assert decision.status == "cleared"


def test_an_allied_national_at_an_advanced_chinese_fab_is_reviewed_when_the_policy_is_on() -> None:
    decision = decide(document(engineers=[engineer(citizenships=["JP"])]), policies=[ALLIED])
    (finding,) = findings(decision, ALLIED)
    assert finding.effect == "review"
    assert decision.status == "on_hold"


def test_the_allied_policy_ignores_non_advanced_fabs_and_other_nationals() -> None:
    assert not findings(
        decide(
            document(engineers=[engineer(citizenships=["JP"])], logic_node_nm=28, non_planar=False),
            policies=[ALLIED],
        ),
        ALLIED,
    )
    assert not findings(
        decide(document(engineers=[engineer(citizenships=["FR"])]), policies=[ALLIED]), ALLIED
    )


def test_the_korean_engineer_policy_reviews_korean_nationals_abroad_only() -> None:
    korean = engineer(citizenships=["KR"])
    (finding,) = findings(decide(document(engineers=[korean]), policies=[KOREAN]), KOREAN)
    assert finding.confidence == "unverified"
    assert not findings(
        decide(document(engineers=[korean], country="KR"), policies=[KOREAN]), KOREAN
    )
