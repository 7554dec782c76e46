"""Cases of the legal-depth review, each checked against DOMAIN.md: the effect and the citation a
visit gets where the packs used to clear it."""

from __future__ import annotations

from compliance.engine import ScreeningHit

from .builders import codes, decide, document, engineer, findings, hit, tool

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
