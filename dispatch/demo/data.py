"""Demo data. Company names are real; fab capabilities, serial numbers, tool classifications and
people are illustrative — they are not assessments of real companies or real tools."""

from __future__ import annotations

# Classification codes as the rule packs expect them (compliance/rulepacks/README.md).
NL_IMMERSION = "3B001.f.4"
NL_EUV = "3B001.f.1"
JP_ETCH = "METI-23:etching"
JP_LITHO = "METI-23:lithography"
JP_HEAT = "METI-23:heat_treatment"
JP_DEPO = "METI-23:deposition"
JP_CLEAN = "METI-23:cleaning"
KR_NCT = "NCT:semiconductor"

VENDORS = [
    {"name": "ASML Netherlands B.V.", "country": "NL"},
    {"name": "ASML US, LLC", "country": "US"},
    {"name": "Tokyo Electron Limited", "country": "JP"},
    {"name": "Lam Research Corporation", "country": "US"},
    {"name": "Lam Research (Shanghai) Co., Ltd.", "country": "CN"},
    {"name": "Applied Materials, Inc.", "country": "US"},
    {"name": "Applied Materials Taiwan Branch", "country": "TW", "is_us_branch": True},
    {"name": "KLA Corporation", "country": "US"},
    {"name": "SEMES Co., Ltd.", "country": "KR"},
    {"name": "Carl Zeiss SMT GmbH", "country": "DE"},
]


def _eng(
    vendor: str, eid: str, name: str, home: str, cits: list, prs: list | None = None, **kw: object
) -> dict:
    return {
        "vendor": vendor,
        "employee_id": eid,
        "name": name,
        "home_country": home,
        "citizenships": cits,
        "permanent_residencies": prs or [],
        **kw,
    }


ASML = "ASML Netherlands B.V."
ASML_US = "ASML US, LLC"
TEL = "Tokyo Electron Limited"
LAM = "Lam Research Corporation"
LAM_CN = "Lam Research (Shanghai) Co., Ltd."
AMAT = "Applied Materials, Inc."
AMAT_TW = "Applied Materials Taiwan Branch"
KLA = "KLA Corporation"
SEMES = "SEMES Co., Ltd."
ZEISS = "Carl Zeiss SMT GmbH"

