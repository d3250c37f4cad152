from django.dispatch import receiver

from patients.signals import card_merged
from queues import services


@receiver(card_merged)
def on_card_merged(sender, *, source, target, actor, **kwargs):
    services.move_to_merged_card(source=source, target=target, actor=actor)
