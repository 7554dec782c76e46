"""Cases of the legal-depth review, each checked against DOMAIN.md: the effect and the citation a
visit gets where the packs used to clear it."""

from __future__ import annotations

import dataclasses

import pytest

from compliance.engine import DocumentError, ScreeningHit, parse_document

from .builders import codes, decide, document, engineer, findings, hit, raw_document, tool

US_CITIZEN = engineer("Sam Carter", citizenships=["US"])
JAPANESE = engineer("Kenji Sato", citizenships=["JP"])
VIETNAMESE = engineer("Nguyen Van An", citizenships=["VN"])
ETCHER = tool("Etch 3B001", us=["3B001.c"])


def test_remote_support_from_puerto_rico_is_support_by_a_us_person() -> None:
    # 15 CFR 772.1: "United States" includes Puerto Rico and every US territory (DOMAIN sec. 4).
    for territory in ["PR", "GU", "VI", "AS", "MP"]:
        remote = engineer("Kenji Sato", citizenships=["JP"], location=territory)
        decision = decide(document(engineers=[remote], activity="remote_support", mode="remote"))
        [finding] = findings(decision, "US-EAR-744.6-ADVANCED-FAB")
        assert finding.effect == "licence_required"
        assert finding.citation.startswith("15 CFR 744.6(c)(2)")
        assert f"present_in:US ({territory})" in finding.message
    # From Japan the same engineer is not a U.S. person.
    at_home = engineer("Kenji Sato", citizenships=["JP"], location="JP")
    decision = decide(document(engineers=[at_home], activity="remote_support", mode="remote"))
    assert "US-EAR-744.6-ADVANCED-FAB" not in codes(decision)


def test_a_vendor_organised_in_puerto_rico_is_a_us_company() -> None:
    decision = decide(document(vendor_country="PR", engineers=[JAPANESE]))
    [finding] = findings(decision, "US-EAR-744.6-US-COMPANY")
    assert "organised_in:US (PR)" in finding.message


def test_a_vietnamese_national_trained_on_a_3b001_tool_needs_a_deemed_export_licence() -> None:
    # Vietnam is in Country Group D:1 (DOMAIN sec. 3 [H]); training releases 3B technology.
    decision = decide(
        document(engineers=[VIETNAMESE], tools=[ETCHER], activity="training", country="DE")
    )
    [finding] = findings(decision, "US-EAR-734.13-DEEMED-EXPORT")
    assert finding.effect == "licence_required"
    assert finding.citation == "15 CFR 734.13(b), 734.14(b)"
    assert "VN" in finding.message


def test_a_us_citizen_training_staff_at_a_7nm_china_fab_is_reviewed() -> None:
    decision = decide(document(engineers=[US_CITIZEN], activity="training"))
    [finding] = findings(decision, "US-EAR-744.6-TRAINING")
    assert finding.effect == "review"
    assert finding.citation == "15 CFR 744.6(c)(2); 88 FR 73424"
    assert "not settled" in finding.message
    assert decision.outcome != "clear"
    # The same training at a 28 nm planar fab is not a 744.6 matter.
    planar = document(
        engineers=[US_CITIZEN], activity="training", logic_node_nm=28, non_planar=False
    )
    assert "US-EAR-744.6-TRAINING" not in codes(decide(planar))


def test_a_19nm_dram_fab_without_its_cell_area_is_reviewed_after_2024_12_02() -> None:
    dram = {"products": ["dram"], "logic_node_nm": None, "non_planar": False}
    late = decide(document(engineers=[US_CITIZEN], dram_half_pitch_nm=19, **dram))
    [finding] = findings(late, "DQ-DRAM-CELL-AREA-MISSING")
    assert finding.effect == "review"
    assert late.outcome != "clear"
    # Before 2024-12-02 the half-pitch alone settled it: 19 nm was not advanced.
    early = decide(
        document(engineers=[US_CITIZEN], dram_half_pitch_nm=19, start="2024-12-01", **dram)
    )
    assert "DQ-DRAM-CELL-AREA-MISSING" not in codes(early)
    # With the cell area known, the building is decided on it.
    known = decide(
        document(engineers=[US_CITIZEN], dram_half_pitch_nm=19, dram_cell_area_um2=0.0025, **dram)
    )
    assert "DQ-DRAM-CELL-AREA-MISSING" not in codes(known)
    # 18 nm or less is still advanced, with or without the cell area.
    advanced = decide(document(engineers=[US_CITIZEN], dram_half_pitch_nm=18, **dram))
    assert "US-EAR-744.6-ADVANCED-FAB" in codes(advanced)


EUV = tool("TWINSCAN NXE:3600D", eu=["3B001.f.1"])
ASML = {"vendor_country": "NL", "vendor_name": "ASML Netherlands B.V."}


