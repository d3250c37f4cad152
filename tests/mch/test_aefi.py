"""Adverse events following immunisation: reported from a vaccination record by the
child's carers, for the district's epidemiologist, who alone reads them (worklist and
report page, audited) and marks them investigated; a serious one tells the district's
epidemiologists once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from mch import services
from mch.models import AdverseEvent, AefiSymptom, CalendarDose, Vaccination
from notifications.consumers import _targets
from notifications.texts import STAFF, template_for
from outbox.kinds import AEFI_SERIOUS
from outbox.models import Event
from patients.access import CardAccessDenied
from registry.models import District
from tests.factories import FacilityFactory, staff_at
from tests.mch.factories import child

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def nurse(polyclinic):
    return staff_at(polyclinic, Role.NURSE)


@pytest.fixture
def epidemiologist(polyclinic):
    """The epidemiologist of the polyclinic's district (posted at another facility of it)."""
    return staff_at(FacilityFactory(district=polyclinic.district), Role.EPIDEMIOLOGIST)


@pytest.fixture
def elsewhere():
    """A facility of another district."""
    other = District.objects.exclude(code="1726294").select_related("region").first()
    return FacilityFactory(district=other, region=other.region)


def vaccinated(polyclinic, nurse, doctor=None, days_old=10, **card):
    baby = child(polyclinic, doctor, days_old=days_old, **card)
    given = services.record_vaccination(
        actor=nurse, med_id=baby.med_id, dose=CalendarDose.objects.get(vaccine__code="hepb"),
        lot_number="HB-0042", expiry_date=baby.birth_date + timedelta(days=300),
        site="right_thigh", route="im", given_on=baby.birth_date)
    return baby, given


def symptoms(*codes):
    return list(AefiSymptom.objects.filter(code__in=codes or ("fever",)))


def report(actor, given, **fields):
    arguments = {"vaccination": given.pk, "onset_on": given.given_on + timedelta(days=1),
                 "symptoms": symptoms(), "serious": False, "criteria": [],
                 "outcome": "recovered", "reporter": "Mother"} | fields
    return services.report_adverse_event(actor=actor, med_id=given.card.med_id, **arguments)


def serious_fields():
    return {"serious": True, "criteria": ["hospitalisation"],
            "symptoms": symptoms("seizures", "fever"), "outcome": "recovering"}


def test_reported_for_the_vaccinations_district_and_audited(polyclinic, nurse):
    baby, given = vaccinated(polyclinic, nurse)
    event = report(nurse, given, onset_time=timezone.now().time().replace(microsecond=0),
                   description="38.6 at night")
    assert event.district_id == polyclinic.district_id
    assert event.vaccinated_on == given.given_on
    assert set(event.symptoms.values_list("code", flat=True)) == {"fever"}
    assert AuditEvent.objects.filter(object_type="mch.aefi", object_id=str(event.public_id),
                                     patient_med_id=baby.med_id, allowed=True).exists()
    assert not Event.objects.filter(kind=AEFI_SERIOUS).exists()  # not serious: no alarm


def test_a_serious_event_tells_the_districts_epidemiologists_once(
        polyclinic, nurse, epidemiologist, elsewhere):
    staff_at(elsewhere, Role.EPIDEMIOLOGIST)  # another district's: not told
    _baby, given = vaccinated(polyclinic, nurse)
    event = report(nurse, given, **serious_fields())
    raised = Event.objects.get(kind=AEFI_SERIOUS)
    assert raised.payload["recipients"] == [epidemiologist.pk]
    assert raised.payload["report"] == str(event.public_id)
    assert raised.dedupe_key == f"aefi:{event.public_id}:serious"
    # Notifications tell the named staff only, with the staff text (no patient named).
    assert _targets(raised) == [f"{epidemiologist.pk}:{STAFF}"]
    text = template_for(AEFI_SERIOUS, raised.payload, STAFF).text % raised.payload
    assert "SERIOUS" in text and given.card.last_name not in text
    # Investigating it raises nothing more.
    services.investigate_adverse_event(actor=epidemiologist, public_id=event.public_id,
                                       causality="C", investigation="Febrile convulsion, "
                                       "unrelated infection found.")
    assert Event.objects.filter(kind=AEFI_SERIOUS).count() == 1


