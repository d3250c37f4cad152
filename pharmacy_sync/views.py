"""The patient's page: pharmacies of their district that report a medicine in stock."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from patients.selectors import own_card_district
from pharmacy_sync import selectors
from prescriptions.selectors import drug_by_id


@login_required
def in_stock(request, drug_id: int):
    drug = drug_by_id(drug_id)
    district = own_card_district(request.user)
    reports = (selectors.pharmacies_with_stock(district_id=district, drug_id=drug_id)
               if drug else [])
    return render(request, "pharmacy_sync/in_stock.html",
                  {"drug": drug, "reports": reports, "has_district": district is not None},
                  status=200 if drug else 404)
