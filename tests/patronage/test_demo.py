from django.core.management import call_command
from django.utils import timezone

from dmed.models import User
from patronage.models import PlannedVisit


def test_the_demo_nurse_has_visits_today_and_a_rerun_adds_none(db, settings):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    nurse = User.objects.get(username="nurse")
    today = PlannedVisit.objects.filter(nurse=nurse, due_on__lte=timezone.localdate())
    assert today.count() >= 4
    assert today.filter(overdue_after__lt=timezone.localdate()).exists()
    total = PlannedVisit.objects.count()
    call_command("seed_demo")
    assert PlannedVisit.objects.count() == total
