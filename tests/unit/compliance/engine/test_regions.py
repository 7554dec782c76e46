"""A facility's region (ISO 3166-2): Crimea and the occupied areas of Ukraine (DOMAIN sec. 11)."""

from __future__ import annotations

import pytest

from compliance.engine import DocumentError, parse_document
from compliance.engine.document import document_to_dict

from .builders import codes, decide, document, engineer, findings, raw_document

PLANAR = {"logic_node_nm": 28, "non_planar": False}
DUTCH = engineer("Jan de Vries", citizenships=["NL"])


def test_a_facility_in_crimea_is_prohibited_and_the_eu_layer_reviews_it() -> None:
    for region in ("UA-43", "UA-40"):
        decision = decide(
            document(country="UA", region=region, vendor_country="NL", engineers=[DUTCH], **PLANAR)
        )
        [finding] = findings(decision, "US-EMBARGO-REGION-FACILITY")
        assert finding.effect == "prohibited"
        assert "Executive Order 13685" in finding.citation
        assert decision.outcome == "prohibited" and decision.status == "blocked"
        [eu] = findings(decision, "EU-UA-OCCUPIED-REGIONS")
        assert "2022/263" in eu.citation


def test_an_oblast_with_occupied_areas_is_reviewed_and_the_rest_of_ukraine_is_not() -> None:
    donetsk = decide(document(country="UA", region="UA-14", vendor_country="US", **PLANAR))
    [finding] = findings(donetsk, "US-EMBARGO-REGION-OBLAST")
    assert finding.effect == "review" and "line of control" in finding.message
    kyiv = decide(document(country="UA", region="UA-30", vendor_country="US", **PLANAR))
    assert not {c for c in codes(kyiv) if "REGION" in c}
    # Without a region nothing is assumed about where in Ukraine the site is: it is reviewed.
    unknown = decide(document(country="UA", vendor_country="US", **PLANAR))
    assert "US-EMBARGO-REGION-FACILITY" not in codes(unknown)
    assert findings(unknown, "DQ-UA-REGION-MISSING")[0].effect == "review"
    assert unknown.outcome != "clear"


@pytest.mark.parametrize(
    ("country", "region", "message"),
    [
        ("UA", "UA-99", "not an ISO 3166-2 code"),
        ("UA", "Crimea", "not an ISO 3166-2 code"),
        ("UA", 43, "not an ISO 3166-2 code"),
        ("CN", "UA-43", "not a subdivision of facility.country CN"),
    ],
)
def test_a_bad_region_is_refused_naming_the_field(country: str, region: object, message: str):
    with pytest.raises(DocumentError) as caught:
        parse_document(raw_document(country=country, region=region))  # type: ignore[arg-type]
    assert any(message in m for m in caught.value.errors["facility.region"])


def test_the_region_round_trips_and_is_absent_from_documents_without_one() -> None:
    doc = document(country="UA", region="UA-43")
    assert doc.facility.region == "UA-43"
    assert parse_document(document_to_dict(doc)) == doc
    assert "region" not in document_to_dict(document())["facility"]