ENGINEERS = [
    # A Dutch national holding a US green card: a U.S. person wherever he works.
    _eng(
        ASML,
        "NL-1001",
        "Jan de Vries",
        "NL",
        [{"country": "NL", "since": "1984-05-02"}],
        [{"country": "US", "since": "2019-03-01", "until": None}],
    ),
    _eng(ASML, "NL-1002", "Sanne Bakker", "NL", [{"country": "NL", "since": "1990-08-14"}]),
    _eng(
        ASML,
        "NL-1003",
        "Pieter Jansen",
        "NL",
        [{"country": "NL", "since": "1979-01-20"}, {"country": "US", "since": "2015-07-04"}],
    ),
    _eng(
        ASML,
        "NL-1004",
        "Li Wei",
        "NL",
        [{"country": "CN", "since": "1987-03-11"}],
        [{"country": "NL", "since": "2016-02-01", "until": None}],
    ),
    _eng(ASML, "NL-1005", "Maarten Visser", "NL", [{"country": "NL", "since": "1988-11-30"}]),
    _eng(
        ASML,
        "NL-1006",
        "Eva Mulder",
        "NL",
        [{"country": "NL", "since": "1993-06-09"}, {"country": "DE", "since": "1993-06-09"}],
    ),
    _eng(ASML_US, "US-2001", "Michael Johnson", "US", [{"country": "US", "since": "1982-04-17"}]),
    _eng(
        ASML_US,
        "US-2002",
        "Priya Raman",
        "US",
        [{"country": "IN", "since": "1989-12-01"}],
        [{"country": "US", "since": "2018-09-15", "until": None}],
    ),
    _eng(TEL, "JP-3001", "Takeshi Sato", "JP", [{"country": "JP", "since": "1980-02-03"}]),
    _eng(TEL, "JP-3002", "Yuki Tanaka", "JP", [{"country": "JP", "since": "1991-07-21"}]),
    _eng(TEL, "JP-3003", "Kenji Watanabe", "JP", [{"country": "JP", "since": "1985-10-10"}]),
    _eng(
        TEL,
        "JP-3004",
        "Chen Mei",
        "JP",
        [{"country": "TW", "since": "1988-05-05"}],
        [{"country": "JP", "since": "2014-04-01", "until": None}],
    ),
    _eng(LAM, "US-4001", "David Miller", "US", [{"country": "US", "since": "1978-09-09"}]),
    _eng(
        LAM,
        "US-4002",
        "Ana Garcia",
        "US",
        [{"country": "US", "since": "1986-03-03"}, {"country": "MX", "since": "1986-03-03"}],
    ),
    # A Chinese national working from California: a U.S. person while in the United States.
    _eng(LAM, "US-4003", "Wang Jun", "US", [{"country": "CN", "since": "1990-01-15"}]),
    _eng(LAM_CN, "CN-5001", "Zhang Wei", "CN", [{"country": "CN", "since": "1988-06-06"}]),
    _eng(LAM_CN, "CN-5002", "Liu Yang", "CN", [{"country": "CN", "since": "1992-02-29"}]),
    _eng(LAM_CN, "CN-5003", "Huang Li", "CN", [{"country": "SG", "since": "1987-08-08"}]),
    _eng(AMAT, "US-6001", "Robert Brown", "US", [{"country": "US", "since": "1975-12-12"}]),
    _eng(
        AMAT,
        "US-6002",
        "Emily Chen",
        "US",
        [{"country": "TW", "since": "1983-04-04"}, {"country": "US", "since": "2012-11-20"}],
    ),
    _eng(AMAT_TW, "TW-6101", "Lin Chih-Hao", "TW", [{"country": "TW", "since": "1986-09-19"}]),
    _eng(KLA, "US-7001", "James Wilson", "US", [{"country": "US", "since": "1981-01-01"}]),
    _eng(KLA, "IL-7002", "Oren Levi", "IL", [{"country": "IL", "since": "1984-02-14"}]),
    _eng(SEMES, "KR-8001", "Kim Min-jun", "KR", [{"country": "KR", "since": "1987-03-01"}]),
    _eng(SEMES, "KR-8002", "Park Ji-hoon", "KR", [{"country": "KR", "since": "1990-10-03"}]),
    # A former US green-card holder: the residency ended before any demo visit.
    _eng(
        SEMES,
        "KR-8003",
        "Lee Seo-yeon",
        "KR",
        [{"country": "KR", "since": "1989-05-15"}],
        [{"country": "US", "since": "2012-01-10", "until": "2020-06-30"}],
    ),
    _eng(ZEISS, "DE-9001", "Anna Schmidt", "DE", [{"country": "DE", "since": "1985-07-07"}]),
    _eng(
        ZEISS,
        "DE-9002",
        "Lukas Weber",
        "DE",
        [{"country": "DE", "since": "1991-11-11"}, {"country": "AT", "since": "1991-11-11"}],
    ),
]

