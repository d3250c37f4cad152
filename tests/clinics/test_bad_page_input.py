"""Typed-in or tampered query strings and forms on the HTML pages: 400 or ignored, never
500 (page links, dates at the ends of the calendar, a lab order's posted result id)."""

import base64
import json
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from clinics.labs import services
from clinics.labs.models import LabResult
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import lab_world
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


def cursor_of(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.fixture
def world():
    return lab_world()


@pytest.fixture
def card(world):
    return CardFactory(attached_facility=world.polyclinic, sex="male",
                       birth_date=date(1975, 2, 1))


BAD_CURSORS = ["garbage", "!!!", cursor_of(["2026-01-01T10:00:00+05:00"]),
               cursor_of(["2026-01-01T10:00:00+05:00", 10**30]),
               cursor_of(["not a moment", 1]), cursor_of({"a": 1})]


class TestPageLinks:
    @pytest.mark.parametrize("cursor", BAD_CURSORS)
    def test_a_bad_cursor_on_the_visits_page_is_a_400(self, client, world, card, cursor):
        VisitFactory(card=card, facility=world.polyclinic, clinician=world.doctor)
        client.force_login(world.doctor)
        assert client.get("/visits/", {"cursor": cursor}).status_code == 400

    @pytest.mark.parametrize("cursor", BAD_CURSORS)
    def test_a_bad_cursor_in_the_api_is_a_field_error(self, api_client, world, card, cursor):
        api_client.force_authenticate(world.doctor)
        response = api_client.get("/api/v1/visits/", {"cursor": cursor},
                                  HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json()["fields"] == {"cursor": ["This page link is not valid."]}

    def test_a_good_cursor_still_turns_the_page(self, client, world, card):
        for _ in range(30):
            VisitFactory(card=CardFactory(attached_facility=world.polyclinic),
                         facility=world.polyclinic, clinician=world.doctor)
        client.force_login(world.doctor)
        first = client.get("/visits/")
        cursor = first.context["page"].next_cursor
        assert cursor and client.get("/visits/", {"cursor": cursor}).status_code == 200

    @pytest.mark.parametrize("cursor", ["garbage", cursor_of(["2026-01-01T10:00:00", "v", 1]),
                                        cursor_of(["0001-01-01T00:00:00+05:00", "v", 1])])
    def test_a_bad_timeline_cursor_is_a_400(self, client, world, card, cursor):
        client.force_login(world.doctor)
        response = client.get(f"/patients/{card.med_id}/timeline/", {"cursor": cursor})
        assert response.status_code == 400


class TestTimelineDates:
    @pytest.mark.parametrize("query", [{"until": "9999-12-31"}, {"since": "0001-01-01"},
                                       {"since": "9999-12-31"}, {"until": "0001-01-01"},
                                       {"since": "0001-01-01", "until": "9999-12-31"}])
    def test_dates_at_the_ends_of_the_calendar_are_answered(self, client, world, card, query):
        VisitFactory(card=card, facility=world.polyclinic, clinician=world.doctor)
        client.force_login(world.doctor)
        response = client.get(f"/patients/{card.med_id}/timeline/", query)
        assert response.status_code == 200

    def test_the_whole_calendar_shows_everything(self, client, world, card):
        VisitFactory(card=card, facility=world.polyclinic, clinician=world.doctor)
        client.force_login(world.doctor)
        response = client.get(f"/patients/{card.med_id}/timeline/",
                              {"since": "0001-01-01", "until": "9999-12-31"})
        assert len(response.context["page"].entries) == 1

    @pytest.mark.parametrize("until", ["10000-01-01", "2026-02-30", "yesterday"])
    def test_a_date_that_is_not_one_is_a_400(self, client, world, card, until):
        client.force_login(world.doctor)
        response = client.get(f"/patients/{card.med_id}/timeline/", {"until": until})
        assert response.status_code == 400


def entered(world, card, code="HGB"):
    order = services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                     laboratory=world.laboratory, tests=[code])
    result = services.enter_result(actor=world.technician, order_id=order.public_id,
                                   test_code=code, value=Decimal("120"),
                                   sampled_at=timezone.now())
    return order, result


class TestLabOrderPost:
    @pytest.mark.parametrize("action", ["release", "correct"])
    @pytest.mark.parametrize("result_id", [None, "", "12", "not-a-uuid"])
    def test_a_missing_or_malformed_result_id_is_a_400(self, client, world, card, action,
                                                       result_id):
        order, result = entered(world, card)
        client.force_login(world.second_technician)
        form = {"action": action, "test_code": "HGB", "HGB-value": "121",
                "HGB-reason": "Retyped"}
        if result_id is not None:
            form["result_id"] = result_id
        response = client.post(f"/lab/orders/{order.public_id}/", form)
        assert response.status_code == 400
        result.refresh_from_db()
        assert not result.is_released

    def test_another_orders_result_is_refused_not_followed(self, client, world, card):
        order, _result = entered(world, card)
        _other_order, other_result = entered(world, card, "GLU")
        client.force_login(world.second_technician)
        response = client.post(f"/lab/orders/{order.public_id}/",
                               {"action": "release", "result_id": other_result.public_id})
        assert response.status_code == 404
        other_result.refresh_from_db()
        assert not other_result.is_released
        assert LabResult.objects.filter(verified_by__isnull=False).count() == 0
