"""The list sources (sources.yaml): validation, whom each binds, what a hit means."""

from __future__ import annotations

import pytest

from compliance.screening.sources import SourceConfigError, hit_meaning, parse_sources, sources


def test_every_source_loads_with_a_known_format_and_the_csl_is_there():
    loaded = sources()
    assert set(loaded) == {"us-csl", "un-sc", "eu-fsf", "uk-fcdo", "jp-eul", "opensanctions"}
    assert loaded["eu-fsf"].vendor_countries >= {"NL", "DE", "FR"}
    assert "GB" not in loaded["eu-fsf"].vendor_countries
    assert loaded["opensanctions"].enabled is False


def _doc(vendor="NL", citizenships=("NL",), origin=None):
    return {
        "vendor": {"country": vendor},
        "engineers": [{"citizenships": list(citizenships)}],
        "tools": [{"origin": origin}] if origin else [],
        "visit": {},
    }


def test_an_eu_hit_is_prohibited_for_an_eu_vendor_or_an_eu_citizen_and_reviewed_otherwise():
    assert hit_meaning("EU", programs=[], measures="", document=_doc())["effect"] == "prohibited"
    by_person = hit_meaning("EU", programs=[], measures="", document=_doc("US", ("DE",)))
    assert (
        by_person["effect"] == "prohibited"
        and by_person["binds"] == "an engineer is a citizen of DE"
    )
    other = hit_meaning("EU", programs=[], measures="", document=_doc("US", ("US",)))
    assert other["effect"] == "review"
    assert "does not bind" in other["citation"]


def test_a_uk_hit_is_prohibited_only_with_an_asset_freeze():
    doc = _doc("GB", ("GB",))
    assert (
        hit_meaning("UK", programs=[], measures="Asset freeze; Travel ban", document=doc)["effect"]
        == "prohibited"
    )
    assert hit_meaning("UK", programs=[], measures="Travel ban", document=doc)["effect"] == "review"


def test_a_meti_end_user_list_hit_needs_a_meti_licence_for_japanese_vendors_and_items():
    jp = hit_meaning("JP-EUL", programs=[], measures="", document=_doc("JP", ("JP",)))
    assert (jp["effect"], jp["authority"], jp["jurisdiction"]) == ("licence_required", "METI", "JP")
    item = hit_meaning("JP-EUL", programs=[], measures="", document=_doc("US", ("US",), "JP"))
    assert item["effect"] == "licence_required"
    other = hit_meaning("JP-EUL", programs=[], measures="", document=_doc("US", ("US",)))
    assert other["effect"] == "review" and other["authority"] is None


def test_a_un_hit_cites_the_regime_and_the_vendors_implementing_act():
    m = hit_meaning("UN", programs=["Taliban"], measures="", document=_doc("JP", ("JP",)))
    assert m["effect"] == "review" and m["rule"] == "LIST-UN-HIT"
    assert "Resolution 1988 (2011)" in m["citation"]
    assert "Foreign Exchange and Foreign Trade Act" in m["citation"]
    fallback = hit_meaning("UN", programs=[], measures="", document=_doc("SG", ("SG",)))
    assert "the vendor's state's act" in fallback["citation"]


def test_csl_codes_have_no_meaning_here():
    assert hit_meaning("EL", programs=[], measures="", document=_doc()) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: {x: {format: pdf}}", "sources.x.format"),
        (
            "sources: {us-csl: {format: csl, lists: {A: {title: t, effect: maybe, confidence: high, citation: c}}}}",
            "sources.us-csl.A.effect",
        ),
        (
            "sources: {us-csl: {format: csl, lists: {A: {title: t, effect: licence_required, confidence: high, citation: c}}}}",
            "names its authority",
        ),
        ("sources: {us-csl: {format: csl, applies_to: {vendor_countries: ['@NOPE']}}}", "@NOPE"),
        ("sources: {un-sc: {format: un-xml}}", "us-csl source is required"),
        ("sources: {us-csl: {format: csl, max_drop_share: 1.5}}", "max_drop_share"),
    ],
)
def test_an_invalid_sources_file_names_the_field(text, message):
    with pytest.raises(SourceConfigError) as exc:
        parse_sources(text)
    assert message in str(exc.value)
