"""Mother-and-child records follow a card merged into another (patients.signals)."""

from django.dispatch import receiver

from mch import services
from patients.signals import card_merged


@receiver(card_merged, dispatch_uid="mch.move_records")
def on_card_merged(sender, *, source, target, **kwargs):
    services.move_to_merged_card(source=source, target=target)
