"""Japan: the 23 tool types under FEFTA from 2023-07-23."""

from __future__ import annotations

from typing import Any

from .builders import decide, document, engineer, findings, licence, tool

DEPOSITION_TOOL = tool("Coater X", jp=["METI-23:deposition"])


def jp_findings(**kwargs: Any) -> list[Any]:
    kwargs.setdefault("vendor_country", "JP")
    kwargs.setdefault("vendor_name", "Tokyo Tools K.K.")
    kwargs.setdefault("tools", [DEPOSITION_TOOL])
    kwargs.setdefault("engineers", [engineer("Sato Kenji", citizenships=["JP"])])
    return findings(decide(document(**kwargs)), "JP-FEFTA-23-TOOLS")


def test_a_japanese_vendor_servicing_a_listed_tool_in_china_needs_a_meti_licence() -> None:
    (finding,) = jp_findings(start="2023-07-23")
    assert finding.licence_authority == "METI"
    assert "FEFTA Art. 48(1)" in finding.citation and "Art. 25(1)" in finding.citation


def test_the_day_before_2023_07_23_does_not_fire() -> None:
    assert not jp_findings(start="2023-07-22")


def test_a_bulk_licence_country_fires_too_and_a_meti_licence_on_file_covers_it() -> None:
    # A bulk licence is still a METI licence (DOMAIN sec. 8): every destination needs one on file.
    assert jp_findings(country="KR") and jp_findings(country="US")
    bulk = licence(authority="METI", number="BULK-2026-17", holder="Tokyo Tools K.K.")
    doc = document(
        vendor_country="JP", vendor_name="Tokyo Tools K.K.", tools=[DEPOSITION_TOOL], country="KR"
    )
    [finding] = findings(decide(doc, licences=[bulk]), "JP-FEFTA-23-TOOLS")
    assert finding.covered_by_licence


def test_servicing_inside_japan_is_not_an_export() -> None:
    assert not jp_findings(country="JP")


def test_a_japan_resident_engineer_of_a_foreign_vendor_fires() -> None:
    resident = engineer("Sato Kenji", citizenships=["JP"], residencies=["JP"])
    assert jp_findings(vendor_country="DE", vendor_name="Other GmbH", engineers=[resident])
    remote_from_japan = engineer("Sato Kenji", citizenships=["DE"], location="JP")
    assert jp_findings(
        vendor_country="DE", vendor_name="Other GmbH", mode="remote", engineers=[remote_from_japan]
    )


def test_a_foreign_vendor_and_engineer_outside_japan_do_not_fire() -> None:
    assert not jp_findings(
        vendor_country="DE", vendor_name="Other GmbH", engineers=[engineer(citizenships=["JP"])]
    )


def test_a_tool_not_among_the_23_types_does_not_fire() -> None:
    assert not jp_findings(tools=[tool("Other", jp=[])])