CUSTOMERS = [
    {
        "name": "Semiconductor Manufacturing International Corporation",
        "country": "CN",
        "aliases": ["SMIC"],
    },
    {"name": "Yangtze Memory Technologies Co., Ltd.", "country": "CN", "aliases": ["YMTC"]},
    {"name": "ChangXin Memory Technologies, Inc.", "country": "CN", "aliases": ["CXMT"]},
    {"name": "Hua Hong Semiconductor (Wuxi) Limited", "country": "CN"},
    {"name": "Samsung (China) Semiconductor Co., Ltd.", "country": "CN"},
    {"name": "SK hynix Semiconductor (China) Ltd.", "country": "CN"},
    {"name": "Intel Semiconductor (Dalian) Ltd.", "country": "CN"},
    {"name": "Macau Microelectronics Pilot Line Ltd.", "country": "MO"},
    # Named as the UN Security Council lists it (DPRK regime, KPe.017): the demo's UN-listed owner.
    {"name": "Leader (Hong Kong) International Trading Limited", "country": "HK"},
    {
        "name": "Taiwan Semiconductor Manufacturing Company Limited",
        "country": "TW",
        "aliases": ["TSMC"],
    },
    {"name": "Samsung Electronics Co., Ltd.", "country": "KR"},
    {"name": "Kioxia Corporation", "country": "JP"},
    {"name": "GlobalFoundries Dresden Module One LLC & Co. KG", "country": "DE"},
    {"name": "Intel Corporation", "country": "US"},
]

_EVIDENCE = "Demo data: illustrative capability, not an assessment of the real facility."


def _fab(
    customer: str, name: str, city: str, country: str, products: list[str], **metrics: object
) -> dict:
    return {
        "customer": customer,
        "name": name,
        "city": city,
        "country": country,
        "products": products,
        "capability_evidence": _EVIDENCE,
        **metrics,
    }


FACILITIES = [
    _fab(
        "Semiconductor Manufacturing International Corporation",
        "SMIC South SN2",
        "Shanghai",
        "CN",
        ["logic"],
        logic_node_nm=7,
        non_planar=True,
        building="SN2",
    ),
    _fab(
        "Hua Hong Semiconductor (Wuxi) Limited",
        "Hua Hong Fab 7 building A",
        "Wuxi",
        "CN",
        ["logic"],
        logic_node_nm=28,
        non_planar=False,
        building="A",
    ),
    _fab(
        "Hua Hong Semiconductor (Wuxi) Limited",
        "Hua Hong Fab 7 building B",
        "Wuxi",
        "CN",
        ["logic"],
        logic_node_nm=14,
        non_planar=True,
        building="B",
    ),
    _fab(
        "Yangtze Memory Technologies Co., Ltd.",
        "YMTC Fab 1",
        "Wuhan",
        "CN",
        ["nand"],
        nand_layers=232,
    ),
    _fab(
        "ChangXin Memory Technologies, Inc.",
        "CXMT Fab 1",
        "Hefei",
        "CN",
        ["dram"],
        dram_half_pitch_nm=17,
    ),
    _fab(
        "Samsung (China) Semiconductor Co., Ltd.",
        "Samsung Xi'an NAND Fab",
        "Xi'an",
        "CN",
        ["nand"],
        nand_layers=236,
    ),
    _fab(
        "SK hynix Semiconductor (China) Ltd.",
        "SK hynix Wuxi C2",
        "Wuxi",
        "CN",
        ["dram"],
        dram_half_pitch_nm=17,
    ),
    _fab(
        "Intel Semiconductor (Dalian) Ltd.",
        "Dalian Fab 68",
        "Dalian",
        "CN",
        ["nand"],
        nand_layers=144,
    ),
    _fab("Macau Microelectronics Pilot Line Ltd.", "Macau Pilot Line", "Macau", "MO", []),
    _fab(
        "Leader (Hong Kong) International Trading Limited",
        "Leader HK Test Line",
        "Hong Kong",
        "HK",
        [],
    ),
    _fab(
        "Taiwan Semiconductor Manufacturing Company Limited",
        "TSMC Fab 18 phase 5",
        "Tainan",
        "TW",
        ["logic"],
        logic_node_nm=3,
        non_planar=True,
    ),
    _fab(
        "Samsung Electronics Co., Ltd.",
        "Samsung Pyeongtaek P1",
        "Pyeongtaek",
        "KR",
        ["dram"],
        dram_half_pitch_nm=12,
    ),
    _fab(
        "Kioxia Corporation", "Kioxia Yokkaichi Fab 7", "Yokkaichi", "JP", ["nand"], nand_layers=218
    ),
    _fab(
        "GlobalFoundries Dresden Module One LLC & Co. KG",
        "GlobalFoundries Dresden Fab 1",
        "Dresden",
        "DE",
        ["logic"],
        logic_node_nm=22,
        non_planar=False,
    ),
    _fab(
        "Intel Corporation",
        "Intel Fab 52",
        "Chandler",
        "US",
        ["logic"],
        logic_node_nm=2,
        non_planar=True,
    ),
]


