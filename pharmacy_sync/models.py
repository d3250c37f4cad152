"""Keeping pharmacy systems in step: their webhooks, the pull feed, and stock reports."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookSubscription(models.Model):
    """Where a pharmacy system wants prescription events POSTed, and the shared secret
    they are signed with (HMAC-SHA256; README "Pharmacy sync")."""

    pharmacy = models.OneToOneField("clinics.Facility", verbose_name=_("pharmacy"),
                                    on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=500)
    # The signer needs the secret itself, so it is stored, and shown to the pharmacy once.
    secret = models.CharField(_("secret"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.pharmacy_id} → {self.url}"


class FeedEntry(models.Model):
    """A prescription event in the pull feed of one district's pharmacies; the id is the
    cursor of `GET /api/v1/pharmacy/events/?after=`."""

    event = models.ForeignKey("outbox.Event", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("clinics.District", on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("feed entry")
        verbose_name_plural = _("feed entries")
        constraints = [models.UniqueConstraint(fields=["event", "district"],
                                               name="feed_entry_once")]
        indexes = [models.Index(fields=["district", "id"], name="feed_district_cursor")]

    def __str__(self) -> str:
        return f"{self.district_id} #{self.pk}"


class StockReport(models.Model):
    """What a pharmacy last said it has of a drug (one row per pharmacy and drug)."""

    pharmacy = models.ForeignKey("clinics.Facility", verbose_name=_("pharmacy"),
                                 on_delete=models.CASCADE, related_name="+")
    drug = models.ForeignKey("prescriptions.Drug", verbose_name=_("drug"),
                             on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        verbose_name = _("stock report")
        verbose_name_plural = _("stock reports")
        constraints = [models.UniqueConstraint(fields=["pharmacy", "drug"],
                                               name="stock_once_per_pharmacy_drug")]
        indexes = [
            # "Who has this drug": only pharmacies that have some.
            models.Index(fields=["drug", "pharmacy"], name="stock_in_stock",
                         condition=Q(quantity__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.pharmacy_id}: {self.drug_id} × {self.quantity}"
