"""seed_demo's laboratory history and referrals: believable, and the same on a second run."""

import pytest
from django.core.management import call_command

from clinics.labs.models import LabOrder, LabResult
from clinics.referrals.models import Referral, ReferralStatus
from patients.models import PatientCard


@pytest.mark.django_db
def test_seed_demo_adds_lab_history_and_referrals_once(settings):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    counts = (LabOrder.objects.count(), LabResult.objects.count(), Referral.objects.count())
    call_command("seed_demo")
    assert (LabOrder.objects.count(), LabResult.objects.count(),
            Referral.objects.count()) == counts
    own = PatientCard.objects.get(user__username="patient")
    hba1c = list(LabResult.objects.filter(card=own, test__code="HBA1C", released_at__isnull=False)
                 .order_by("sampled_at").values_list("value", flat=True))
    assert len(hba1c) == 5 and hba1c == sorted(hba1c, reverse=True)  # coming under control
    assert LabResult.objects.filter(card=own, version=2, released_at__isnull=False).exists()
    assert LabOrder.objects.filter(completed_at=None).count() >= 5  # today's worklist
    assert set(Referral.objects.values_list("status", flat=True)) == {ReferralStatus.SENT,
                                                                     ReferralStatus.DECLINED}
