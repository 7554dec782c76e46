from __future__ import annotations

from dataclasses import replace

import pytest

from compliance.screening import (
    ListEntry,
    UnknownListSourceError,
    list_code_from_source,
    list_label,
)

SMIC = ListEntry(
    entry_id="EL:736c2c6ac3e138ed746296f09c18d066c8fddcd0",
    list_code="EL",
    source="Entity List (EL) - Bureau of Industry and Security",
    name="Semiconductor Manufacturing International Corporation (SMIC)",
    alt_names=("Semiconductor Manufacturing International (Shanghai) Corporation", "SMIC Shanghai"),
    entity_type="",
    programs=(),
    countries=("CN",),
    addresses=("No. 18 Zhang Jiang Road, Pudong New Area, Shanghai, 201203, CN",),
    federal_register_notice="85 FR 83420",
    start_date="2020-12-18",
    license_requirement="For all items subject to the EAR.  (See §744.11 of the EAR).",
    license_policy="Presumption of denial for items uniquely required for production of "
    "semiconductors at advanced technology nodes; Case by case for all other items",
    remarks="",
    source_list_url="http://bit.ly/1L47xrV",
    source_information_url="http://bit.ly/1L47xrV",
    source_id="736c2c6ac3e138ed746296f09c18d066c8fddcd0",
)


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("Entity List (EL) - Bureau of Industry and Security", "EL"),
        ("Military End User (MEU) List - Bureau of Industry and Security", "MEU"),
        ("Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department", "NS-MBS"),
        ("Capta List (CAP) - Treasury Department", "CAP"),
        ("Specially Designated Nationals (SDN) - Treasury Department", "SDN"),
        ("Denied Persons List (DPL) - Bureau of Industry and Security", "DPL"),
        ("  Unverified List  (UVL)  - Bureau of Industry and Security ", "UVL"),
        ("Entity List - Bureau of Industry and Security", "EL"),
        ("Military End User List", "MEU"),
        ("Specially Designated Nationals and Blocked Persons List - Treasury Department", "SDN"),
        ("Some New List (SNL) - Department of Commerce", "SNL"),
    ],
)
def test_the_list_code_is_read_from_the_parentheses_or_the_known_list_name(
    source: str, code: str
) -> None:
    assert list_code_from_source(source) == code


def test_a_source_without_a_code_or_a_known_name_is_rejected() -> None:
    with pytest.raises(UnknownListSourceError, match="no list code"):
        list_code_from_source("Some List - Some Agency")


def test_the_list_label_names_the_list_and_its_code() -> None:
    assert list_label("EL") == "Entity List (EL)"
    assert list_label("XYZ") == "XYZ"


def test_the_content_hash_is_a_fixed_sha256_of_the_entry_content() -> None:
    # A stored false-positive mark compares against this value in later runs and on other machines.
    assert SMIC.content_hash == "66950d73b70e977ab422e996c2d2f8446d915685128c56dd685df5da14cc379c"
    assert replace(SMIC).content_hash == SMIC.content_hash


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Semiconductor Manufacturing International Corp. (SMIC)"},
        {"alt_names": ("SMIC Shanghai",)},
        {"alt_names": (*SMIC.alt_names, "SMIC")},
        {"addresses": ("No. 18 Zhang Jiang Road, Pudong New Area, Shanghai, 201204, CN",)},
        {"list_code": "MEU"},
        {"license_requirement": "For all items subject to the EAR.  (See §744.21 of the EAR)."},
        {"license_policy": "Presumption of denial."},
        {"federal_register_notice": "85 FR 83420; 87 FR 77505"},
        {"start_date": "2020-12-19"},
        {"countries": ("CN", "HK")},
        {"remarks": "Footnote 5"},
    ],
)
def test_the_content_hash_changes_when_anything_that_matters_changes(
    change: dict[str, object],
) -> None:
    assert replace(SMIC, **change).content_hash != SMIC.content_hash  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"entry_id": "EL:other"},
        {"source": "Entity List (EL) - BIS"},
        {"source_list_url": "https://www.bis.doc.gov/entity-list"},
        {"source_information_url": "https://www.bis.doc.gov/entity-list"},
        {"license_requirement": "For all items subject to the EAR. (See §744.11 of the EAR)."},
        {"alt_names": tuple(reversed(SMIC.alt_names))},
        {"name": "  Semiconductor Manufacturing International Corporation   (SMIC) "},
    ],
)
def test_the_content_hash_ignores_ids_urls_spacing_and_order(change: dict[str, object]) -> None:
    if change.get("license_requirement"):
        # Same words, different spacing: "EAR.  (See" -> "EAR. (See".
        assert " ".join(str(change["license_requirement"]).split()) == " ".join(
            SMIC.license_requirement.split()
        )
    assert replace(SMIC, **change).content_hash == SMIC.content_hash  # type: ignore[arg-type]
