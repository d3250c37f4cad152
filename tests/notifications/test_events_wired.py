"""Events raised inside other apps' services reach people: each wired emit, with the
message it produces."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinics.labs import services as lab_services
from clinics.referrals import services as referral_services
from clinics.referrals.models import ReferralTarget, Urgency
from dmed.roles import Role
from notifications.models import Message
from notifications.texts import RECEIVER, render
from outbox import services as outbox_services
from outbox.kinds import LAB_RESULT_RELEASED, REFERRAL_RECEIVED
from outbox.models import Delivery, Event
from registry.models import FacilityKind
from tests.clinics.lab_helpers import lab_world, released_result
from tests.factories import (
    DepartmentFactory,
    FacilityFactory,
    StaffRecordFactory,
    UserFactory,
    staff_at,
)
from tests.patients.factories import CardFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("awake")]


@pytest.fixture
def lab_patient():
    world = lab_world()
    user = UserFactory(role=Role.PATIENT, language="ru", email="")
    card = CardFactory(user=user, phone="+998901112233", attached_facility=world.polyclinic,
                       registered_at=world.polyclinic, sex="female",
                       birth_date=date(1990, 4, 2))
    return world, card


def test_a_released_lab_result_tells_the_patient_in_their_language(lab_patient, sms_gateway):
    world, card = lab_patient
    result = released_result(world, card, "HGB", Decimal("128"))

    event = Event.objects.get(kind=LAB_RESULT_RELEASED)
    assert event.payload["med_id"] == card.med_id
    assert event.payload["result"] == str(result.public_id)
    assert event.dedupe_key == f"lab-result:{result.public_id}:released"
    outbox_services.fan_out()
    outbox_services.handle_delivery(Delivery.objects.get(consumer="notifications").pk)
    text = sms_gateway.received[0].json()["text"]
    assert "Гемоглобин" in text and world.laboratory.name in text  # Russian test name
    assert Message.objects.get().status == "sent"


def test_a_refused_release_raises_no_event(lab_patient):
    world, card = lab_patient
    order = lab_services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                         laboratory=world.laboratory, tests=["HGB"])
    result = lab_services.enter_result(actor=world.technician, order_id=order.public_id,
                                       test_code="HGB", value=Decimal("30"),
                                       sampled_at=order.ordered_at)
    with pytest.raises(PermissionDenied):  # a critical value needs a second technician
        lab_services.release_result(actor=world.technician, result_id=result.public_id)
    assert not Event.objects.exists()


# --- referral.received ------------------------------------------------------------------------


@pytest.fixture
def referral_world():
    """A polyclinic's doctor, a Russian-speaking patient, and a hospital's cardiology
    department whose clinicians and nurses read Uzbek (both scripts), Russian, English."""
    polyclinic = FacilityFactory(name="12-sonli oilaviy poliklinika")
    hospital = FacilityFactory(kind=FacilityKind.HOSPITAL, name="Shahar shifoxonasi")
    department = DepartmentFactory(facility=hospital, code="CARD", name="Kardiologiya")
    patient = UserFactory(role=Role.PATIENT, language="ru", email="")
    card = CardFactory(user=patient, phone="+998900000001", attached_facility=polyclinic,
                       registered_at=polyclinic)
    receivers = {}
    for n, (language, role) in enumerate([("uz", Role.CLINICIAN), ("uz-cyrl", Role.NURSE),
                                          ("ru", Role.CLINICIAN), ("en", Role.NURSE)]):
        user = UserFactory(role=role, language=language, phone=f"+99890100000{n}", email="")
        StaffRecordFactory(user=user, facility=hospital, department=department)
        receivers[language] = user
    return {"doctor": staff_at(polyclinic), "card": card, "hospital": hospital,
            "department": department, "receivers": receivers}


def _refer(world, **target):
    return referral_services.refer(actor=world["doctor"], med_id=world["card"].med_id,
                                   reason="Uncontrolled hypertension", diagnosis_code="I10",
                                   **target)


def _deliver_notifications():
    outbox_services.fan_out()
    pending = Delivery.objects.filter(consumer="notifications", status="pending")
    return outbox_services.handle_deliveries(list(pending.values_list("pk", flat=True)))


def _texts_by_phone(server) -> dict[str, str]:
    return {request.json()["to"]: request.json()["text"] for request in server.received}


def test_a_department_referral_tells_each_receiver_in_their_language_and_the_patient(
        referral_world, sms_gateway):
    world = referral_world
    elsewhere = UserFactory(role=Role.CLINICIAN, phone="+998901009999")
    StaffRecordFactory(user=elsewhere, facility=world["hospital"])  # not in the department
    registrar = UserFactory(role=Role.REGISTRAR, phone="+998901008888")
    StaffRecordFactory(user=registrar, facility=world["hospital"],
                       department=world["department"])  # receives no referrals
    referral = _refer(world, target=ReferralTarget.DEPARTMENT,
                      to_department=world["department"])

    event = Event.objects.get(kind=REFERRAL_RECEIVED)
    assert event.dedupe_key == f"referral:{referral.public_id}:received"
    # The receivers are in the event: notifications never read the referral.
    assert sorted(event.payload["receivers"]) == sorted(
        u.pk for u in world["receivers"].values())
    assert set(_deliver_notifications().values()) == {"done"}
    texts = _texts_by_phone(sms_gateway)
    assert set(texts) == {"+998900000001", *(u.phone for u in world["receivers"].values())}
    for language, user in world["receivers"].items():
        assert texts[user.phone] == render(REFERRAL_RECEIVED, event.payload, language,
                                           RECEIVER)
    assert len({texts[user.phone] for user in world["receivers"].values()}) == 4
    assert "12-sonli oilaviy poliklinika" in texts[world["receivers"]["en"].phone]
    assert "Incoming referrals" in texts[world["receivers"]["en"].phone]
    assert texts[world["receivers"]["ru"].phone].startswith("DMED: новое направление")
    patient_text = texts["+998900000001"]
    assert patient_text == render(REFERRAL_RECEIVED, event.payload, "ru")
    assert "Shahar shifoxonasi" in patient_text and "направлены" in patient_text
    # No patient details leave the portal in the receivers' messages.
    assert all(world["card"].last_name not in texts[u.phone]
               for u in world["receivers"].values())


def test_an_emergency_referral_reaches_the_specialist_at_night_the_patient_waits(
        referral_world, sms_gateway, settings):
    world = referral_world
    specialist = world["receivers"]["uz"]
    hour = timezone.localtime().hour
    settings.NOTIFY_QUIET_HOURS = (hour, (hour + 1) % 24)  # quiet hours now
    _refer(world, target=ReferralTarget.SPECIALIST, to_clinician=specialist,
           urgency=Urgency.EMERGENCY)

    outcomes = _deliver_notifications()
    assert sorted(outcomes.values()) == ["deferred", "done"]
    [request] = sms_gateway.received
    assert request.json()["to"] == specialist.phone
    assert "shoshilinch" in request.json()["text"]  # Uzbek: an emergency


def test_a_laboratory_referral_tells_the_laboratorys_technicians(referral_world,
                                                                 sms_gateway):
    laboratory = FacilityFactory(kind=FacilityKind.LABORATORY, name="Diagnostika")
    technician = UserFactory(role=Role.LAB_TECHNICIAN, language="en", phone="+998901007777")
    StaffRecordFactory(user=technician, facility=laboratory)
    clinician = UserFactory(role=Role.CLINICIAN, phone="+998901006666")
    StaffRecordFactory(user=clinician, facility=laboratory)
    _refer(referral_world, target=ReferralTarget.LABORATORY, to_facility=laboratory)

    _deliver_notifications()
    assert set(_texts_by_phone(sms_gateway)) == {"+998900000001", technician.phone}


def test_a_refused_referral_raises_no_event(referral_world):
    with pytest.raises(ValidationError):
        _refer(referral_world, target=ReferralTarget.DEPARTMENT, to_department=None)
    assert not Event.objects.filter(kind=REFERRAL_RECEIVED).exists()


def test_a_receiver_who_is_the_patient_gets_the_patients_message_only(referral_world,
                                                                      sms_gateway):
    world = referral_world
    nurse = world["receivers"]["ru"]
    world["card"].user = nurse  # the patient works in the department they are sent to
    world["card"].save(update_fields=["user"])
    _refer(world, target=ReferralTarget.DEPARTMENT, to_department=world["department"])

    assert set(_deliver_notifications().values()) == {"done"}
    texts = _texts_by_phone(sms_gateway)
    assert texts[nurse.phone].startswith("DMED: вы направлены")
    assert Message.objects.filter(recipient=nurse).count() == 1


def test_the_receivers_are_the_ones_the_event_names_and_an_old_event_tells_the_patient(
        referral_world, sms_gateway):
    """Whom a referral's event reaches is read from the event, not from the referral: a
    receiver removed from the event hears nothing, and an event written before events
    named receivers still tells its patient, without an error."""
    world = referral_world
    _refer(world, target=ReferralTarget.DEPARTMENT, to_department=world["department"])
    event = Event.objects.get(kind=REFERRAL_RECEIVED)
    named = world["receivers"]["en"]
    event.payload["receivers"] = [named.pk]
    event.save(update_fields=["payload"])
    old = Event.objects.create(kind=REFERRAL_RECEIVED, payload={
        key: value for key, value in event.payload.items() if key != "receivers"})

    assert set(_deliver_notifications().values()) == {"done"}
    assert sorted(Delivery.objects.filter(event=event).values_list("target", flat=True)) \
        == sorted([str(world["card"].user_id), f"{named.pk}:{RECEIVER}"])
    assert list(Delivery.objects.filter(event=old).values_list("target", flat=True)) \
        == [str(world["card"].user_id)]