def _tool(
    oem: str, facility: str, model: str, serial: str, classifications: dict, ear: bool
) -> dict:
    return {
        "oem": oem,
        "facility": facility,
        "model": model,
        "serial_number": serial,
        "classifications": classifications,
        # The US-made tools have their status derived from their origin; for the others the
        # demo records the determination, as an export-control office would, with its reason
        # and the origin it rests on (the engine reviews it where the inputs do not support it).
        **(
            {"origin": "US"}
            if ear
            else {
                "origin": _MADE_IN[oem],
                "subject_to_ear": False,
                "ear_justification": "Demo: determination on file with the vendor's "
                "export-control office.",
            }
        ),
    }


# Where each OEM's demo tools are made (demo data).
_MADE_IN = {ASML: "NL", TEL: "JP", ZEISS: "DE", SEMES: "KR"}


_NXT1980 = {"US": ["3B001.f"], "NL": [NL_IMMERSION]}
_NXT2000 = {"US": ["3B001.f"], "NL": [NL_IMMERSION]}
_NXE = {"US": ["3B001.f"], "NL": [NL_EUV]}
_LAM_ETCH = {"US": ["3B001.c"]}
_AMAT_DEPO = {"US": ["3B001.d"]}
_KLA_INSP = {"US": ["3B002"]}
# Classified and found not listed in any jurisdiction (an empty map would mean "not classified").
_UNCONTROLLED = {"US": [], "NL": [], "JP": [], "KR": []}

