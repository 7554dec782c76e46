"""South Korea: National Core Technology under the Industrial Technology Protection Act."""

from __future__ import annotations

from typing import Any

from .builders import decide, document, findings, tool

NCT_TOOL = tool("DRAM line tool", kr=["NCT:dram-sub-30nm"])


def kr_findings(**kwargs: Any) -> list[Any]:
    kwargs.setdefault("vendor_country", "KR")
    kwargs.setdefault("vendor_name", "Seoul Equipment Co.")
    kwargs.setdefault("tools", [NCT_TOOL])
    return findings(decide(document(**kwargs)), "KR-ITPA-11-NATIONAL-CORE-TECHNOLOGY")


def test_a_korean_vendor_servicing_a_national_core_technology_tool_abroad_is_reviewed() -> None:
    (finding,) = kr_findings()
    assert (finding.effect, finding.citation) == (
        "review",
        "Industrial Technology Protection Act Art. 11",
    )


def test_servicing_in_korea_is_not_reviewed() -> None:
    assert not kr_findings(country="KR")


def test_a_non_korean_vendor_is_not_reviewed() -> None:
    assert not kr_findings(vendor_country="JP")


def test_only_whole_nct_segments_count() -> None:
    assert kr_findings(tools=[tool("X", kr=["NCT"])])
    assert not kr_findings(tools=[tool("X", kr=["NCTX"])])
