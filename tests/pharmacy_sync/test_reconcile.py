"""The nightly reconciliation: the portal's dispensings (real prescriptions services)
against the stock the pharmacies reported (real reports), per pharmacy, drug and day;
discrepancies recorded once per day and shown in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.roles import Role
from pharmacy_sync import services
from pharmacy_sync.models import (
    Discrepancy,
    DiscrepancyKind,
    Reconciliation,
    StockChange,
    StockReport,
)
from pharmacy_sync.tasks import reconcile_yesterday
from prescriptions.models import Dispensing
from prescriptions.services import dispense, pharmacist_actor
from registry.models import FacilityKind
from tests.factories import FacilityFactory, staff_at
from tests.prescriptions.conftest import drug

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_of_work(write, pharmacy, district, patient_check):
    """A day at two pharmacies of the district. Shifo-Farm reported its stock yesterday
    and reports again today; the other pharmacy never reports stock."""
    till = pharmacist_actor(staff_at(pharmacy, Role.PHARMACIST))
    quiet = FacilityFactory(kind=FacilityKind.PHARMACY, district=district)
    amoxicillin, amlodipine, ibuprofen, metformin = (
        drug(inn) for inn in ("Amoxicillin", "Amlodipine", "Ibuprofen", "Metformin"))

    services.report_stock(pharmacy=pharmacy, items=[
        (amoxicillin.pk, 100), (amlodipine.pk, 50), (ibuprofen.pk, 60), (metformin.pk, 30)])
    StockReport.objects.update(reported_at=timezone.now() - timedelta(days=1))

    def give(inn, quantity, by=till):
        prescription = write((inn, quantity))
        dispense(by=by, code=prescription.code, patient_check=patient_check,
                 items=[{"item": 1, "quantity": quantity}])

    give("Amoxicillin", 20)  # and the stock fell by 20: they agree
    give("Ibuprofen", 5)  # over-the-counter: sold 15 more without a prescription, fine
    give("Metformin", 10)  # no stock report since: the reports lag
    give("Amoxicillin", 7, by=pharmacist_actor(staff_at(quiet, Role.PHARMACIST)))
    services.report_stock(pharmacy=pharmacy, items=[
        (amoxicillin.pk, 70), (amlodipine.pk, 30), (ibuprofen.pk, 40)])
    services.report_stock(pharmacy=pharmacy, items=[(amoxicillin.pk, 80)])  # a delivery
    # Amlodipine fell by 20 with no dispensing on the portal: prescription-only, flagged.
    return {"pharmacy": pharmacy, "quiet": quiet, "amlodipine": amlodipine,
            "metformin": metformin, "amoxicillin": amoxicillin}


def _found():
    return sorted((d.pharmacy_id, d.drug_id, d.kind, d.dispensed, d.reported_decrease)
                  for d in Discrepancy.objects.all())


def test_stock_decreases_are_reconciled_with_dispensings(day_of_work):
    pharmacy = day_of_work["pharmacy"]
    amoxicillin = StockChange.objects.get(pharmacy=pharmacy, drug=day_of_work["amoxicillin"])
    assert (amoxicillin.decreased, amoxicillin.increased) == (30, 10)  # 100 → 70 → 80
    # A decrease of 30 against 20 dispensed: the pharmacy sold 10 without a prescription.
    found = services.reconcile(day=timezone.localdate())

    assert len(found) == 3
    assert _found() == sorted([
        (pharmacy.pk, day_of_work["amoxicillin"].pk, DiscrepancyKind.UNDOCUMENTED_DECREASE,
         20, 30),
        (pharmacy.pk, day_of_work["amlodipine"].pk, DiscrepancyKind.UNDOCUMENTED_DECREASE,
         0, 20),
        (pharmacy.pk, day_of_work["metformin"].pk, DiscrepancyKind.DISPENSED_WITHOUT_DECREASE,
         10, 0),
    ])
    assert not Discrepancy.objects.filter(pharmacy=day_of_work["quiet"]).exists()


def test_a_second_run_for_a_day_replaces_its_findings(day_of_work, pharmacy):
    services.reconcile(day=timezone.localdate())
    first = _found()
    services.report_stock(pharmacy=pharmacy, items=[(day_of_work["metformin"].pk, 20)])
    services.reconcile(day=timezone.localdate())
    assert len(_found()) == 2 and _found() == [row for row in first
                                               if row[1] != day_of_work["metformin"].pk]


def test_another_day_is_reconciled_on_its_own(day_of_work):
    yesterday = timezone.localdate() - timedelta(days=1)
    assert services.reconcile(day=yesterday) == []
    assert not Discrepancy.objects.exists()
    # A night that found nothing is on record, apart from a night that never ran.
    assert list(Reconciliation.objects.values_list("day", "compared", "found")) == [
        (yesterday, 0, 0)]


def test_each_run_records_what_it_compared_and_found_once_per_day(day_of_work, pharmacy):
    today = timezone.localdate()
    services.reconcile(day=today)
    # Amoxicillin, amlodipine, ibuprofen and metformin at the reporting pharmacy; the
    # pharmacy that never reported is not compared.
    assert list(Reconciliation.objects.values_list("day", "compared", "found")) == [
        (today, 4, 3)]
    services.report_stock(pharmacy=pharmacy, items=[(day_of_work["metformin"].pk, 20)])
    services.reconcile(day=today)
    assert list(Reconciliation.objects.values_list("day", "compared", "found")) == [
        (today, 4, 2)]


def test_the_nightly_task_reconciles_yesterday(day_of_work, settings):
    yesterday = timezone.localdate() - timedelta(days=1)
    StockChange.objects.update(day=yesterday)
    Dispensing.objects.update(dispensed_at=timezone.now() - timedelta(days=1))
    StockReport.objects.update(reported_at=timezone.now() - timedelta(days=2))

    assert reconcile_yesterday() == 3
    assert set(Discrepancy.objects.values_list("day", flat=True)) == {yesterday}

    from dmed.celery import app

    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE["pharmacy-reconcile"]["task"] in app.tasks


def test_old_stock_changes_are_pruned(day_of_work):
    StockChange.objects.update(day=timezone.localdate() - timedelta(
        days=services.STOCK_CHANGE_DAYS + 2))
    services.reconcile(day=timezone.localdate())
    assert not StockChange.objects.exists()


def test_the_admin_lists_discrepancies(client, make_user, day_of_work,
                                       django_assert_max_num_queries):
    services.reconcile(day=timezone.localdate())
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    with django_assert_max_num_queries(10):
        page = client.get("/admin/pharmacy_sync/discrepancy/",
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Amlodipine" in page and "Metformin" in page
    assert client.get("/admin/pharmacy_sync/discrepancy/", {
        "kind__exact": "dispensed_without_decrease"}).content.decode().count("Metformin") >= 1
    assert client.get("/admin/pharmacy_sync/stockchange/").status_code == 200
    page = client.get("/admin/pharmacy_sync/reconciliation/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "discrepancies found" in page.content.decode().lower()
