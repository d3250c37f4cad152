from django.dispatch import receiver

from clinics.referrals.signals import referral_withdrawn
from patients.signals import card_merged
from queues import services


@receiver(card_merged)
def on_card_merged(sender, *, source, target, actor, **kwargs):
    services.move_to_merged_card(source=source, target=target, actor=actor)


@receiver(referral_withdrawn)
def on_referral_withdrawn(sender, *, referral, actor, **kwargs):
    services.withdraw_referred_appointments(referral=referral, actor=actor)
