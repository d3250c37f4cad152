"""Lab orders, results and referrals follow a card merged into another (patients.signals)."""

from django.dispatch import receiver

from clinics.labs.models import LabOrder, LabResult
from clinics.referrals.models import Referral
from patients.signals import card_merged


@receiver(card_merged, dispatch_uid="clinics.labs.move_records")
def move_lab_and_referral_records(sender, *, source, target, **kwargs):
    # Released results may change card only (the trigger allows exactly that).
    for model in (LabOrder, LabResult, Referral):
        model.objects.filter(card=source).update(card=target)