TOOLS = [
    _tool(ASML, "SMIC South SN2", "TWINSCAN NXT:1980i", "NXT-1980i-5001", _NXT1980, False),
    _tool(LAM, "SMIC South SN2", "Kiyo F Series", "LAM-KIYO-5002", _LAM_ETCH, True),
    _tool(
        ASML, "Hua Hong Fab 7 building A", "TWINSCAN NXT:1980i", "NXT-1980i-5101", _NXT1980, False
    ),
    _tool(
        ASML,
        "Hua Hong Fab 7 building A",
        "TWINSCAN NXT:1470",
        "NXT-1470-5102",
        _UNCONTROLLED,
        False,
    ),
    _tool(LAM, "Hua Hong Fab 7 building A", "Kiyo F Series", "LAM-KIYO-5103", _LAM_ETCH, True),
    _tool(
        TEL, "Hua Hong Fab 7 building A", "Tactras Vigus", "TEL-TAC-5104", {"JP": [JP_ETCH]}, False
    ),
    _tool(KLA, "Hua Hong Fab 7 building A", "Surfscan SP7", "KLA-SP7-5105", _KLA_INSP, True),
    _tool(
        ASML, "Hua Hong Fab 7 building B", "TWINSCAN NXT:2000i", "NXT-2000i-5201", _NXT2000, False
    ),
    _tool(
        AMAT,
        "Hua Hong Fab 7 building B",
        "Endura Clover MRAM PVD",
        "AMAT-END-5202",
        _AMAT_DEPO,
        True,
    ),
    _tool(
        TEL,
        "Hua Hong Fab 7 building B",
        "CLEAN TRACK LITHIUS Pro Z",
        "TEL-LIT-5203",
        {"JP": [JP_LITHO]},
        False,
    ),
    _tool(LAM, "YMTC Fab 1", "Vantex", "LAM-VTX-5301", _LAM_ETCH, True),
    _tool(TEL, "YMTC Fab 1", "TELINDY PLUS", "TEL-IND-5302", {"JP": [JP_HEAT]}, False),
    _tool(AMAT, "CXMT Fab 1", "Centura Sym3 Y", "AMAT-SYM3-5401", _LAM_ETCH, True),
    _tool(ASML, "CXMT Fab 1", "TWINSCAN NXT:2000i", "NXT-2000i-5402", _NXT2000, False),
    _tool(
        SEMES,
        "CXMT Fab 1",
        "Wet cleaning station (demo)",
        "SEMES-WET-5403",
        {"KR": [KR_NCT]},
        False,
    ),
    _tool(LAM, "Samsung Xi'an NAND Fab", "Vantex", "LAM-VTX-5501", _LAM_ETCH, True),
    _tool(AMAT, "SK hynix Wuxi C2", "Centura Sym3 Y", "AMAT-SYM3-5601", _LAM_ETCH, True),
    _tool(KLA, "Dalian Fab 68", "Surfscan SP7", "KLA-SP7-5701", _KLA_INSP, True),
    _tool(ASML, "Macau Pilot Line", "TWINSCAN NXT:1470", "NXT-1470-5801", _UNCONTROLLED, False),
    _tool(ASML, "TSMC Fab 18 phase 5", "TWINSCAN NXE:3600D", "NXE-3600D-5901", _NXE, False),
    _tool(ZEISS, "TSMC Fab 18 phase 5", "AIMS EUV", "ZEISS-AIMS-5902", _UNCONTROLLED, False),
    _tool(
        AMAT_TW, "TSMC Fab 18 phase 5", "Endura Clover MRAM PVD", "AMAT-END-5903", _AMAT_DEPO, True
    ),
    _tool(
        SEMES,
        "Samsung Pyeongtaek P1",
        "Wet cleaning station (demo)",
        "SEMES-WET-6001",
        {"KR": [KR_NCT]},
        False,
    ),
    _tool(TEL, "Kioxia Yokkaichi Fab 7", "Tactras Vigus", "TEL-TAC-6101", {"JP": [JP_ETCH]}, False),
    _tool(
        ASML,
        "GlobalFoundries Dresden Fab 1",
        "TWINSCAN NXT:1980i",
        "NXT-1980i-6201",
        _NXT1980,
        False,
    ),
    _tool(ASML, "Intel Fab 52", "TWINSCAN NXE:3600D", "NXE-3600D-6301", _NXE, False),
    _tool(LAM, "Intel Fab 52", "Kiyo F Series", "LAM-KIYO-6302", _LAM_ETCH, True),
]

DEMO_USERS = [
    {
        "username": "admin",
        "password": "admin-demo-pass",
        "email": "admin@example.com",
        "role": "superuser",
    },
    {
        "username": "asml.manager",
        "password": "asml-demo-pass",
        "email": "asml.manager@example.com",
        "role": "service_manager",
        "vendor": ASML,
    },
    {
        "username": "lam.manager",
        "password": "lam-demo-pass",
        "email": "lam.manager@example.com",
        "role": "service_manager",
        "vendor": LAM,
    },
    {
        "username": "tel.manager",
        "password": "tel-demo-pass",
        "email": "tel.manager@example.com",
        "role": "service_manager",
        "vendor": TEL,
    },
    {
        "username": "approver",
        "password": "approver-demo-pass",
        "email": "approver@example.com",
        "role": "approver",
    },
    {
        "username": "approver2",
        "password": "second-approver-demo-pass",
        "email": "approver2@example.com",
        "role": "approver",
    },
    {
        "username": "auditor",
        "password": "auditor-demo-pass",
        "email": "auditor@example.com",
        "role": "auditor",
    },
]

