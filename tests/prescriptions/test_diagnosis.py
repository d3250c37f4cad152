"""The diagnosis is a key of the ICD-10 catalogue: the API still takes "I10", an unknown
code is refused per field, the form uses the visit form's ICD-10 autocomplete, and the
migration turns existing codes into keys without breaking their signatures."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from clinics.coding.models import Icd10Code
from prescriptions.models import Prescription
from prescriptions.selectors import signature_is_valid
from tests.prescriptions.conftest import drug
from tests.prescriptions.test_pages import EN, write_form

# A well-formed code (letter, two digits, subcategory) that WHO's ICD-10 does not have.
NOT_IN_CATALOGUE = "I10.99"


@pytest.fixture
def as_doctor(doctor):
    client = APIClient()
    client.force_authenticate(doctor)
    return client


def body(card, diagnosis):
    return {"patient": card.med_id, "diagnosis": diagnosis,
            "items": [{"drug": drug("Amlodipine", "5 mg").pk, "quantity": 30,
                       "dosage": "1 tablet"}]}


@pytest.mark.django_db
def test_the_api_takes_a_code_and_stores_the_catalogue_row(as_doctor, card):
    answer = as_doctor.post(reverse("api-prescriptions"), body(card, "i10"), format="json")
    assert answer.status_code == 201 and answer.json()["diagnosis"] == "I10"
    assert Prescription.objects.get().diagnosis == Icd10Code.objects.get(code="I10")


@pytest.mark.django_db
@pytest.mark.parametrize("code", [NOT_IN_CATALOGUE, "flu", ""])
def test_an_unknown_code_is_refused_per_field(as_doctor, card, code):
    assert not Icd10Code.objects.filter(code=NOT_IN_CATALOGUE).exists()
    answer = as_doctor.post(reverse("api-prescriptions"), body(card, code), format="json")
    assert answer.status_code == 400 and set(answer.json()["fields"]) == {"diagnosis"}
    assert not Prescription.objects.exists()


@pytest.mark.django_db
def test_the_form_uses_the_icd10_autocomplete_and_shows_the_title(client, doctor, card, write):
    client.force_login(doctor)
    page = client.get(reverse("prescriptions:write", args=[card.med_id])).content.decode()
    assert 'data-icd10="primary"' in page and "clinics/visit-form.js" in page
    assert f'data-icd10-url="{reverse("api-icd10")}"' in page
    refused = client.post(reverse("prescriptions:write", args=[card.med_id]),
                          write_form(diagnosis=NOT_IN_CATALOGUE), **EN).content.decode()
    assert f"{NOT_IN_CATALOGUE} is not in the ICD-10 catalogue" in refused
    prescription = write(("Amoxicillin", 20), diagnosis="J06.9")
    detail = client.get(reverse("prescriptions:detail", args=[prescription.code]),
                        **EN).content.decode()
    assert Icd10Code.objects.get(code="J06.9").title_en in detail


BEFORE = ("prescriptions", "0004_drug_names_spelt_with_ks")


def migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


def latest():
    """Every app's last migration: going back before prescriptions 0005 also unapplies the
    migrations of other apps that depend on later prescriptions ones (the registry split)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_codes_into_keys_and_signatures_still_verify(write):
    prescription = write(("Amoxicillin", 20), diagnosis="J06.9")
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT diagnosis_code FROM prescriptions_prescription WHERE id = %s",
                           [prescription.pk])
            assert cursor.fetchone() == ("J06.9",)
    finally:
        migrate(*latest())
    migrated = Prescription.objects.select_related("diagnosis").get(pk=prescription.pk)
    assert migrated.diagnosis.code == "J06.9"
    assert signature_is_valid(migrated)


@pytest.mark.django_db(transaction=True)
def test_a_code_the_catalogue_lacks_stops_the_migration_until_it_is_added(write):
    prescription = write(("Amoxicillin", 20), diagnosis="J06.9")
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE prescriptions_prescription SET diagnosis_code = %s "
                           "WHERE id = %s", [NOT_IN_CATALOGUE, prescription.pk])
        with pytest.raises(RuntimeError, match=NOT_IN_CATALOGUE.replace(".", r"\.")):
            migrate(*latest())
    finally:
        # An administrator adds the code to the catalogue; then the migration goes through.
        # Through the model as the applied migrations have it: the catalogue's later
        # columns come with the migrations still to run.
        applied = MigrationExecutor(connection)._create_project_state(
            with_applied_migrations=True).apps
        applied.get_model("clinics", "Icd10Code").objects.get_or_create(
            code=NOT_IN_CATALOGUE,
            defaults={"title_en": "Added by an administrator", "parent_id": "I10"})
        migrate(*latest())
    assert Prescription.objects.get(pk=prescription.pk).diagnosis_id == NOT_IN_CATALOGUE