@pytest.mark.parametrize(("fields", "field"), [
    ({"onset_on": "before"}, "onset_on"),
    ({"onset_on": "future"}, "onset_on"),
    ({"symptoms": []}, "symptoms"),
    ({"serious": True, "criteria": []}, "criteria"),
    ({"serious": False, "criteria": ["death"]}, "serious"),
    ({"serious": True, "criteria": ["hospitalisation"], "outcome": "died"}, "criteria"),
    ({"criteria": ["bad"], "serious": True}, "criteria"),
    ({"outcome": "fine"}, "outcome"),
    ({"reporter": "  "}, "reporter"),
])
def test_bad_input_is_refused_per_field_and_nothing_written(polyclinic, nurse, fields, field):
    _baby, given = vaccinated(polyclinic, nurse)
    dates = {"before": given.given_on - timedelta(days=1),
             "future": timezone.localdate() + timedelta(days=1)}
    if "onset_on" in fields:
        fields = fields | {"onset_on": dates[fields["onset_on"]]}
    with pytest.raises(ValidationError) as refused:
        report(nurse, given, **fields)
    assert field in refused.value.message_dict
    assert not AdverseEvent.objects.exists()


def test_only_a_vaccination_of_this_card(polyclinic, nurse):
    _baby, given = vaccinated(polyclinic, nurse)
    other = child(polyclinic, days_old=30)
    with pytest.raises(ValidationError) as refused:
        services.report_adverse_event(
            actor=nurse, med_id=other.med_id, vaccination=given.pk,
            onset_on=timezone.localdate(), symptoms=symptoms(), serious=False,
            outcome="recovered", reporter="Mother")
    assert "vaccination" in refused.value.message_dict


def test_who_may_report(polyclinic, nurse, elsewhere):
    _baby, given = vaccinated(polyclinic, nurse)
    with pytest.raises(PermissionDenied):
        report(staff_at(polyclinic, Role.REGISTRAR), given)
    with pytest.raises(PermissionDenied):
        report(staff_at(polyclinic, Role.EPIDEMIOLOGIST), given)
    with pytest.raises(CardAccessDenied):  # a nurse of another polyclinic
        report(staff_at(elsewhere, Role.NURSE), given)
    assert AuditEvent.objects.filter(patient_med_id=given.card.med_id, allowed=False).exists()
    assert not AdverseEvent.objects.exists()


def _row(given, **fields):
    values = {"vaccination": given, "vaccinated_on": given.given_on,
              "district_id": given.facility.district_id, "onset_on": given.given_on,
              "serious": False, "criteria": [], "outcome": "recovered", "reporter": "Mother",
              "reported_by": given.given_by} | fields
    return AdverseEvent(**values)


@pytest.mark.parametrize("fields", [
    {"onset_on": "before"},
    {"serious": True, "criteria": []},
    {"serious": False, "criteria": ["death"]},
    {"serious": True, "criteria": ["hospitalisation"], "outcome": "died"},
    {"reporter": ""},
    {"causality": "C"},  # investigated by nobody, at no time
])
def test_the_database_holds_the_rules(polyclinic, nurse, fields):
    _baby, given = vaccinated(polyclinic, nurse)
    if fields.get("onset_on") == "before":
        fields = fields | {"onset_on": given.given_on - timedelta(days=1)}
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(given, **fields).save()


def test_investigated_once_by_the_districts_epidemiologist(polyclinic, nurse, epidemiologist,
                                                          elsewhere):
    _baby, given = vaccinated(polyclinic, nurse)
    event = report(nurse, given)
    for outsider in (staff_at(elsewhere, Role.EPIDEMIOLOGIST), nurse,
                     staff_at(polyclinic, Role.CLINICIAN)):
        with pytest.raises(PermissionDenied):
            services.investigate_adverse_event(actor=outsider, public_id=event.public_id,
                                               causality="A1", investigation="x")
        assert AuditEvent.objects.filter(actor=outsider, object_type="mch.aefi",
                                         allowed=False).exists()
    with pytest.raises(ValidationError) as refused:
        services.investigate_adverse_event(actor=epidemiologist, public_id=event.public_id,
                                           causality="Z", investigation=" ")
    assert set(refused.value.message_dict) == {"causality", "investigation"}
    services.investigate_adverse_event(actor=epidemiologist, public_id=event.public_id,
                                       causality="A1", investigation="Expected reaction.")
    event.refresh_from_db()
    assert (event.causality, event.investigated_by) == ("A1", epidemiologist)
    with pytest.raises(ValidationError):
        services.investigate_adverse_event(actor=epidemiologist, public_id=event.public_id,
                                           causality="C", investigation="Again")


