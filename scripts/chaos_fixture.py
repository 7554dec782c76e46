"""Reference data for the chaos run: a vendor, a manager, engineers and facilities. Prints JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from dispatch import services
from tests.factories import make_user

vendor = services.vendor_create(name="Chaos Tools B.V.", country="NL")
user = make_user("chaos.manager", role="service_manager", vendor=vendor)
engineers = [
    services.engineer_create(
        vendor=vendor.pk,
        name=f"Engineer {i}",
        employee_id=f"C{i}",
        home_country="NL",
        citizenships=[c],
    )
    for i, c in enumerate(["NL", "US", "DE", "JP", "KR", "CN"])
]
facilities = []
for i, (country, node, planar) in enumerate(
    [("CN", 7, False), ("CN", 28, True), ("TW", 3, False), ("DE", 22, True)]
):
    customer = services.customer_create(name=f"Chaos Foundry {i} Co., Ltd.", country=country)
    facilities.append(
        services.facility_create(
            customer=customer.pk,
            name=f"Fab {i}",
            city="City",
            country=country,
            products=["logic"],
            logic_node_nm=node,
            non_planar=not planar,
        )
    )
start = (dt.date.today() + dt.timedelta(days=14)).isoformat()
print(
    json.dumps(
        {
            "vendor": vendor.pk,
            "username": "chaos.manager",
            "password": "pw-chaos.manager",
            "engineers": [e.pk for e in engineers],
            "facilities": [f.pk for f in facilities],
            "start": start,
        }
    )
)
