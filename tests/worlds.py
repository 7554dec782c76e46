"""One persona world for the tests that need vendors, fabs, engineers, tools and people.

Three vendors share one advanced-node fab in Shanghai; each has a service manager, an engineer and
a tool there. Around them: two approvers, a lead who is both a service manager and an approver at
Lam (small teams give one person several roles, never on the same visit), an auditor and a
superuser. The mature fab and the fab in Tehran are for visits the rules treat differently.

    w = build_world()
    w.lam_manager, w["lam_manager"]     # both spellings work; extra keys go in with w["key"] = …

The world writes through the ORM (factories); it files no visits, so each test files the visits it
is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractUser, Group

from dispatch.models import Engineer, Facility, Tool, Vendor
from tests.factories import (
    CustomerFactory,
    EngineerFactory,
    FacilityFactory,
    ToolFactory,
    VendorFactory,
    make_user,
)


@dataclass
class World:
    lam: Vendor
    asml: Vendor
    tel: Vendor
    # 7 nm non-planar logic in Shanghai: advanced-node under the US rules.
    fab: Facility
    # 40 nm logic in China: not advanced-node.
    mature: Facility
    # A fab in an embargoed country.
    tehran: Facility
    lam_engineer: Engineer  # U.S. citizen
    asml_engineer: Engineer  # Dutch citizen
    tel_engineer: Engineer  # Japanese citizen
    lam_tool: Tool  # etch tool, 3B001.c, subject to the EAR
    asml_tool: Tool  # lithography scanner, 3B001.f / NL 3B001.f.4
    tel_tool: Tool
    lam_manager: AbstractUser
    asml_manager: AbstractUser
    tel_manager: AbstractUser
    approver: AbstractUser
    second_approver: AbstractUser
    lam_lead: AbstractUser  # service manager and approver at Lam
    auditor: AbstractUser
    boss: AbstractUser  # superuser
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key in self.extra:
            return self.extra[key]
        if key in self.__dataclass_fields__ and key != "extra":
            return getattr(self, key)
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self.__dataclass_fields__:
            raise KeyError(f"{key} is a persona of the world; give the extra another name")
        self.extra[key] = value

    def __contains__(self, key: str) -> bool:
        return key in self.extra or (key in self.__dataclass_fields__ and key != "extra")


def build_world() -> World:
    lam = VendorFactory(name="Lam Research Corporation", country="US")
    asml = VendorFactory(name="ASML Netherlands B.V.", country="NL")
    tel = VendorFactory(name="Tokyo Electron Limited", country="JP")
    fab = FacilityFactory(
        customer=CustomerFactory(name="Shanghai Logic Foundry Co., Ltd."),
        logic_node_nm=7,
        non_planar=True,
    )
    lam_lead = make_user("lam.lead", role="service_manager", vendor=lam)
    lam_lead.groups.add(Group.objects.get(name="approver"))
    return World(
        lam=lam,
        asml=asml,
        tel=tel,
        fab=fab,
        mature=FacilityFactory(logic_node_nm=40),
        tehran=FacilityFactory(country="IR", city="Tehran", logic_node_nm=90),
        lam_engineer=EngineerFactory(
            vendor=lam, name="David Miller", citizenships=["US"], home_country="US"
        ),
        asml_engineer=EngineerFactory(vendor=asml, name="Sanne Bakker", citizenships=["NL"]),
        tel_engineer=EngineerFactory(
            vendor=tel, name="Haruto Sato", citizenships=["JP"], home_country="JP"
        ),
        lam_tool=ToolFactory(
            facility=fab,
            oem=lam,
            model="Kiyo",
            classifications={"US": ["3B001.c"]},
            subject_to_ear=True,
        ),
        asml_tool=ToolFactory(facility=fab, oem=asml),
        tel_tool=ToolFactory(facility=fab, oem=tel, model="Tactras", serial_number="TEL-77"),
        lam_manager=make_user("lam.manager", role="service_manager", vendor=lam),
        asml_manager=make_user("asml.manager", role="service_manager", vendor=asml),
        tel_manager=make_user("tel.manager", role="service_manager", vendor=tel),
        approver=make_user("approver", role="approver"),
        second_approver=make_user("approver.two", role="approver"),
        lam_lead=lam_lead,
        auditor=make_user("auditor", role="auditor"),
        boss=make_user("boss", superuser=True),
    )
