"""StaffRecord.search_text folds the person's and the facility's names: renaming either
refolds the records that carry it. A change of a staff record or a facility makes this
process read the acting staff records again (registry.selectors keeps them a few seconds)."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from registry.models import Facility, StaffRecord
from registry.selectors import forget_posts

NAME_FIELDS = {"first_name", "last_name", "middle_name"}


def refold(records) -> None:
    records = list(records.select_related("user", "facility"))
    for record in records:
        record.search_text = record.folded_for_search()
    StaffRecord.objects.bulk_update(records, ["search_text"], batch_size=1000)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def on_user_saved(sender, instance, created, update_fields=None, **kwargs):
    # Signing in saves last_login only: no name changed.
    if created or (update_fields is not None and not NAME_FIELDS & set(update_fields)):
        return
    refold(StaffRecord.objects.filter(user=instance))


@receiver(post_save, sender=Facility)
def on_facility_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and "name" not in update_fields):
        return
    refold(StaffRecord.objects.filter(facility=instance))


@receiver(post_save, sender=StaffRecord)
@receiver(post_delete, sender=StaffRecord)
def on_staff_record_changed(sender, instance, **kwargs):
    forget_posts(instance.user_id)


@receiver(post_save, sender=Facility)
def on_facility_changed(sender, instance, **kwargs):
    forget_posts()
