"""The results inbox and the critical-value loop: who gets what, alerts and escalation,
acknowledging (and the refusals), the page, its query count and its audit rows."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.utils import timezone

from clinics.referrals import services as referral_services
from clinics.referrals.models import ReferralTarget
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from inbox import selectors, services
from inbox.models import CriticalAlert, InboxEntry, Notice, NoticeKind, Reason
from inbox.tasks import escalate_critical
from notifications.models import Message, MessageStatus
from outbox.events import emit
from tests.factories import FacilityFactory, UserFactory
from tests.inbox.helpers import deliver_all, release, staff, world
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def inbox_of(user) -> list[Notice]:
    return [entry.notice for entry in selectors.inbox(user, seen={}).results]


class TestResultsReachTheInbox:
    def test_a_hospital_result_reaches_the_orderer_and_the_departments_clinicians(self, w):
        result = release(w, "K", "4.2")
        notice = Notice.objects.get(kind=NoticeKind.RESULT, subject=str(result.public_id))
        assert not notice.critical and notice.patient == w.card.full_name
        assert notice.details["value"] == "4.2" and notice.test_name == "Potassium"
        reached = dict(notice.entries.values_list("recipient_id", "reason"))
        assert reached == {w.doctor.pk: Reason.ORDERED, w.colleague.pk: Reason.DEPARTMENT,
                           w.head.pk: Reason.DEPARTMENT}
        assert inbox_of(w.doctor) == [notice] and inbox_of(w.stranger) == []
        # Not critical: nobody is alerted, nothing escalates.
        assert notice.next_escalation_at is None and not notice.alerts.exists()

    def test_a_polyclinic_result_reaches_only_its_orderer(self, w):
        polyclinic = FacilityFactory()
        doctor, colleague = staff(polyclinic), staff(polyclinic)
        card = CardFactory(attached_facility=polyclinic, registered_at=polyclinic)
        result = release(w, "K", "4.2", orderer=doctor, card=card)
        notice = Notice.objects.get(subject=str(result.public_id))
        assert list(notice.entries.values_list("recipient_id", flat=True)) == [doctor.pk]
        assert inbox_of(colleague) == []

    def test_a_delivery_handled_twice_makes_one_notice(self, w):
        result = release(w, "K", "4.2")
        notice = Notice.objects.get(subject=str(result.public_id))
        assert services.receive_released_result(event=notice.event) is None
        assert Notice.objects.filter(subject=str(result.public_id)).count() == 1

    def test_referral_answers_and_refusals_reach_who_wrote_them(self, w):
        referral = referral_services.refer(
            actor=w.doctor, med_id=w.card.med_id, target=ReferralTarget.SPECIALIST,
            to_clinician=w.stranger, reason="Chest pain", diagnosis_code="I10")
        referral_services.decide_referral(actor=w.stranger, referral_id=referral.public_id,
                                          accept=False, reason="No free beds this week")
        deliver_all()
        notice = Notice.objects.get(kind=NoticeKind.REFERRAL_ANSWER)
        assert notice.subject == str(referral.public_id)
        assert notice.details["status"] == "declined"
        assert notice.details["reason"] == "No free beds this week"
        assert inbox_of(w.doctor) == [notice]
        page = self._page(w.doctor)
        assert "declined" in page and "No free beds this week" in page

    def _page(self, user):
        client = Client()
        client.force_login(user)
        answer = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 200
        return answer.content.decode()


class TestCriticalValues:
    def test_the_orderer_is_alerted_at_once_by_an_urgent_message(self, w, settings):
        settings.NOTIFY_QUIET_HOURS = (0, 24)  # always quiet: an urgent message still goes
        result = release(w, "K", "7.1")
        notice = Notice.objects.get(subject=str(result.public_id))
        assert notice.critical
        alert = CriticalAlert.objects.get(notice=notice)
        assert (alert.recipient, alert.round, alert.reason) == (w.doctor, 0, Reason.ORDERED)
        message = Message.objects.get(event=alert.event, recipient=w.doctor)
        assert message.urgent and message.status == MessageStatus.SENT
        assert "CRITICAL" in message.text and "7.1" in message.text
        assert w.card.last_name not in message.text  # no patient details leave the portal
        assert [m.to for m in mail.outbox] == [[w.doctor.email]]

    def test_critical_results_top_the_inbox(self, w):
        older = release(w, "K", "7.1")
        release(w, "K", "4.0")
        release(w, "NA", "140")
        notices = inbox_of(w.doctor)
        assert [n.critical for n in notices] == [True, False, False]
        assert notices[0].subject == str(older.public_id)

    def test_unacknowledged_it_escalates_to_the_head_and_on_call_and_again(self, w, settings):
        settings.CRITICAL_ACK_MINUTES = 30
        result = release(w, "K", "7.1")
        notice = Notice.objects.get(subject=str(result.public_id))
        released = notice.occurred_at
        assert services.escalate_unacknowledged(now=released + timedelta(minutes=29)) == 0

        assert escalate_critical((released + timedelta(minutes=31)).isoformat()) == 1
        deliver_all()
        first = dict(CriticalAlert.objects.filter(notice=notice, round=1)
                     .values_list("recipient_id", "reason"))
        assert first == {w.head.pk: Reason.HEAD, w.on_call.pk: Reason.ON_CALL}
        for person in (w.head, w.on_call):
            message = Message.objects.get(recipient=person, kind="lab.critical_alert")
            assert message.status == MessageStatus.SENT and "30 minutes" in message.text
        # The on-call doctor of another department now has it in their inbox too.
        assert inbox_of(w.on_call) == [notice]

        # Not yet the next period; then the next round tells them again.
        assert services.escalate_unacknowledged(now=released + timedelta(minutes=45)) == 0
        assert services.escalate_unacknowledged(now=released + timedelta(minutes=62)) == 1
        assert CriticalAlert.objects.filter(notice=notice, round=2).count() == 2

    def test_acknowledging_stops_the_escalation(self, w):
        result = release(w, "K", "7.1")
        notice = Notice.objects.get(subject=str(result.public_id))
        services.escalate_unacknowledged(now=notice.occurred_at + timedelta(minutes=31))
        # The head it escalated to acknowledges: it leaves every inbox, and stops.
        services.acknowledge(actor=w.head, notice_id=notice.public_id, follow_up="recall",
                             comment="Called the ward")
        notice.refresh_from_db()
        assert notice.acknowledged_by == w.head and notice.next_escalation_at is None
        assert inbox_of(w.doctor) == [] and inbox_of(w.on_call) == []
        later = notice.occurred_at + timedelta(hours=5)
        assert services.escalate_unacknowledged(now=later) == 0
        assert not CriticalAlert.objects.filter(notice=notice, round=2).exists()

    def test_a_facility_without_department_heads_escalates_to_its_own_heads(self, w):
        w.head.staff_records.update(is_head=False)
        director = staff(w.hospital, is_head=True)  # the facility's head: no department
        result = release(w, "K", "7.1")
        notice = Notice.objects.get(subject=str(result.public_id))
        services.escalate_unacknowledged(now=notice.occurred_at + timedelta(minutes=31))
        told = set(CriticalAlert.objects.filter(notice=notice, round=1)
                   .values_list("recipient_id", flat=True))
        assert told == {director.pk, w.on_call.pk}

    def test_the_result_page_shows_who_was_told_and_who_acknowledged(self, w, client):
        result = release(w, "K", "7.1")
        notice = Notice.objects.get(subject=str(result.public_id))
        services.escalate_unacknowledged(now=notice.occurred_at + timedelta(minutes=31))
        deliver_all()
        client.force_login(w.doctor)
        page = client.get(f"/results/{result.public_id}/").content.decode()
        assert page.count('data-testid="told-row"') == 3
        assert w.head.last_name in page and w.on_call.last_name in page
        assert 'data-testid="not-acknowledged"' in page
        answer = client.post(f"/inbox/{notice.public_id}/acknowledge/",
                             {"follow_up": "none", "comment": "Repeat tomorrow",
                              "next": f"/results/{result.public_id}/"})
        assert answer.status_code == 302 and answer.url == f"/results/{result.public_id}/"
        page = client.get(answer.url).content.decode()
        assert 'data-testid="acknowledged"' in page and "Repeat tomorrow" in page

    def test_the_patient_sees_no_inbox_record_on_their_result(self, w, client):
        patient = UserFactory(role=Role.PATIENT)
        w.card.user = patient
        w.card.save(update_fields=["user"])
        result = release(w, "K", "7.1")
        client.force_login(patient)
        page = client.get(f"/results/{result.public_id}/")
        assert page.status_code == 200
        assert 'data-testid="critical-record"' not in page.content.decode()


class TestRefusals:
    def test_someone_elses_notice_does_not_exist_for_them_and_is_audited(self, w, client):
        result = release(w, "K", "7.1")
        notice = Notice.objects.get(subject=str(result.public_id))
        with pytest.raises(Http404):
            services.acknowledge(actor=w.stranger, notice_id=notice.public_id)
        client.force_login(w.stranger)
        answer = client.post(f"/inbox/{notice.public_id}/acknowledge/", {"follow_up": "none"})
        assert answer.status_code == 404
        notice.refresh_from_db()
        assert notice.acknowledged_at is None and notice.next_escalation_at is not None
        refused = AuditEvent.objects.filter(actor=w.stranger, allowed=False,
                                            object_id=str(notice.public_id))
        assert refused.count() == 2

    def test_an_acknowledged_notice_is_not_acknowledged_twice(self, w):
        result = release(w, "K", "4.2")
        notice = Notice.objects.get(subject=str(result.public_id))
        services.acknowledge(actor=w.doctor, notice_id=notice.public_id)
        with pytest.raises(ValidationError):
            services.acknowledge(actor=w.colleague, notice_id=notice.public_id)

    def test_a_bad_follow_up_is_a_400_per_field(self, w, client):
        result = release(w, "K", "4.2")
        notice = Notice.objects.get(subject=str(result.public_id))
        client.force_login(w.doctor)
        answer = client.post(f"/inbox/{notice.public_id}/acknowledge/",
                             {"follow_up": "shrug", "comment": "x" * 501})
        assert answer.status_code == 400
        assert 'data-testid="inbox-errors"' in answer.content.decode()
        notice.refresh_from_db()
        assert notice.acknowledged_at is None

    @pytest.mark.parametrize("role", [Role.LAB_TECHNICIAN, Role.PHARMACIST, Role.REGISTRAR,
                                      Role.PATIENT])
    def test_others_have_no_inbox(self, w, client, role):
        client.force_login(UserFactory(role=role))
        assert client.get("/inbox/").status_code == 403
        with pytest.raises(PermissionDenied):
            selectors.inbox_panel(UserFactory(role=role), seen={})

    def test_signed_out_people_are_sent_to_sign_in(self, client):
        assert client.get("/inbox/").status_code == 302


class TestThePage:
    def test_follow_up_order_again_opens_the_order_form_with_the_test(self, w, client):
        result = release(w, "K", "4.2")
        notice = Notice.objects.get(subject=str(result.public_id))
        client.force_login(w.doctor)
        answer = client.post(f"/inbox/{notice.public_id}/acknowledge/",
                             {"follow_up": "reorder"})
        assert answer.url == f"/patients/{w.card.med_id}/lab-orders/new/?test=K"
        assert AuditEvent.objects.filter(actor=w.doctor, action=AuditAction.UPDATE,
                                         object_id=str(notice.public_id),
                                         patient_med_id=w.card.med_id).exists()

    def test_the_live_list_answers_204_until_it_changes_and_audits_once(self, w, client):
        release(w, "K", "7.1")
        client.force_login(w.doctor)
        first = client.get("/inbox/live/")
        assert first.status_code == 200
        shown = first.content.decode().split("shown=")[1].split('"')[0]
        assert client.get(f"/inbox/live/?shown={shown}").status_code == 204
        listed = AuditEvent.objects.filter(actor=w.doctor, action=AuditAction.LIST,
                                           patient_med_id=w.card.med_id)
        assert listed.count() == 1  # the refresh showed the same rows: no new event
        release(w, "K", "4.0")
        assert client.get(f"/inbox/live/?shown={shown}").status_code == 200
        assert listed.count() == 3

    def test_the_inbox_query_count_does_not_grow_with_its_rows(
            self, w, client, django_assert_max_num_queries):
        self._fill(w, 30)
        client.force_login(w.doctor)
        with django_assert_max_num_queries(12):
            page = client.get("/inbox/")
        assert page.content.decode().count('data-testid="inbox-row"') == 25
        with django_assert_max_num_queries(8):
            panel = selectors.inbox_panel(w.doctor, seen={})
        assert (panel.waiting, panel.critical, len(panel.entries)) == (30, 1, 5)
        assert panel.entries[0].critical

    def test_the_inbox_pages_by_keyset(self, w, client):
        self._fill(w, 30)
        first = selectors.inbox(w.doctor, seen={})
        second = selectors.inbox(w.doctor, seen={}, cursor=first.next_cursor)
        assert len(first.results) == 25 and len(second.results) == 5
        assert not {e.pk for e in first.results} & {e.pk for e in second.results}
        client.force_login(w.doctor)
        assert client.get("/inbox/?cursor=bogus").status_code == 400

    def _fill(self, w, n):
        """n notices, one critical, made as the consumer makes them (without n orders)."""
        for index in range(n):
            with transaction.atomic():
                event = emit("lab.result_released", {
                    "med_id": w.card.med_id, "result": f"00000000-0000-0000-0000-{index:012d}",
                    "test": {"en": "Potassium"}, "test_code": "K", "value": "4.0",
                    "unit": "mmol/L", "flag": "normal", "critical": index == 3,
                    "patient": w.card.full_name, "version": 1,
                    "released_at": timezone.now().isoformat(), "ordered_by": w.doctor.pk,
                    "ordering_facility": w.hospital.pk})
                services.receive_released_result(event=event)
        assert InboxEntry.objects.filter(recipient=w.doctor).count() == n