LICENCES = [
    # Validated end-user authorisations that ended on 2025-12-31 (90 FR 42321).
    {
        "authority": "BIS",
        "kind": "veu",
        "number": "VEU-SAMSUNG-XIAN",
        "valid_from": "2023-10-13",
        "valid_until": "2025-12-31",
        "owners": ["Samsung (China) Semiconductor Co., Ltd."],
        "conditions": "Validated end-user authorisation; ended 2025-12-31 (90 FR 42321).",
    },
    {
        "authority": "BIS",
        "kind": "veu",
        "number": "VEU-SKHYNIX-WUXI",
        "valid_from": "2023-10-13",
        "valid_until": "2025-12-31",
        "owners": ["SK hynix Semiconductor (China) Ltd."],
        "conditions": "Validated end-user authorisation; ended 2025-12-31 (90 FR 42321).",
    },
    {
        "authority": "BIS",
        "kind": "veu",
        "number": "VEU-INTEL-DALIAN",
        "valid_from": "2023-10-13",
        "valid_until": "2025-12-31",
        "owners": ["Intel Semiconductor (Dalian) Ltd."],
        "conditions": "Validated end-user authorisation; ended 2025-12-31 (90 FR 42321).",
    },
    {
        "authority": "NL-MFA",
        "number": "NL-DEMO-2026-0042",
        "holder": ASML,
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        "facilities": ["Hua Hong Fab 7 building A"],
        "activities": ["maintenance", "repair", "spare_parts", "software_update"],
        "classifications": [NL_IMMERSION],
        "conditions": "Demo licence: servicing of immersion DUV at one 28 nm building.",
    },
]

