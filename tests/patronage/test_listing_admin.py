"""The disabled and bedridden lists in the admin: a listing names a patient, so each read
and change is audited; a change is saved with its audit row and its plan, or not at all."""

from django.utils import timezone

from dmed.models import AuditAction, AuditEvent
from patronage.models import CareListing, PlannedVisit, Reason
from tests.patients.factories import CardFactory

LISTINGS = "/admin/patronage/carelisting/"


def _events(action):
    return list(AuditEvent.objects.filter(object_type="patronage.care_listing", action=action)
                .values_list("actor_id", "object_id", "patient_med_id"))


def _form(card, kind=Reason.BEDRIDDEN, **fields):
    return {"card": card.pk, "kind": kind, "listed_on": timezone.localdate().isoformat(),
            "ended_on": "", **fields}


def test_putting_a_patient_on_a_list_plans_the_visits_and_is_audited(client, administrator,
                                                                      polyclinic):
    card = CardFactory(attached_facility=polyclinic)
    response = client.post(f"{LISTINGS}add/", _form(card))
    assert response.status_code == 302, response.context and response.context["errors"]
    listing = CareListing.objects.get(card=card)
    assert listing.added_by == administrator
    assert PlannedVisit.objects.filter(card=card, reason=Reason.BEDRIDDEN).count() == 12
    assert _events(AuditAction.CREATE) == [(administrator.pk, str(listing.pk), card.med_id)]

    response = client.post(f"{LISTINGS}{listing.pk}/change/",
                           _form(card, ended_on=timezone.localdate().isoformat()))
    assert response.status_code == 302
    assert not PlannedVisit.objects.filter(card=card, reason=Reason.BEDRIDDEN).exists()
    assert _events(AuditAction.UPDATE) == [(administrator.pk, str(listing.pk), card.med_id)]


def test_a_second_open_listing_is_refused_and_nothing_is_written(client, administrator,
                                                                 polyclinic):
    card = CardFactory(attached_facility=polyclinic)
    CareListing.objects.create(card=card, kind=Reason.DISABLED, added_by=administrator)
    events = AuditEvent.objects.count()
    response = client.post(f"{LISTINGS}add/", _form(card, kind=Reason.DISABLED))
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert CareListing.objects.filter(card=card).count() == 1
    assert AuditEvent.objects.count() == events


def test_the_list_and_a_listing_read_name_their_patients(client, administrator,
                                                         django_assert_max_num_queries):
    listings = [CareListing.objects.create(card=CardFactory(), kind=Reason.DISABLED,
                                           added_by=administrator) for _ in range(25)]
    with django_assert_max_num_queries(10):
        assert client.get(LISTINGS).status_code == 200
    assert sorted(_events(AuditAction.LIST)) == sorted(
        (administrator.pk, str(listing.pk), listing.card.med_id) for listing in listings)
    assert client.get(f"{LISTINGS}{listings[0].pk}/change/").status_code == 200
    assert _events(AuditAction.VIEW) == [(administrator.pk, str(listings[0].pk),
                                          listings[0].card.med_id)]


def test_a_listing_is_ended_not_deleted(client, administrator):
    listing = CareListing.objects.create(card=CardFactory(), kind=Reason.DISABLED,
                                         added_by=administrator)
    assert client.get(f"{LISTINGS}{listing.pk}/delete/").status_code == 403
    assert CareListing.objects.filter(pk=listing.pk).exists()
