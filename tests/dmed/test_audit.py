import pytest
from django.db import DatabaseError, connection, transaction

from dmed.audit import record_audit_event, reset_request_origin, set_request_origin
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_event_records_who_where_and_from_where(make_user):
    user = make_user(Role.CLINICIAN)
    facility = user.staff_records.get().facility
    token = set_request_origin(ip_address="10.1.2.3", user_agent="Mozilla/5.0 test")
    try:
        event = record_audit_event(actor=user, action=AuditAction.VIEW,
                                   object_type="patients.card", object_id="12345678",
                                   patient_med_id="12345678", reason="follow-up")
    finally:
        reset_request_origin(token)
    event.refresh_from_db()
    assert (event.actor, event.actor_role, event.facility_code) == (user, "clinician",
                                                                    facility.code)
    assert (event.ip_address, event.user_agent) == ("10.1.2.3", "Mozilla/5.0 test")
    assert (event.patient_med_id, event.reason, event.allowed) == ("12345678", "follow-up", True)


@pytest.mark.django_db
def test_event_outside_a_request_has_no_origin(make_user):
    event = record_audit_event(actor=make_user(Role.PATIENT), action=AuditAction.VIEW)
    assert event.ip_address is None and event.user_agent == "" and event.facility_code == ""


@pytest.mark.django_db
def test_the_database_refuses_to_update_an_audit_event(make_user):
    event = record_audit_event(actor=make_user(Role.CLINICIAN), action=AuditAction.VIEW)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE dmed_auditevent SET allowed = false WHERE id = %s",
                           [event.pk])
    event.refresh_from_db()
    assert event.reason == "" and event.allowed


@pytest.mark.django_db
def test_the_database_refuses_to_delete_an_audit_event(make_user):
    event = record_audit_event(actor=make_user(Role.CLINICIAN), action=AuditAction.VIEW)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM dmed_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_a_failed_audit_write_fails_the_operation_with_it(make_user):
    user = make_user(Role.CLINICIAN)
    with pytest.raises(DatabaseError), transaction.atomic():
        user.phone = "+998901234567"
        user.save()
        record_audit_event(actor=user, action=AuditAction.UPDATE, object_type="x" * 500)
    user.refresh_from_db()
    assert user.phone == ""


@pytest.mark.django_db
def test_client_address_comes_from_the_trusted_proxy_only(client, make_user, settings):
    make_user(Role.CLINICIAN, username="shifokor")
    client.post("/login/", {"username": "shifokor", "password": PASSWORD},
                HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.5")
    settings.TRUSTED_PROXY_COUNT = 1
    client.post("/logout/", HTTP_X_FORWARDED_FOR="6.6.6.6, 85.1.2.3", REMOTE_ADDR="10.0.0.5")
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    logout = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert (login.ip_address, logout.ip_address) == ("10.0.0.5", "85.1.2.3")


@pytest.mark.django_db
def test_admin_shows_the_trail_read_only(client, make_user):
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    event = record_audit_event(actor=admin, action=AuditAction.VIEW, object_type="x")
    assert client.get("/admin/dmed/auditevent/").status_code == 200
    page = client.get(f"/admin/dmed/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    delete = client.post(f"/admin/dmed/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
