import pytest
from django.core.management import call_command

from clinics.models import BedOccupancy, Stay, Visit
from clinics.visits.services import content_digest


@pytest.mark.django_db
def test_seed_demo_adds_signed_visits_and_stays_once(settings):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    counts = (Visit.objects.count(), Stay.objects.count(), BedOccupancy.objects.count())
    call_command("seed_demo")
    assert (Visit.objects.count(), Stay.objects.count(),
            BedOccupancy.objects.count()) == counts
    assert counts[0] >= 30 and counts[1] == 4
    visit = Visit.objects.filter(status="closed").first()
    assert visit.content_digest == content_digest(visit)
    assert visit.diagnoses.filter(kind="primary").count() == 1
    assert Stay.objects.filter(status="current").count() == 2
    assert BedOccupancy.objects.filter(ended_at__isnull=True).count() == 2
