"""The patient's page: pharmacies of their district that report a medicine in stock.

The district comes in the link (`?district=`) from the page that shows the patient's
prescriptions, which has their card at hand: this app reads the pharmacies' stock and the
registry, never the cards. Stock is what pharmacies tell everyone, so a district in the
address shows nothing personal.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.shortcuts import render

from pharmacy_sync import selectors
from prescriptions.selectors import drug_by_id


def _district(request) -> int | None:
    value = request.GET.get("district", "")
    if not value:
        return None
    if not value.isdigit():
        raise BadRequest("district is not a district id")
    return int(value)


@login_required
def in_stock(request, drug_id: int):
    drug = drug_by_id(drug_id)
    district = _district(request)
    reports = (selectors.pharmacies_with_stock(district_id=district, drug_id=drug_id)
               if drug and district is not None else [])
    return render(request, "pharmacy_sync/in_stock.html",
                  {"drug": drug, "reports": reports, "has_district": district is not None},
                  status=200 if drug else 404)
