"""The admin's lists of millions of rows take the planner's estimate instead of counting
every row for the paginator; filtered lists are counted."""

import pytest
from django.db import connection

from dmed import admin_paging
from dmed.admin_paging import EstimatedCountPaginator
from dmed.audit import record_audit_event
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.models import PatientCard
from tests.factories import UserFactory
from tests.patients.factories import CardFactory


def analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


@pytest.fixture
def large_from_one_row(monkeypatch):
    """Tables count as large from one row, so a test's few rows take the estimate."""
    monkeypatch.setattr(admin_paging, "EXACT_BELOW", 1)


@pytest.mark.django_db
def test_an_unfiltered_list_takes_the_estimate_and_a_filtered_one_is_counted(
        large_from_one_row):
    CardFactory.create_batch(3, first_name="Aziz")
    analyze("patients_patientcard")
    CardFactory.create_batch(2, first_name="Bobur")  # after the estimate was made
    everything = EstimatedCountPaginator(PatientCard.objects.order_by("pk"), 100)
    assert everything.count == 3
    some = EstimatedCountPaginator(PatientCard.objects.filter(first_name="Bobur").order_by("pk"),
                                   100)
    assert some.count == 2


@pytest.mark.django_db
def test_a_partitioned_table_adds_up_its_partitions_estimates(large_from_one_row):
    actor = UserFactory(role=Role.CLINICIAN)
    for number in range(4):
        record_audit_event(actor=actor, action=AuditAction.VIEW, object_type="patients.card",
                           object_id=str(number))
    before = AuditEvent.objects.count()
    analyze("dmed_auditevent")
    record_audit_event(actor=actor, action=AuditAction.VIEW, object_type="patients.card",
                       object_id="late")
    assert EstimatedCountPaginator(AuditEvent.objects.order_by("pk"), 100).count == before


@pytest.mark.django_db
def test_a_small_table_is_counted_exactly():
    CardFactory.create_batch(3)
    analyze("patients_patientcard")
    CardFactory()
    assert EstimatedCountPaginator(PatientCard.objects.order_by("pk"), 100).count == 4


@pytest.mark.django_db
def test_the_card_and_audit_lists_page_on_the_estimate(client, large_from_one_row):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    CardFactory.create_batch(3)
    analyze("patients_patientcard")
    CardFactory()
    client.force_login(admin)
    response = client.get("/admin/patients/patientcard/")
    assert response.status_code == 200 and response.context["cl"].result_count == 3
    assert client.get("/admin/dmed/auditevent/").status_code == 200
