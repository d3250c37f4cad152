import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from dmed.roles import Role
from registry.models import District, Facility, Region, StaffRecord
from tests.factories import FacilityFactory, StaffRecordFactory, UserFactory


@pytest.mark.django_db
def test_the_fourteen_regions_and_their_districts_are_loaded():
    assert Region.objects.count() == 14
    tashkent = Region.objects.get(code="1726")
    assert tashkent.districts.count() == 12
    assert District.objects.filter(region__code="1718").count() >= 14


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("uz", "Toshkent shahri"), ("uz-cyrl", "Тошкент шаҳри"), ("ru", "город Ташкент"),
     ("en", "Tashkent City")],
)
def test_region_names_follow_the_language(language, expected):
    from django.utils import translation

    with translation.override(language):
        assert Region.objects.get(code="1726").name == expected


@pytest.mark.django_db
@pytest.mark.parametrize("tax_id", ["12345678", "1234567890", "12345678a"])
def test_tax_id_must_be_nine_digits(tax_id):
    facility = FacilityFactory.build(tax_id=tax_id)
    with pytest.raises(ValidationError) as error:
        facility.full_clean()
    assert "tax_id" in error.value.message_dict
    with pytest.raises(DatabaseError), transaction.atomic():
        FacilityFactory(tax_id=tax_id)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["OA000024", "oaa000024", "OAA00002A", "OAA0000245"])
def test_insurance_fund_code_is_three_capitals_and_six_digits(code):
    with pytest.raises(ValidationError):
        FacilityFactory.build(shif_code=code).full_clean()
    with pytest.raises(DatabaseError), transaction.atomic():
        FacilityFactory(shif_code=code)


@pytest.mark.django_db
def test_insurance_fund_code_is_unique_when_present():
    FacilityFactory(shif_code="OAA000024")
    FacilityFactory(shif_code="")
    FacilityFactory(shif_code="")
    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityFactory(shif_code="OAA000024")
    assert Facility.objects.count() == 3


@pytest.mark.django_db
def test_district_must_lie_in_the_facility_region():
    facility = FacilityFactory.build(region=Region.objects.get(code="1718"))
    with pytest.raises(ValidationError) as error:
        facility.full_clean()
    assert "district" in error.value.message_dict


@pytest.mark.django_db
def test_staff_periods_for_the_same_post_cannot_overlap():
    record = StaffRecordFactory(active_from=datetime.date(2024, 1, 1),
                                active_to=datetime.date(2024, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRecordFactory(user=record.user, facility=record.facility,
                           active_from=datetime.date(2024, 6, 1))
    StaffRecordFactory(user=record.user, facility=record.facility,
                       active_from=datetime.date(2025, 1, 1))
    assert StaffRecord.objects.count() == 2


@pytest.mark.django_db
def test_staff_record_period_must_be_ordered_and_role_a_staff_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRecordFactory(active_from=datetime.date(2024, 2, 1),
                           active_to=datetime.date(2024, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRecordFactory(user=UserFactory(role=Role.PATIENT), role=Role.PATIENT)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["region", "district", "facility", "department", "staffrecord"],
)
def test_registries_are_searchable_in_the_admin(client, path):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    StaffRecordFactory()
    assert client.get(f"/admin/registry/{path}/?q=Chilonzor").status_code == 200
    assert client.get(f"/admin/registry/{path}/add/").status_code == 200