def test_an_euv_scanner_installed_in_taiwan_by_a_dutch_vendor_needs_an_eu_authorisation() -> None:
    decision = decide(document(**ASML, tools=[EUV], country="TW", activity="installation"))
    [finding] = findings(decision, "EU-2021-821-ANNEX-I-EXPORT")
    assert finding.effect == "licence_required"
    assert finding.citation.startswith("Regulation (EU) 2021/821")
    # EU001 covers Japan and the US; inside the EU nothing leaves it.
    for country in ["JP", "US", "DE"]:
        quiet = decide(document(**ASML, tools=[EUV], country=country, activity="installation"))
        assert "EU-2021-821-ANNEX-I-EXPORT" not in codes(quiet)


def test_technical_assistance_on_a_dual_use_tool_in_russia_by_an_eu_vendor_is_prohibited() -> None:
    german = engineer("Anna Schmidt", citizenships=["DE"])
    decision = decide(document(vendor_country="DE", engineers=[german], tools=[EUV], country="RU"))
    [finding] = findings(decision, "EU-833-2014-RU-TECHNICAL-ASSISTANCE")
    assert finding.effect == "prohibited"
    assert finding.citation.startswith("Council Regulation (EU) No 833/2014")
    assert decision.outcome == "prohibited"
    # Belarus: Regulation 765/2006, for an EU national employed by a non-EU vendor too.
    belarus = decide(document(vendor_country="US", engineers=[german], tools=[EUV], country="BY"))
    assert findings(belarus, "EU-765-2006-BY-TECHNICAL-ASSISTANCE")[0].effect == "prohibited"


def test_a_japanese_listed_tool_installed_in_korea_needs_a_meti_licence() -> None:
    coater = tool("Coater", jp=["METI-23:deposition"])
    decision = decide(
        document(vendor_country="JP", tools=[coater], country="KR", activity="installation")
    )
    [finding] = findings(decision, "JP-FEFTA-23-TOOLS")
    assert finding.effect == "licence_required"
    assert finding.licence_authority == "METI"
    assert "bulk licence" in finding.message


def test_a_3b001_etch_tool_installed_at_a_28nm_china_fab_needs_a_bis_licence() -> None:
    etcher = tool("Etch 3B001", us=["3B001.c"], subject_to_ear=True)
    planar = {"logic_node_nm": 28, "non_planar": False}
    decision = decide(document(tools=[etcher], activity="installation", **planar))
    [finding] = findings(decision, "US-EAR-738-NS-3B-TOOL-CN")
    assert finding.effect == "licence_required"
    assert finding.licence_authority == "BIS"
    assert "738 Supplement No. 1" in finding.citation
    assert decision.outcome != "clear"
    # Spare parts for it are items of their own classification: reviewed, never cleared.
    parts = decide(document(tools=[etcher], activity="spare_parts", **planar))
    assert findings(parts, "US-EAR-738-NS-3B-ITEMS-CN")[0].effect == "review"


def _stake_hit(i: int, list_code: str, **kwargs: object) -> ScreeningHit:
    return hit(f"facility.owners[{i}]", list_code, name=f"Holder {i}", **kwargs)  # type: ignore[arg-type]


def test_a_fab_owner_60_percent_owned_by_an_entity_list_party_needs_a_licence_in_dec_2026() -> None:
    owners = [
        {"name": "Holder 0", "share": 60, "source": "registry extract", "as_of": "2026-06-30"}
    ]
    decision = decide(document(owners=owners, country="VN"), screening=[_stake_hit(0, "EL")])
    [finding] = findings(decision, "US-EAR-744.11-AFFILIATES")
    assert finding.effect == "licence_required"
    assert finding.confidence == "medium"
    assert "unless its suspension was extended" in finding.message
    assert "Holder 0 60 % (EL)" in finding.message
    # The owner itself is screened too: its hit is a finding of its own.
    assert "SYSTEM-SCREENING-HIT" in codes(decision)
    # During the suspension the rule does not apply (the hit still holds the visit for review).
    suspended = decide(
        document(owners=owners, country="VN", start="2026-11-09"), screening=[_stake_hit(0, "EL")]
    )
    assert not {"US-EAR-744.11-AFFILIATES", "US-EAR-744.11-AFFILIATES-2025"} & codes(suspended)