def fill(polyclinic, nurse, size):
    """`size` reports in the district, every third serious, a day apart."""
    symptom = AefiSymptom.objects.get(code="fever")
    now = timezone.now()
    for number in range(size):
        _baby, given = vaccinated(polyclinic, nurse, days_old=5)
        event = _row(given, reported_at=now - timedelta(hours=number),
                     **({"serious": True, "criteria": ["hospitalisation"]}
                        if number % 3 == 0 else {}))
        event.save()
        event.symptoms.set([symptom])


@pytest.mark.parametrize("size", [1, 30])
def test_worklist_serious_then_newest_counts_and_flat_queries(
        client, polyclinic, nurse, epidemiologist, elsewhere, size,
        django_assert_max_num_queries):
    fill(polyclinic, nurse, size)
    fill(elsewhere, staff_at(elsewhere, Role.NURSE), 2)  # another district's
    client.force_login(epidemiologist)
    with django_assert_max_num_queries(12):
        answer = client.get(reverse("mch:aefi-list"), **EN)
    assert answer.status_code == 200
    worklist = answer.context["worklist"]
    rows = worklist.page.results
    assert worklist.total == size and worklist.waiting == size
    assert worklist.serious == len(range(0, size, 3))
    assert {row.district_id for row in rows} == {polyclinic.district_id}
    keys = [(not row.serious, -row.reported_at.timestamp()) for row in rows]
    assert keys == sorted(keys)
    assert len(rows) == min(size, 25)
    shown = AuditEvent.objects.filter(actor=epidemiologist, object_type="mch.aefi",
                                      action="list")
    assert shown.count() == len(rows)
    if size > 25:
        rest = client.get(reverse("mch:aefi-list"), {"page": worklist.page.next_cursor}, **EN)
        assert len(rest.context["worklist"].page.results) == size - 25


def test_worklist_filters(client, polyclinic, nurse, epidemiologist):
    fill(polyclinic, nurse, 6)
    client.force_login(epidemiologist)
    serious = client.get(reverse("mch:aefi-list"), {"serious": "yes"}, **EN)
    assert [row.serious for row in serious.context["worklist"].page.results] == [True] * 2
    hepb = CalendarDose.objects.get(vaccine__code="hepb").vaccine_id
    by_vaccine = client.get(reverse("mch:aefi-list"), {"vaccine": hepb}, **EN)
    assert len(by_vaccine.context["worklist"].page.results) == 6
    other = CalendarDose.objects.get(vaccine__code="bcg").vaccine_id
    assert client.get(reverse("mch:aefi-list"), {"vaccine": other},
                      **EN).context["worklist"].page.results == []
    today = timezone.localdate()
    future = client.get(reverse("mch:aefi-list"),
                        {"date_from": (today + timedelta(days=1)).isoformat()}, **EN)
    assert future.context["worklist"].page.results == []
    backwards = client.get(reverse("mch:aefi-list"), {"date_from": today.isoformat(),
                                                      "date_to": "2020-01-01"}, **EN)
    assert backwards.status_code == 400
    assert "The end is before the start." in backwards.content.decode()
    assert client.get(reverse("mch:aefi-list"), {"page": "garbage"}, **EN).status_code == 400


