"""The patient's page: pharmacies of their district that report a medicine in stock."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from patients.models import PatientCard
from pharmacy_sync import selectors
from prescriptions.models import Drug


@login_required
def in_stock(request, drug_id: int):
    drug = Drug.objects.filter(pk=drug_id).first()
    district = (PatientCard.objects.filter(user=request.user)
                .values_list("district_id", flat=True).first())
    reports = (selectors.pharmacies_with_stock(district_id=district, drug_id=drug_id)
               if drug else [])
    return render(request, "pharmacy_sync/in_stock.html",
                  {"drug": drug, "reports": reports, "has_district": district is not None},
                  status=200 if drug else 404)
