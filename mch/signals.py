"""Mother-and-child records follow a card merged into another, and the stored next dose
follows the card to its new district (patients.signals) and is redone after an edit of
the calendar; an open pregnancy's next contact after an edit of the schedule."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from mch import schedules, services
from mch.models import AntenatalContact, CalendarDose
from patients.signals import card_attached, card_merged


@receiver(card_merged, dispatch_uid="mch.move_records")
def on_card_merged(sender, *, source, target, **kwargs):
    services.move_to_merged_card(source=source, target=target)


@receiver(card_attached, dispatch_uid="mch.follow_attachment")
def on_card_attached(sender, *, card, **kwargs):
    schedules.follow_attachment(card)


@receiver(post_save, sender=CalendarDose, dispatch_uid="mch.calendar_saved")
@receiver(post_delete, sender=CalendarDose, dispatch_uid="mch.calendar_deleted")
def on_calendar_changed(sender, **kwargs):
    schedules.calendar_changed()


@receiver(post_save, sender=AntenatalContact, dispatch_uid="mch.schedule_saved")
@receiver(post_delete, sender=AntenatalContact, dispatch_uid="mch.schedule_deleted")
def on_schedule_changed(sender, **kwargs):
    schedules.schedule_changed()