def test_report_page_shows_the_vaccination_and_the_childs_identification_only(
        client, polyclinic, nurse, epidemiologist):
    baby, given = vaccinated(polyclinic, nurse, street="Marker street 9")
    event = report(nurse, given, **serious_fields())
    client.force_login(epidemiologist)
    page = client.get(reverse("mch:aefi", args=[event.public_id]), **EN)
    assert page.status_code == 200
    content = page.content.decode()
    for shown in ("HB-0042", baby.med_id, baby.last_name, "Right thigh", "Intramuscular",
                  "Hospitalisation", nurse.last_name, "Mother"):
        assert shown in content
    assert "Marker street 9" not in content
    assert AuditEvent.objects.filter(actor=epidemiologist, object_type="mch.aefi",
                                     action="view", allowed=True,
                                     patient_med_id=baby.med_id).exists()
    marked = client.post(reverse("mch:aefi-investigate", args=[event.public_id]),
                         {"causality": "B1", "investigation": "Awaiting lab"}, **EN)
    assert marked.status_code == 302
    assert "B1 Indeterminate" in client.get(marked["Location"], **EN).content.decode()
    bad = client.post(reverse("mch:aefi-investigate", args=[event.public_id]),
                      {"causality": "", "investigation": ""}, **EN)
    assert bad.status_code == 400


def test_refusals_of_the_epidemiologist_pages_and_of_the_card(
        client, polyclinic, nurse, doctor, epidemiologist, elsewhere):
    baby, given = vaccinated(polyclinic, nurse, doctor)
    event = report(nurse, given)
    report_url = reverse("mch:aefi", args=[event.public_id])
    for carer in (nurse, doctor):  # the carers read the card, not the worklist
        client.force_login(carer)
        assert client.get(reverse("mch:aefi-list"), **EN).status_code == 403
        assert client.get(report_url, **EN).status_code == 403
    client.force_login(staff_at(elsewhere, Role.EPIDEMIOLOGIST))
    assert client.get(report_url, **EN).status_code == 403
    assert client.post(reverse("mch:aefi-investigate", args=[event.public_id]),
                       {"causality": "C", "investigation": "x"}, **EN).status_code == 403
    assert AuditEvent.objects.filter(object_type="mch.aefi", allowed=False,
                                     patient_med_id=baby.med_id).count() >= 2
    # The district's own epidemiologist does not open the child's card.
    client.force_login(epidemiologist)
    for name in ("patients:card", "mch:immunisation", "mch:pregnancy", "timeline:card"):
        assert client.get(reverse(name, args=[baby.med_id]), **EN).status_code in (403, 404)
    assert client.get(reverse("mch:district"), **EN).status_code == 403
    event.refresh_from_db()
    assert event.causality == ""


def test_the_nurse_reports_from_the_immunisation_page(client, polyclinic, nurse,
                                                       epidemiologist):
    baby, given = vaccinated(polyclinic, nurse)
    client.force_login(nurse)
    page = client.get(reverse("mch:immunisation", args=[baby.med_id]), **EN)
    assert 'data-testid="aefi-form"' in page.content.decode()
    url = reverse("mch:aefi-new", args=[baby.med_id])
    fever = AefiSymptom.objects.get(code="fever").pk
    form = {"vaccination": given.pk, "onset_on": given.given_on.isoformat(),
            "symptoms": [fever], "serious": "yes", "criteria": [], "outcome": "recovering",
            "reporter": "Mother"}
    refused = client.post(url, form, **EN)
    assert refused.status_code == 400
    assert "A serious event meets at least one of these criteria." in refused.content.decode()
    assert not AdverseEvent.objects.exists()
    sent = client.post(url, form | {"criteria": ["life_threatening"]}, **EN)
    assert sent.status_code == 302
    event = AdverseEvent.objects.get()
    assert (event.serious, event.criteria, event.vaccination) == (True, ["life_threatening"],
                                                                  given)
    client.force_login(epidemiologist)
    home = client.get(reverse("home"), **EN).content.decode()
    assert 'data-testid="panel-aefi"' in home and str(event.public_id) in home


def test_demo_world_has_an_epidemiologist_and_a_report(settings):
    from django.core.management import call_command

    from dmed.models import User

    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    epidemiologist = User.objects.get(username="epidemiologist")
    assert epidemiologist.role == Role.EPIDEMIOLOGIST
    assert AdverseEvent.objects.filter(
        district_id=services.epidemiologist_district(epidemiologist)).exists()
    assert Vaccination.objects.filter(adverse_events__isnull=False).exists()