def test_listed_owners_count_in_aggregate_and_an_unknown_share_needs_a_licence() -> None:
    owners = [{"name": "Holder 0", "share": 30}, {"name": "Holder 1", "share": 25}]
    both = decide(
        document(owners=owners, country="VN"),
        screening=[_stake_hit(0, "EL"), _stake_hit(1, "MEU")],
    )
    [finding] = findings(both, "US-EAR-744.11-AFFILIATES")
    assert "55 %" in finding.message and "(EL, MEU)" in finding.message
    one = decide(document(owners=owners, country="VN"), screening=[_stake_hit(0, "EL")])
    assert "US-EAR-744.11-AFFILIATES" not in codes(one)  # 30 % alone
    unknown = decide(
        document(owners=[{"name": "Holder 0"}], country="VN"), screening=[_stake_hit(0, "EL")]
    )
    [red_flag] = findings(unknown, "US-EAR-744.11-AFFILIATES-UNKNOWN-SHARE")
    assert red_flag.effect == "licence_required"
    # A hit marked as a false positive is no listed owner.
    cleared = decide(
        document(owners=[owners[0], {"name": "Holder 1", "share": 40}], country="VN"),
        screening=[_stake_hit(0, "EL", false_positive=True), _stake_hit(1, "EL")],
    )
    assert "US-EAR-744.11-AFFILIATES" not in codes(cleared)


def test_an_sdn_owned_owner_is_prohibited_and_decimal_shares_reach_50() -> None:
    owners = [{"name": "Holder 0", "share": 2.65}, {"name": "Holder 1", "share": 47.35}]
    decision = decide(
        document(owners=owners, country="VN"),
        screening=[_stake_hit(0, "EL"), _stake_hit(1, "SDN")],
    )
    assert decision.outcome == "prohibited"
    assert findings(decision, "US-EAR-744.11-AFFILIATES-SDN")[0].effect == "prohibited"
    # 2.65 + 3.86 + 39.8 + 3.69 is 50 on paper and 49.999… in floating point.
    split = [{"name": f"Holder {i}", "share": s} for i, s in enumerate([2.65, 3.86, 39.8, 3.69])]
    hits = [_stake_hit(i, "EL") for i in range(4)]
    assert findings(
        decide(document(owners=split, country="VN"), screening=hits), "US-EAR-744.11-AFFILIATES"
    )


def test_an_unknown_listed_share_needs_a_licence_in_the_first_period_too() -> None:
    doc = document(owners=[{"name": "Holder 0"}], country="VN", start="2025-10-15")
    decision = decide(doc, screening=[_stake_hit(0, "EL")])
    assert findings(decision, "US-EAR-744.11-AFFILIATES-UNKNOWN-SHARE-2025")[0].effect == (
        "licence_required"
    )


def test_a_us_company_training_staff_at_a_7nm_china_fab_is_reviewed_whoever_it_sends() -> None:
    german = engineer("Anna Schmidt", citizenships=["DE"])
    decision = decide(document(vendor_country="US", engineers=[german], activity="training"))
    assert findings(decision, "US-EAR-744.6-TRAINING-US-COMPANY")[0].effect == "review"
    assert decision.outcome != "clear"


def test_a_rule_set_stored_before_the_us_group_replays_as_it_was_decided() -> None:
    from compliance.engine import compile_ruleset, load_rule_packs

    from .builders import pack_texts

    texts = dict(pack_texts())
    groups = texts["reference/country_groups.yaml"]
    start = groups.index('  - code: "US:US"')
    texts["reference/country_groups.yaml"] = (
        groups[:start] + groups[groups.index('  - code: "US:D1"') :]
    )
    older = compile_ruleset(load_rule_packs(texts), enabled_policies=frozenset())
    remote = engineer("Kenji Sato", citizenships=["JP"], location="PR")
    doc = document(engineers=[remote], activity="remote_support", mode="remote")
    assert "US-EAR-744.6-ADVANCED-FAB" not in codes(decide(doc, rules=older))
    assert "US-EAR-744.6-ADVANCED-FAB" in codes(decide(doc))


def test_an_entity_list_finding_states_the_entrys_licence_review_policy() -> None:
    # DOMAIN sec. 6: the review policy is per entry ("presumption of denial", "case-by-case").
    listed = dataclasses.replace(
        hit("facility.owner", "EL"), licence_policy="Presumption of denial"
    )
    [finding] = findings(decide(document(), screening=[listed]), "US-EAR-744.11-ENTITY-LIST-OWNER")
    assert "licence review policy: Presumption of denial." in finding.message
    assert finding.facts["owner_el_policy"] == "Presumption of denial"
    # An entry that states none says so, rather than leaving the sentence empty.
    [bare] = findings(
        decide(document(), screening=[hit("facility.owner", "EL")]),
        "US-EAR-744.11-ENTITY-LIST-OWNER",
    )
    assert "policy: not stated in the list." in bare.message
    # The same for an engineer who matches an entry.
    person = dataclasses.replace(hit("engineers[0]", "EL"), licence_policy="Case-by-case review")
    [mine] = findings(decide(document(), screening=[person]), "US-EAR-744.11-ENTITY-LIST-ENGINEER")
    assert "Case-by-case review" in mine.message


