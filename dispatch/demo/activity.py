"""The scenario of ``manage.py load_demo_activity``: who files what, at which fabs, and how the
approvers answer (demo data, like ``data.py``)."""

from __future__ import annotations

from dataclasses import dataclass

MARK = "(demo activity)"
SEED = 7

ASML = "ASML Netherlands B.V."
LAM = "Lam Research Corporation"
TEL = "Tokyo Electron Limited"
MANAGERS = {ASML: "asml.manager", LAM: "lam.manager", TEL: "tel.manager"}
APPROVERS = ("approver", "approver2")

# An engineer whose name equals an SDN entry's: the hit an approver marks as a false positive.
NAMESAKE = {
    "vendor": TEL,
    "employee_id": "JP-3090",
    "name": "Hong Jinhua",
    "home_country": "JP",
    "citizenships": [{"country": "JP", "since": "2009-04-01"}],
}
NAMESAKE_REASON = (
    "Different person: our engineer is a Japanese national (naturalised 2009), employed by TEL "
    "since 2014; the SDN entry is a Chinese national linked to Dandong Hongxiang Industrial "
    "Development. Identity documents checked by HR."
)

# A licence that comes into force during the demo weeks and covers the Lam NAND visits.
DEMO_LICENCE = {
    "authority": "BIS",
    "number": "BIS-D-2026-01187",
    "holder": LAM,
    "facilities": ["Samsung Xi'an NAND Fab"],
    "activities": ["maintenance", "repair", "inspection"],
    "conditions": "Demo licence: maintenance and repair of etch tools at one NAND building.",
}
# A facility whose capability is reassessed during the demo weeks (an edit re-check).
REASSESSED = {"facility": "Dalian Fab 68", "nand_layers": 96}


@dataclass(frozen=True)
class Template:
    vendor: str
    facility: str
    engineers: tuple[str, ...]
    tools: tuple[str, ...]
    activity: str
    purpose: str
    weight: int = 2
    mode: str = "on_site"


XIAN = Template(
    LAM,
    "Samsung Xi'an NAND Fab",
    ("US-4002",),
    ("LAM-VTX-5501",),
    "maintenance",
    "Vantex preventive maintenance",
    3,
)
DALIAN = Template(LAM, "Dalian Fab 68", ("US-4001",), (), "inspection", "Chamber inspection", 2)
TEMPLATES = [
    Template(
        ASML,
        "Hua Hong Fab 7 building A",
        ("NL-1002",),
        ("NXT-1980i-5101",),
        "maintenance",
        "Preventive maintenance of NXT:1980i",
        3,
    ),
    Template(
        ASML,
        "Hua Hong Fab 7 building A",
        ("NL-1005",),
        ("NXT-1470-5102",),
        "repair",
        "Reticle stage repair on NXT:1470",
        1,
    ),
    Template(
        ASML,
        "TSMC Fab 18 phase 5",
        ("NL-1004",),
        ("NXE-3600D-5901",),
        "maintenance",
        "EUV collector swap",
        2,
    ),
    Template(
        ASML,
        "SMIC South SN2",
        ("NL-1001",),
        ("NXT-1980i-5001",),
        "repair",
        "Lens manipulator repair",
        2,
    ),
    Template(
        ASML,
        "GlobalFoundries Dresden Fab 1",
        ("NL-1006",),
        ("NXT-1980i-6201",),
        "upgrade",
        "Overlay upgrade package",
        2,
    ),
    Template(
        ASML,
        "Macau Pilot Line",
        ("NL-1006",),
        ("NXT-1470-5801",),
        "inspection",
        "Pre-installation site inspection",
        3,
    ),
    Template(
        LAM,
        "Intel Fab 52",
        ("US-4001", "US-4002"),
        ("LAM-KIYO-6302",),
        "maintenance",
        "Kiyo chamber clean",
        2,
    ),
    XIAN,
    DALIAN,
    Template(LAM, "CXMT Fab 1", ("US-4003",), (), "repair", "RF generator repair", 2),
    Template(
        LAM,
        "Hua Hong Fab 7 building A",
        ("US-4002",),
        ("LAM-KIYO-5103",),
        "maintenance",
        "Kiyo preventive maintenance",
        2,
    ),
    Template(
        TEL,
        "Kioxia Yokkaichi Fab 7",
        ("JP-3002",),
        ("TEL-TAC-6101",),
        "repair",
        "Tactras chamber repair",
        2,
    ),
    Template(
        TEL,
        "Hua Hong Fab 7 building B",
        ("JP-3001",),
        ("TEL-LIT-5203",),
        "maintenance",
        "Track preventive maintenance",
        2,
    ),
    Template(
        TEL,
        "YMTC Fab 1",
        ("JP-3003",),
        ("TEL-IND-5302",),
        "maintenance",
        "Furnace tube exchange",
        2,
    ),
]
NAMESAKE_VISIT = Template(
    TEL,
    "Kioxia Yokkaichi Fab 7",
    ("JP-3090",),
    ("TEL-TAC-6101",),
    "maintenance",
    "Etch chamber maintenance",
    0,
)

APPROVE_TEXT = {
    "DQ-TOOL-NOT-CLASSIFIED": "Classification confirmed with the OEM export team: the tool is a dry DUV scanner outside 3B001.f; servicing needs no licence.",
    "DQ-CAPABILITY-UNKNOWN": "Customer declaration on file: the line runs 65 nm planar logic only; the visit may proceed under company policy.",
}
APPROVE_DEFAULT = (
    "Reviewed the findings and the supporting documents on file; the visit may proceed as filed."
)
REJECT_TEXT = {
    "US-EAR-744.11-ENTITY-LIST-OWNER": "The facility owner is on the Entity List and no licence is on file; the visit may not proceed.",
    "US-EAR-744.6-ADVANCED-FAB": "U.S. persons may not support this advanced-node facility without a BIS licence; none is on file. Resubmit with a non-U.S. engineer or once a licence is granted.",
    "JP-FEFTA-23-TOOLS": "No METI licence on file for servicing this controlled tool in China; rejected until the licence is granted.",
    "NL-NATIONAL-SERVICES": "No Dutch licence covers these services at this facility; rejected pending an application to the CDIU.",
}
REJECT_DEFAULT = "A licence is required and none is on file; the visit may not proceed as filed."
