"""The registry's models moved from clinics to their own app without touching a row: the
migration is run backwards and forwards on a database holding real registry data."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from patients.models import PatientCard
from registry.models import Facility, StaffRecord

# The last migration of each app before the move.
BEFORE_THE_MOVE = [
    ("clinics", "0015_staff_head_and_on_call"),
    ("patients", "0005_identification_notes"),
    ("prescriptions", "0009_failed_patient_check"),
    ("queue", "0003_appointment_referral"),
    ("pharmacy_sync", "0003_reconciliation"),
    ("registry", None),
]


def foreign_keys_into(table: str) -> set[tuple[str, str]]:
    # The tables' own keys: a monthly partition's copy of its table's key (conparentid) comes
    # and goes with the months that `migrate` makes ahead (dmed.partitions).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = %s::regclass AND conparentid = 0", [table])
        return set(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_moving_the_registry_keeps_its_rows_the_links_to_them_and_the_rights_on_them():
    constraints_before = foreign_keys_into("clinics_facility")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state([node for node in BEFORE_THE_MOVE if node[1]]).apps

    region = old.get_model("clinics", "Region").objects.get(code="1726")
    facility = old.get_model("clinics", "Facility").objects.create(
        code="MOVE-P01", name="Ko‘chish poliklinikasi", kind="polyclinic", tax_id="209999999",
        region=region)
    user = old.get_model("dmed", "User").objects.create(username="move-doctor", role="clinician")
    old.get_model("clinics", "StaffRecord").objects.create(
        user=user, facility=facility, role="clinician", active_from=date(2025, 1, 1),
        is_head=True)
    old.get_model("patients", "PatientCard").objects.create(
        med_id="1999999999", last_name="Karimov", first_name="Aziz", search_name="karimov aziz",
        birth_date=date(1980, 1, 2), sex="male", registered_at=facility,
        attached_facility=facility)
    old_types = old.get_model("contenttypes", "ContentType")
    facility_type = old_types.objects.get_or_create(app_label="clinics", model="facility")[0]
    group = old.get_model("auth", "Group").objects.create(name="Registry keepers")
    group.permissions.add(old.get_model("auth", "Permission").objects.get_or_create(
        content_type=facility_type, codename="change_facility",
        defaults={"name": "Can change facility"})[0])

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Facility.objects.get(code="MOVE-P01")
    assert moved.pk == facility.pk and moved.region.code == "1726"
    assert StaffRecord.objects.get(user__username="move-doctor").facility == moved
    card = PatientCard.objects.get(med_id="1999999999")
    assert card.registered_at == moved and card.attached_facility == moved
    assert Group.objects.get(name="Registry keepers").permissions.get().natural_key() == (
        "change_facility", "registry", "facility")
    # The database kept its foreign keys: nothing was dropped or re-validated.
    assert foreign_keys_into("clinics_facility") == constraints_before
