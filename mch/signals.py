"""Mother-and-child records follow a card merged into another, and the stored next dose
follows the card to its new district (patients.signals)."""

from django.dispatch import receiver

from mch import schedules, services
from patients.signals import card_attached, card_merged


@receiver(card_merged, dispatch_uid="mch.move_records")
def on_card_merged(sender, *, source, target, **kwargs):
    services.move_to_merged_card(source=source, target=target)


@receiver(card_attached, dispatch_uid="mch.follow_attachment")
def on_card_attached(sender, *, card, **kwargs):
    schedules.follow_attachment(card)
