"""Plans follow what they are generated from: a newborn born (and discharged home), a pregnancy
registered or changed (its risk group, its end), a person put on or taken off a list; the
nurse of a visit follows the card's street, its polyclinic the card's attachment.
A merged card's visits follow it to the card it was merged into. Receivers run in the
writer's transaction, so a plan and its cause commit together."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from mch.models import Newborn, Pregnancy
from patients.signals import card_address_changed, card_attached, card_merged
from patronage import services
from patronage.models import CareListing


@receiver(post_save, sender=Newborn, dispatch_uid="patronage.newborn_saved")
def on_newborn_saved(sender, instance, **kwargs):
    services.plan_newborn(instance)


@receiver(post_save, sender=Pregnancy, dispatch_uid="patronage.pregnancy_saved")
def on_pregnancy_saved(sender, instance, **kwargs):
    services.plan_pregnancy(instance)


@receiver(post_save, sender=CareListing, dispatch_uid="patronage.listing_saved")
def on_listing_saved(sender, instance, **kwargs):
    services.plan_listing(instance)


@receiver(card_address_changed, dispatch_uid="patronage.follow_address")
def on_card_address_changed(sender, *, card, actor, **kwargs):
    if card.attached_facility_id:
        services.follow_street_map(actor=actor, facility_id=card.attached_facility_id,
                                   cards=[card])


@receiver(card_attached, dispatch_uid="patronage.follow_attachment")
def on_card_attached(sender, *, card, actor=None, **kwargs):
    services.follow_attachment(actor=actor, card=card)


@receiver(card_merged, dispatch_uid="patronage.move_records")
def on_card_merged(sender, *, source, target, **kwargs):
    services.move_to_merged_card(source=source, target=target)
