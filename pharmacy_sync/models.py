"""Keeping pharmacy systems in step: their webhooks, the pull feed, and stock reports."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookSubscription(models.Model):
    """Where a pharmacy system wants prescription events POSTed, and the shared secret
    they are signed with (HMAC-SHA256; README "Pharmacy sync")."""

    pharmacy = models.OneToOneField("registry.Facility", verbose_name=_("pharmacy"),
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

    # No database foreign key: the outbox drops its months after OUTBOX_RETENTION_MONTHS
    # (dmed/partitions.py), and this row outlives its event; a key into a partitioned
    # table would also have to name the event's month.
    event = models.ForeignKey("outbox.Event", on_delete=models.PROTECT, related_name="+",
                              db_constraint=False)
    district = models.ForeignKey("registry.District", on_delete=models.PROTECT,
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

    pharmacy = models.ForeignKey("registry.Facility", verbose_name=_("pharmacy"),
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


class StockChange(models.Model):
    """How much a pharmacy's reports of a drug went down and up in one day (Tashkent
    time), summed over consecutive reports: the "reported" side of the nightly
    reconciliation. One row per pharmacy, drug and day, so it stays small however often
    a pharmacy reports; a pharmacy's first report of a drug changes nothing (no before).
    """

    pharmacy = models.ForeignKey("registry.Facility", verbose_name=_("pharmacy"),
                                 on_delete=models.CASCADE, related_name="+")
    drug = models.ForeignKey("prescriptions.Drug", verbose_name=_("drug"),
                             on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    decreased = models.PositiveIntegerField(_("decreased by"), default=0)
    increased = models.PositiveIntegerField(_("increased by"), default=0)

    class Meta:
        verbose_name = _("stock change")
        verbose_name_plural = _("stock changes")
        constraints = [models.UniqueConstraint(fields=["day", "pharmacy", "drug"],
                                               name="stock_change_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.pharmacy_id}: {self.drug_id} −{self.decreased} +{self.increased}"


class DiscrepancyKind(models.TextChoices):
    UNDOCUMENTED_DECREASE = "undocumented_decrease", _(
        "stock of a prescription-only drug fell by more than was dispensed on the portal")
    DISPENSED_WITHOUT_DECREASE = "dispensed_without_decrease", _(
        "dispensed on the portal, but the reported stock did not fall as much")


class Discrepancy(models.Model):
    """A day on which a pharmacy's stock reports of a drug and the portal's dispensing
    records disagree (pharmacy_sync.services.reconcile explains the comparison)."""

    day = models.DateField(_("day"))
    pharmacy = models.ForeignKey("registry.Facility", verbose_name=_("pharmacy"),
                                 on_delete=models.CASCADE, related_name="+")
    drug = models.ForeignKey("prescriptions.Drug", verbose_name=_("drug"),
                             on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=DiscrepancyKind.choices)
    dispensed = models.PositiveIntegerField(_("dispensed on the portal"))
    reported_decrease = models.PositiveIntegerField(_("reported stock decrease"))
    found_at = models.DateTimeField(_("found"), default=timezone.now)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        constraints = [
            models.UniqueConstraint(fields=["day", "pharmacy", "drug"],
                                    name="discrepancy_once_a_day"),
            models.CheckConstraint(condition=Q(kind__in=DiscrepancyKind.values),
                                   name="discrepancy_kind_known"),
            models.CheckConstraint(condition=~Q(dispensed=models.F("reported_decrease")),
                                   name="discrepancy_differs"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.pharmacy_id}: {self.drug_id}"

    @property
    def difference(self) -> int:
        return self.reported_decrease - self.dispensed


class Reconciliation(models.Model):
    """That a day was reconciled, and what it covered: a night that found nothing is told
    apart from a night the task did not run."""

    day = models.DateField(_("day"), unique=True)
    compared = models.PositiveIntegerField(_("pharmacy and drug pairs compared"))
    found = models.PositiveIntegerField(_("discrepancies found"))
    ran_at = models.DateTimeField(_("ran"), default=timezone.now)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        constraints = [
            models.CheckConstraint(condition=Q(found__lte=models.F("compared")),
                                   name="reconciliation_found_among_compared"),
        ]

    def __str__(self) -> str:
        return str(self.day)
