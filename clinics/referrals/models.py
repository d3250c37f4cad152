"""Referrals (yo'llanma): a clinician sends a patient to a specialist, a hospital department
or a laboratory. While a referral is active, the patient is in the receiver's scope
(patients.access.regular_scope reads `Referral.objects.active()`)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Referral", "ReferralStatus", "ReferralTarget", "Urgency"]


class ReferralTarget(models.TextChoices):
    SPECIALIST = "specialist", _("Specialist")
    DEPARTMENT = "department", _("Hospital department")
    LABORATORY = "laboratory", _("Laboratory")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class ReferralQuerySet(models.QuerySet):
    def active(self):
        """Sent or accepted, and not past its validity: the one definition of "active"."""
        return self.filter(status__in=OPEN_STATUSES, valid_until__gte=timezone.localdate())


class Referral(models.Model):
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("referred by"),
                                    on_delete=models.PROTECT, related_name="+")
    from_facility = models.ForeignKey("registry.Facility", verbose_name=_("from facility"),
                                      on_delete=models.PROTECT, related_name="+")
    target = models.CharField(_("referred to"), max_length=12, choices=ReferralTarget.choices)
    to_clinician = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("specialist"),
                                     on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="incoming_referrals")
    to_department = models.ForeignKey("registry.Department", verbose_name=_("department"),
                                      on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="incoming_referrals")
    to_facility = models.ForeignKey("registry.Facility", verbose_name=_("receiving facility"),
                                    on_delete=models.PROTECT, related_name="incoming_referrals")
    reason = models.TextField(_("reason"), max_length=2000)
    diagnosis = models.ForeignKey("clinics.Icd10Code", verbose_name=_("ICD-10 diagnosis"),
                                  on_delete=models.PROTECT, related_name="+",
                                  db_column="diagnosis_code")
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.ROUTINE)
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.SENT)
    valid_until = models.DateField(_("valid until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cancelled by"),
                                     on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target=ReferralTarget.SPECIALIST) & Q(to_clinician__isnull=False)
                           & Q(to_department=None))
                | (Q(target=ReferralTarget.DEPARTMENT) & Q(to_department__isnull=False)
                   & Q(to_clinician=None))
                | (Q(target=ReferralTarget.LABORATORY) & Q(to_clinician=None)
                   & Q(to_department=None)),
                name="referral_target_matches_receiver"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values),
                                   name="referral_urgency_known"),
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values),
                                   name="referral_status_known"),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.DECLINED) | ~Q(decline_reason=""),
                name="referral_declined_with_reason"),
            models.CheckConstraint(
                condition=~Q(status__in=(ReferralStatus.ACCEPTED, ReferralStatus.DECLINED))
                | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="referral_decision_recorded"),
            models.CheckConstraint(condition=~Q(reason=""), name="referral_has_reason"),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.CANCELLED)
                | (Q(cancelled_by__isnull=False) & Q(cancelled_at__isnull=False)
                   & ~Q(cancel_reason="")),
                name="referral_cancelled_by_whom_and_why"),
        ]
        indexes = [
            # The receivers' incoming lists and the scope rule read open referrals only.
            models.Index(fields=["to_clinician", "valid_until"], name="referral_open_clinician",
                         condition=Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["to_department", "valid_until"],
                         name="referral_open_department", condition=Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["to_facility", "valid_until"], name="referral_open_facility",
                         condition=Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["card", "created_at"], name="referral_card_time"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)
