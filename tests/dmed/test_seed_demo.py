import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from dmed.models import User
from dmed.roles import Role
from registry.models import Facility, FacilityKind, StaffRecord

DEMO_PASSWORD = "demo-test-password-1"


def _counts():
    return (User.objects.count(), Facility.objects.count(), StaffRecord.objects.count())


@pytest.mark.django_db
def test_seed_demo_twice_builds_the_same_world(settings):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first

    kinds = sorted(Facility.objects.values_list("kind", flat=True))
    assert kinds == sorted([FacilityKind.POLYCLINIC, FacilityKind.HOSPITAL,
                            FacilityKind.LABORATORY, FacilityKind.PHARMACY,
                            FacilityKind.PHARMACY])
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {"admin": Role.ADMINISTRATOR, "doctor": Role.CLINICIAN,
                     "cardiologist": Role.CLINICIAN, "head": Role.CLINICIAN,
                     "nurse": Role.NURSE, "registrar": Role.REGISTRAR,
                     "lab": Role.LAB_TECHNICIAN, "pharmacist": Role.PHARMACIST,
                     "patient": Role.PATIENT, "epidemiologist": Role.EPIDEMIOLOGIST,
                     # The laboratory's second pair of eyes (clinics.labs.demo).
                     "lab2": Role.LAB_TECHNICIAN}
    workplaces = dict(StaffRecord.objects.values_list("user__username", "facility__kind"))
    assert workplaces == {"doctor": "polyclinic", "cardiologist": "hospital",
                          "head": "polyclinic", "nurse": "polyclinic",
                          "registrar": "polyclinic", "lab": "laboratory",
                          "lab2": "laboratory", "pharmacist": "pharmacy",
                          "epidemiologist": "polyclinic"}
    # Someone a critical result nobody acknowledges reaches, and who reviews broken glass.
    assert list(StaffRecord.objects.filter(is_head=True, on_call=True)
                .values_list("user__username", flat=True)) == ["head"]
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="doctor", password=DEMO_PASSWORD) is not None


@pytest.mark.django_db
def test_seed_demo_needs_a_password(settings):
    settings.DEMO_PASSWORD = ""
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_demo_logins_show_the_password_only_in_debug(settings, capsys):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("seed_demo")
    settings.DEBUG = True
    call_command("demo_logins")
    assert DEMO_PASSWORD in capsys.readouterr().out
    settings.DEBUG = False
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD not in out and "pharmacist" in out