def test_a_listed_purchaser_other_than_the_owner_needs_a_licence() -> None:
    # DOMAIN sec. 6: the Entity List requirement applies when a listed party is purchaser,
    # consignee or end user, not only when it owns the fab.
    purchaser = {"role": "purchaser", "name": "Acme Trading Ltd", "country": "HK"}
    listed = dataclasses.replace(
        hit("facility.parties[0]", "EL", name="Acme Trading Ltd"),
        licence_policy="Presumption of denial",
    )
    decision = decide(document(parties=[purchaser], country="TW"), screening=[listed])
    [finding] = findings(decision, "US-EAR-744.11-ENTITY-LIST-PARTY")
    assert finding.effect == "licence_required" and finding.licence_authority == "BIS"
    assert "purchaser Acme Trading Ltd (EL)" in finding.message
    assert "Presumption of denial" in finding.message
    assert "SYSTEM-SCREENING-HIT" in codes(decision)
    # A hit on a party index the document does not have is held as a stray hit, never dropped.
    stray = dataclasses.replace(listed, party="facility.parties[3]")
    assert "SYSTEM-SCREENING-PARTY" in codes(
        decide(document(parties=[purchaser]), screening=[stray])
    )


def test_a_party_needs_a_known_role_and_a_name() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(raw_document(parties=[{"role": "buyer", "name": ""}]))
    assert "facility.parties[0].role" in caught.value.errors
    assert "facility.parties[0].name" in caught.value.errors


def test_the_2022_text_of_744_23_reviews_until_the_2023_text_takes_over() -> None:
    etcher = tool("Etch 3B001", us=["3B001.c"], subject_to_ear=True)
    code_2022, code_2023 = (
        "US-EAR-744.23-ADVANCED-FAB-ITEMS-CN-2022",
        "US-EAR-744.23-ADVANCED-FAB-ITEMS",
    )
    last_day = decide(document(tools=[etcher], start="2023-11-16"))
    [finding] = findings(last_day, code_2022)
    assert finding.effect == "review" and "87 FR 62186" in finding.citation
    assert code_2023 not in codes(last_day)
    first_day = decide(document(tools=[etcher], start="2023-11-17"))
    assert code_2022 not in codes(first_day) and code_2023 in codes(first_day)
    # Outside China (Macau was not in the 2022 text) nothing of 2022 applies.
    assert code_2022 not in codes(
        decide(document(tools=[etcher], start="2023-06-01", country="MO"))
    )


def test_a_national_of_a_country_domain_does_not_confirm_in_d1_is_reviewed_not_cleared() -> None:
    # Uzbekistan: in D:1 as the project reads the Supplement, not in DOMAIN (US:D1-UNVERIFIED).
    uzbek = engineer("Aziz Karimov", citizenships=["UZ"])
    etcher = tool("Etch 3B001", us=["3B001.c"])
    decision = decide(
        document(engineers=[uzbek], tools=[etcher], activity="training", country="DE")
    )
    [finding] = findings(decision, "US-EAR-734.13-DEEMED-EXPORT-D1-UNVERIFIED")
    assert finding.effect == "review" and "check the current Supplement" in finding.message
    assert "US-EAR-734.13-DEEMED-EXPORT" not in codes(decision)
    # A confirmed D:1 national gets the licence requirement and not the unverified review.
    vietnamese = decide(
        document(engineers=[VIETNAMESE], tools=[etcher], activity="training", country="DE")
    )
    assert "US-EAR-734.13-DEEMED-EXPORT" in codes(vietnamese)
    assert "US-EAR-734.13-DEEMED-EXPORT-D1-UNVERIFIED" not in codes(vietnamese)


def test_a_listed_operator_is_reviewed_not_held_for_a_licence() -> None:
    # DOMAIN sec. 6 names purchaser, consignee and end user; an operator is not named.
    operator = {"role": "operator", "name": "Acme Ops Ltd"}
    listed = hit("facility.parties[0]", "EL", name="Acme Ops Ltd")
    decision = decide(document(parties=[operator], country="TW"), screening=[listed])
    assert "US-EAR-744.11-ENTITY-LIST-PARTY" not in codes(decision)
    assert findings(decision, "US-EAR-744.11-ENTITY-LIST-OPERATOR")[0].effect == "review"
    # A denied operator is still a dealing with a denied person.
    denied = hit("facility.parties[0]", "DPL", name="Acme Ops Ltd")
    dpl = decide(document(parties=[operator], country="TW"), screening=[denied])
    assert findings(dpl, "US-EAR-DPL-PARTY")[0].effect == "prohibited"
