"""The card's pregnancy and immunisation pages and the district list: who may open them
(audited either way), per-field errors, and flat query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.paging import PAGE_SIZE
from dmed.roles import Role
from mch import services
from mch.models import CalendarDose, Pregnancy, RiskFactor
from patients.models import Representation
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.mch.factories import child, woman
from tests.mch.test_services import vaccinate

pytestmark = pytest.mark.django_db


def lmp_weeks_ago(weeks: int) -> str:
    return (timezone.localdate() - timedelta(weeks=weeks)).isoformat()


def test_doctor_registers_a_pregnancy_through_the_form(client, doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    client.force_login(doctor)
    url = f"/patients/{mother.med_id}/pregnancy/"
    assert 'data-testid="pregnancy-form"' in client.get(url).content.decode()
    hypertension = RiskFactor.objects.get(code="hypertension")
    response = client.post(f"{url}new/", {"dating_method": "lmp", "lmp": lmp_weeks_ago(23),
                                          "gravidity": 1, "parity": 0,
                                          "risk_factors": [hypertension.pk]})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "23" in page and 'risk-high' in page
    # Registered at 23 weeks: contacts 1 and 2 are past and none was visited.
    assert 'class="state-overdue" data-testid="contact-2"' in page
    assert AuditEvent.objects.filter(object_type="mch.pregnancy", action="view",
                                     patient_med_id=mother.med_id).count() == 2


def test_registration_errors_show_by_their_fields(client, doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    client.force_login(doctor)
    response = client.post(f"/patients/{mother.med_id}/pregnancy/new/",
                           {"dating_method": "ultrasound", "gravidity": 2, "parity": 5})
    assert response.status_code == 400
    errors = response.context["register_form"].errors
    assert {"scan_date", "scan_weeks", "scan_days", "parity"} <= set(errors)
    assert not Pregnancy.objects.exists()


def test_outcome_form_asks_for_the_babys_details_then_creates_the_card(client, polyclinic):
    doctor = staff_at(polyclinic, Role.CLINICIAN)
    mother = woman(polyclinic, doctor, user=UserFactory(role=Role.PATIENT))
    services.register_pregnancy(actor=doctor, med_id=mother.med_id, dating_method="lmp",
                                lmp=timezone.localdate() - timedelta(weeks=39), gravidity=1,
                                parity=0)
    client.force_login(doctor)
    url = f"/patients/{mother.med_id}/pregnancy/outcome/"
    today = timezone.localdate().isoformat()
    missing = client.post(url, {"outcome": "live_birth", "outcome_date": today,
                                "facility": polyclinic.code, "sex": "male",
                                "weight_g": 3100})
    assert missing.status_code == 400
    assert {"length_cm", "apgar_1", "apgar_5"} <= set(missing.context["outcome_form"].errors)
    wrong_place = client.post(url, {"outcome": "stillbirth", "outcome_date": today,
                                    "facility": "NOWHERE"})
    assert "facility" in wrong_place.context["outcome_form"].errors
    done = client.post(url, {"outcome": "live_birth", "outcome_date": today,
                             "facility": polyclinic.code, "sex": "male", "weight_g": 3100,
                             "length_cm": "50.5", "apgar_1": 7, "apgar_5": 9})
    assert done.status_code == 302
    page = client.get(f"/patients/{mother.med_id}/pregnancy/").content.decode()
    newborn = Pregnancy.objects.get().newborns.get()
    assert f'href="/patients/{newborn.card.med_id}/"' in page
    assert Representation.objects.filter(card=newborn.card,
                                         representative=mother.user).exists()


@pytest.mark.parametrize("section", ["pregnancy", "immunisation"])
def test_registrars_and_outsiders_are_refused_and_audited(client, doctor, polyclinic, section):
    mother = woman(polyclinic, doctor)
    client.force_login(staff_at(polyclinic, Role.REGISTRAR))
    assert client.get(f"/patients/{mother.med_id}/{section}/").status_code == 403
    client.force_login(staff_at(FacilityFactory(), Role.CLINICIAN))
    assert client.get(f"/patients/{mother.med_id}/{section}/").status_code == 403
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(f"/patients/{mother.med_id}/{section}/").status_code == 404
    assert AuditEvent.objects.filter(object_type=f"mch.{section}",
                                     allowed=False).count() == 3


def test_mother_reads_her_pregnancy_without_the_forms(client, doctor, polyclinic):
    account = UserFactory(role=Role.PATIENT)
    mother = woman(polyclinic, doctor, user=account)
    services.register_pregnancy(actor=doctor, med_id=mother.med_id, dating_method="lmp",
                                lmp=timezone.localdate() - timedelta(weeks=8), gravidity=1,
                                parity=0)
    client.force_login(account)
    page = client.get(f"/patients/{mother.med_id}/pregnancy/").content.decode()
    assert 'data-testid="gestational-age"' in page and "visit-form" not in page


def test_immunisation_page_shows_overdue_doses_and_records_one(client, doctor, polyclinic):
    nurse = staff_at(polyclinic, Role.NURSE)
    baby = child(polyclinic, doctor, days_old=100)
    client.force_login(nurse)
    url = f"/patients/{baby.med_id}/immunisation/"
    page = client.get(url).content.decode()
    assert 'class="state-overdue" data-testid="dose-penta-1"' in page
    penta = CalendarDose.objects.get(vaccine__code="penta", number=1)
    today = timezone.localdate()
    bad = client.post(f"{url}vaccination/", {"dose": penta.pk, "lot_number": "X1",
                                             "expiry_date": (today - timedelta(days=1))
                                             .isoformat(), "site": "left_thigh",
                                             "route": "im", "given_on": today.isoformat()})
    assert bad.status_code == 400
    assert "expiry_date" in bad.context["vaccination_form"].errors
    good = client.post(f"{url}vaccination/", {"dose": penta.pk, "lot_number": "X1",
                                              "expiry_date": "2030-01-01",
                                              "site": "left_thigh", "route": "im",
                                              "given_on": today.isoformat()})
    assert good.status_code == 302
    page = client.get(url).content.decode()
    assert 'class="state-done" data-testid="dose-penta-1"' in page
    refused = client.post(f"{url}exemption/", {"vaccine": penta.vaccine_id,
                                               "kind": "refused", "reason": "",
                                               "revisit_on": today.isoformat()})
    assert set(refused.context["exemption_form"].errors) == {"reason"}
    refused = client.post(f"{url}exemption/", {"vaccine": penta.vaccine_id,
                                               "kind": "refused", "reason": "Parents refuse",
                                               "revisit_on": today.isoformat()})
    assert set(refused.context["exemption_form"].errors) == {"revisit_on"}


def fill_district(polyclinic, doctor, size):
    for index in range(size):
        baby = child(polyclinic, doctor, days_old=95 + index)
        vaccinate(doctor, baby, "hepb", 1, baby.birth_date)
        mother = woman(polyclinic, doctor)
        services.register_pregnancy(
            actor=doctor, med_id=mother.med_id, dating_method="lmp", gravidity=1, parity=0,
            lmp=timezone.localdate() - timedelta(weeks=5 + index % 30))


@pytest.mark.parametrize("size", [3, 30])
def test_district_list_counts_and_flat_queries(client, doctor, polyclinic, size,
                                               django_assert_max_num_queries):
    fill_district(polyclinic, doctor, size)
    child(FacilityFactory(), days_old=100)  # someone else's district
    client.force_login(doctor)
    with django_assert_max_num_queries(14):
        response = client.get("/district/")
    listing = response.context["listing"]
    overdue = listing.overdue.results
    assert {line.card.family_doctor_id for line in overdue} == {doctor.pk}
    # Every child is past penta, PCV and OPV at 2 months, by more than a month: one line
    # each, for the dose that fell due first (the oldest child first).
    assert listing.overdue_count == size
    assert len({line.card.pk for line in overdue}) == min(size, PAGE_SIZE)
    assert [line.due_on for line in overdue] == sorted(line.due_on for line in overdue)
    assert overdue[0].days_overdue == (timezone.localdate() - overdue[0].due_on).days > 30
    assert listing.pregnant == size
    page = response.content.decode()
    assert page.count('data-testid="pregnancy-line"') == min(size, PAGE_SIZE)
    shown = 2 * min(size, PAGE_SIZE)
    assert AuditEvent.objects.filter(object_type="mch.district").count() == shown
    if size > PAGE_SIZE:  # the next page of each list starts after this one's last line
        more = client.get("/district/", {"overdue_page": listing.overdue.next_cursor,
                                         "pregnancy_page": listing.pregnancies.next_cursor})
        following = more.context["listing"]
        assert len(following.overdue.results) == len(following.pregnancies.results) \
            == size - PAGE_SIZE
        assert not {line.card.pk for line in following.overdue.results} & \
            {line.card.pk for line in overdue}
    assert client.get("/district/", {"due_page": "not-a-cursor"}).status_code == 400


def test_district_filters_by_trimester_risk_and_overdue_contact(client, doctor, polyclinic):
    fill_district(polyclinic, doctor, 6)  # 5 to 10 weeks: all in the first trimester
    late = woman(polyclinic, doctor)
    services.register_pregnancy(actor=doctor, med_id=late.med_id, dating_method="lmp",
                                gravidity=3, parity=1,
                                lmp=timezone.localdate() - timedelta(weeks=22),
                                risk_factors=[RiskFactor.objects.get(code="diabetes")])
    client.force_login(doctor)
    second = client.get("/district/", {"trimester": 2}).context["listing"]
    assert [line.pregnancy.card for line in second.pregnancies.results] == [late]
    assert second.by_trimester == {1: 6, 2: 1, 3: 0}
    assert [line.pregnancy.card for line in client.get(
        "/district/", {"risk": "high"}).context["listing"].pregnancies.results] == [late]
    overdue = client.get("/district/", {"overdue_only": "on"}).context["listing"]
    assert [(line.pregnancy.card, line.overdue_contact.number)
            for line in overdue.pregnancies.results] == [(late, 2)]
    assert client.get("/district/", {"trimester": "9"}).status_code == 400


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.PATIENT, Role.PHARMACIST])
def test_district_list_is_for_doctors_and_nurses(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/district/").status_code == 403


def test_a_nurse_sees_her_whole_polyclinic_and_nothing_else(client, doctor, polyclinic):
    colleague = staff_at(polyclinic, Role.CLINICIAN)
    mine, theirs = child(polyclinic, doctor, days_old=120), child(polyclinic, colleague,
                                                                   days_old=121)
    outside = child(FacilityFactory(), days_old=122)
    for card in (mine, theirs, outside):
        vaccinate(doctor if card is not outside else staff_at(outside.attached_facility),
                  card, "hepb", 1, card.birth_date)
    client.force_login(staff_at(polyclinic, Role.NURSE))
    listing = client.get("/district/").context["listing"]
    assert {line.card for line in listing.overdue.results} == {mine, theirs}
    client.force_login(doctor)
    listing = client.get("/district/").context["listing"]
    assert {line.card for line in listing.overdue.results} == {mine}


def test_the_birth_record_shows_and_takes_the_discharge_home(client, doctor, polyclinic):
    from mch.models import Newborn
    from registry.models import FacilityKind

    mother = woman(polyclinic, doctor)
    services.register_pregnancy(actor=doctor, med_id=mother.med_id, dating_method="lmp",
                                lmp=timezone.localdate() - timedelta(weeks=40), gravidity=1,
                                parity=0)
    born_on = timezone.localdate() - timedelta(days=5)
    services.record_outcome(actor=doctor, med_id=mother.med_id, outcome="live_birth",
                            outcome_date=born_on,
                            facility=FacilityFactory(kind=FacilityKind.HOSPITAL),
                            newborns=[services.BabyAtBirth(sex="male", weight_g=3100,
                                                           length_cm=50, apgar_1=8,
                                                           apgar_5=9)])
    newborn = Newborn.objects.get()
    client.force_login(doctor)
    url = f"/patients/{mother.med_id}/pregnancy/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-testid="discharge-form-{newborn.card.med_id}"' in page
    assert "In the maternity" in page
    too_early = client.post(f"{url}discharge/", {
        "newborn": newborn.card.med_id,
        "discharged_on": (born_on - timedelta(days=1)).isoformat()},
        HTTP_ACCEPT_LANGUAGE="en")
    assert too_early.status_code == 400
    assert "discharged_on" in too_early.context["discharge_form"].errors
    assert "before the birth" in too_early.content.decode()
    stranger = client.post(f"{url}discharge/", {"newborn": "NOT-HERS",
                                                "discharged_on": born_on.isoformat()})
    assert stranger.status_code == 400
    assert 'data-testid="discharge-refused"' in stranger.content.decode()
    client.force_login(staff_at(polyclinic, Role.REGISTRAR))
    refused = client.post(f"{url}discharge/", {"newborn": newborn.card.med_id,
                                               "discharged_on": born_on.isoformat()})
    assert refused.status_code == 403
    newborn.refresh_from_db()
    assert newborn.discharged_on is None
    client.force_login(doctor)
    done = client.post(f"{url}discharge/", {
        "newborn": newborn.card.med_id,
        "discharged_on": (born_on + timedelta(days=2)).isoformat()})
    assert done.status_code == 302
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (f"Discharged home on {born_on + timedelta(days=2):%d.%m.%Y}") in page
    assert f'data-testid="discharge-form-{newborn.card.med_id}"' not in page