VISITS = [
    {
        "vendor": ASML,
        "facility": "SMIC South SN2",
        "engineers": ["NL-1001"],
        "tools": ["NXT-1980i-5001"],
        "activity": "maintenance",
        "starts_in_days": 8,
        "requested_by": "asml.manager",
        "purpose": "Quarterly preventive maintenance of NXT:1980i (demo).",
    },
    {
        "vendor": ASML,
        "facility": "Hua Hong Fab 7 building A",
        "engineers": ["NL-1002"],
        "tools": ["NXT-1980i-5101"],
        "activity": "maintenance",
        "starts_in_days": 10,
        "requested_by": "asml.manager",
        "purpose": "Lens heating calibration on NXT:1980i (demo).",
    },
    {
        "vendor": ASML,
        "facility": "Hua Hong Fab 7 building A",
        "engineers": ["NL-1005"],
        "tools": ["NXT-1470-5102"],
        "activity": "repair",
        "starts_in_days": 4,
        "requested_by": "asml.manager",
        "purpose": "Wafer stage repair on NXT:1470 (demo).",
    },
    {
        "vendor": ASML,
        "facility": "Hua Hong Fab 7 building B",
        "engineers": ["NL-1003", "NL-1002"],
        "tools": ["NXT-2000i-5201"],
        "activity": "upgrade",
        "starts_in_days": 15,
        "requested_by": "asml.manager",
        "purpose": "Overlay upgrade on NXT:2000i (demo).",
    },
    {
        "vendor": ASML,
        "facility": "TSMC Fab 18 phase 5",
        "engineers": ["NL-1004"],
        "tools": ["NXE-3600D-5901"],
        "activity": "maintenance",
        "starts_in_days": 6,
        "requested_by": "asml.manager",
        "purpose": "EUV source maintenance (demo).",
    },
    {
        "vendor": ASML,
        "facility": "Macau Pilot Line",
        "engineers": ["NL-1006"],
        "tools": ["NXT-1470-5801"],
        "activity": "installation",
        "starts_in_days": 20,
        "requested_by": "asml.manager",
        "purpose": "Install NXT:1470 at pilot line (demo).",
    },
    {
        # The fab's owner is on the UN Security Council list: held, citing the UN regime and
        # the EU regulation that implements it for a Dutch vendor.
        "vendor": ASML,
        "facility": "Leader HK Test Line",
        "engineers": ["NL-1006"],
        "tools": [],
        "activity": "inspection",
        "starts_in_days": 16,
        "requested_by": "asml.manager",
        "purpose": "Site survey before an installation (demo).",
    },
    {
        "vendor": LAM,
        "facility": "CXMT Fab 1",
        "engineers": ["US-4001"],
        "tools": [],
        "activity": "repair",
        "starts_in_days": 5,
        "requested_by": "lam.manager",
        "purpose": "Chamber repair escalation (demo).",
    },
    {
        "vendor": LAM,
        "facility": "SMIC South SN2",
        "engineers": ["US-4003"],
        "tools": ["LAM-KIYO-5002"],
        "activity": "remote_support",
        "mode": "remote",
        "starts_in_days": 2,
        "requested_by": "lam.manager",
        "purpose": "Remote etch recipe support from Fremont (demo).",
    },
    {
        "vendor": LAM,
        "facility": "Intel Fab 52",
        "engineers": ["US-4001", "US-4002"],
        "tools": ["LAM-KIYO-6302"],
        "activity": "maintenance",
        "starts_in_days": 9,
        "requested_by": "lam.manager",
        "purpose": "Kiyo preventive maintenance (demo).",
    },
    {
        "vendor": LAM,
        "facility": "Hua Hong Fab 7 building A",
        "engineers": ["US-4002"],
        "tools": ["LAM-KIYO-5103"],
        "activity": "maintenance",
        "starts_in_days": 12,
        "requested_by": "lam.manager",
        "purpose": "Kiyo PM at mature-node building (demo).",
    },
    {
        # The parts travel through a Hong Kong consignee that is on the sample list's Entity
        # List: the visit is held although the fab and its owner are not listed.
        "vendor": LAM,
        "facility": "Hua Hong Fab 7 building A",
        "engineers": ["US-4002"],
        "tools": ["LAM-KIYO-5103"],
        "activity": "spare_parts",
        "starts_in_days": 18,
        "requested_by": "lam.manager",
        "purpose": "Kiyo spare parts via a Hong Kong consignee (demo).",
        "parties": [
            {
                "role": "consignee",
                "name": "SMIC Hong Kong International Company Limited",
                "country": "HK",
            }
        ],
        # What it ships, each judged by its own classification and origin.
        "items": [
            {
                "kind": "part",
                "description": "Kiyo RF match network",
                "classifications": {"US": ["3B001.h"]},
                "origin": "US",
            }
        ],
    },
    {
        "vendor": TEL,
        "facility": "Hua Hong Fab 7 building B",
        "engineers": ["JP-3001"],
        "tools": ["TEL-LIT-5203"],
        "activity": "maintenance",
        "starts_in_days": 7,
        "requested_by": "tel.manager",
        "purpose": "Track maintenance (demo).",
    },
    {
        "vendor": TEL,
        "facility": "Kioxia Yokkaichi Fab 7",
        "engineers": ["JP-3002"],
        "tools": ["TEL-TAC-6101"],
        "activity": "repair",
        "starts_in_days": 3,
        "requested_by": "tel.manager",
        "purpose": "Etcher repair (demo).",
    },
    {
        "vendor": TEL,
        "facility": "YMTC Fab 1",
        "engineers": ["JP-3003"],
        "tools": ["TEL-IND-5302"],
        "activity": "maintenance",
        "starts_in_days": 14,
        "requested_by": "tel.manager",
        "purpose": "Furnace maintenance (demo).",
    },
    # Cleared by law; held for review once the company's allied-nationals policy is switched on.
    {
        "vendor": ZEISS,
        "facility": "Hua Hong Fab 7 building B",
        "engineers": ["DE-9001"],
        "tools": [],
        "activity": "inspection",
        "starts_in_days": 11,
        "requested_by": "admin",
        "purpose": "Optics inspection walk-through (demo).",
    },
    {
        "vendor": SEMES,
        "facility": "Samsung Xi'an NAND Fab",
        "engineers": ["KR-8002"],
        "tools": [],
        "activity": "maintenance",
        "starts_in_days": 13,
        "requested_by": "admin",
        "purpose": "Wet station maintenance (demo).",
    },
]
