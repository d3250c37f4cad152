"""E-prescriptions: the drug registry, prescriptions and their items, signing keys,
dispensings and pharmacy API keys. Invariants the database can hold live here."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex, GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dmed.translit import search_key
from prescriptions.codes import CODE_PATTERN

ATC_PATTERN = r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$"


def drug_search_text(inn: str, trade_names: str) -> str:
    """Every name folded; a Latin x also as "ks", as drug names are spelt in Cyrillic
    (Flemoxin, Флемоксин), while search_key reads x as the Uzbek х."""
    keys: list[str] = []
    for name in [inn, *trade_names.split(";")]:
        if name.strip():
            for key in (search_key(name), search_key(name.replace("x", "ks")
                                                     .replace("X", "Ks"))):
                if key not in keys:
                    keys.append(key)
    return " | ".join(keys)


class DosageForm(models.TextChoices):
    TABLET = "tablet", _("tablet")
    FILM_COATED_TABLET = "film-coated tablet", _("film-coated tablet")
    MODIFIED_RELEASE_TABLET = "modified-release tablet", _("modified-release tablet")
    SUBLINGUAL_TABLET = "sublingual tablet", _("sublingual tablet")
    EFFERVESCENT_TABLET = "effervescent tablet", _("effervescent tablet")
    CAPSULE = "capsule", _("capsule")
    MODIFIED_RELEASE_CAPSULE = "modified-release capsule", _("modified-release capsule")
    SYRUP = "syrup", _("syrup")
    ORAL_SOLUTION = "oral solution", _("oral solution")
    ORAL_DROPS = "oral drops", _("oral drops")
    SOLUTION_FOR_INJECTION = "solution for injection", _("solution for injection")
    POWDER_FOR_INJECTION = "powder for injection", _("powder for injection")
    SOLUTION_FOR_INFUSION = "solution for infusion", _("solution for infusion")
    INHALER = "inhaler", _("inhaler")
    EYE_DROPS = "eye drops", _("eye drops")
    CREAM = "cream", _("cream")
    OINTMENT = "ointment", _("ointment")
    SUPPOSITORY = "suppository", _("suppository")
    TRANSDERMAL_PATCH = "transdermal patch", _("transdermal patch")


class ControlledClass(models.TextChoices):
    NONE = "none", _("not controlled")
    NARCOTIC = "narcotic", _("narcotic")
    PSYCHOTROPIC = "psychotropic", _("psychotropic")


class Drug(models.Model):
    """One medicine of the national registry: a substance in a form and strength."""

    atc_code = models.CharField(_("ATC code"), max_length=7, db_index=True)
    inn = models.CharField(_("international non-proprietary name"), max_length=200)
    trade_names = models.CharField(_("trade names"), max_length=500, blank=True,
                                   help_text=_("Separated by semicolons."))
    dosage_form = models.CharField(_("dosage form"), max_length=32, choices=DosageForm.choices)
    strength = models.CharField(_("strength"), max_length=64)
    prescription_only = models.BooleanField(_("prescription only"), default=True)
    controlled_class = models.CharField(_("controlled class"), max_length=16,
                                        choices=ControlledClass.choices,
                                        default=ControlledClass.NONE)
    reimbursable = models.BooleanField(_("reimbursable"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Script-folded INN and trade names (dmed.translit.search_key): what search reads, so
    # "амоксициллин" and "Flemoxin" both find amoxicillin.
    search_text = models.CharField(max_length=800, editable=False, default="",
                                   db_collation="C")

    class Meta:
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")
        ordering = ["inn", "dosage_form", "strength"]
        constraints = [
            models.UniqueConstraint(fields=["inn", "dosage_form", "strength"],
                                    name="drug_inn_form_strength_unique"),
            models.CheckConstraint(condition=Q(atc_code__regex=ATC_PATTERN),
                                   name="drug_atc_code_format"),
            models.CheckConstraint(condition=Q(controlled_class__in=ControlledClass.values),
                                   name="drug_controlled_class_known"),
            models.CheckConstraint(condition=Q(dosage_form__in=DosageForm.values),
                                   name="drug_dosage_form_known"),
        ]
        indexes = [
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="drug_search_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.inn} {self.strength}, {self.get_dosage_form_display()}"

    def save(self, *args, **kwargs):
        self.search_text = drug_search_text(self.inn, self.trade_names)
        super().save(*args, **kwargs)

    @property
    def is_controlled(self) -> bool:
        return self.controlled_class != ControlledClass.NONE

    @property
    def trade_name_list(self) -> list[str]:
        return [name.strip() for name in self.trade_names.split(";") if name.strip()]


class PrescriberKey(models.Model):
    """A prescriber's Ed25519 key pair; the private half encrypted at rest (signing.py)."""

    key_id = models.UUIDField(_("key ID"), default=uuid.uuid4, unique=True, editable=False)
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("prescriber"),
                                   on_delete=models.PROTECT, related_name="prescriber_keys")
    public_key = models.BinaryField(_("public key"))
    encrypted_private_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("prescriber key")
        verbose_name_plural = _("prescriber keys")
        constraints = [
            # One signing key at a time; old ones stay to verify what they signed.
            models.UniqueConstraint(fields=["prescriber"], condition=Q(revoked_at__isnull=True),
                                    name="prescriber_one_active_key"),
        ]

    def __str__(self) -> str:
        return f"{self.prescriber} {self.key_id}"


class PrescriptionStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    PARTIALLY_DISPENSED = "partially_dispensed", _("partially dispensed")
    DISPENSED = "dispensed", _("dispensed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


DISPENSABLE_STATUSES = (PrescriptionStatus.ISSUED, PrescriptionStatus.PARTIALLY_DISPENSED)
MAX_ISSUES = 6


class Prescription(models.Model):
    """One issue of an e-prescription, known by its code.

    A repeat prescription is a series of up to six issues under one signature: each issue
    has its own code, dates, items and status, and is dispensed and expires on its own.
    What is signed is the series' content (signing.py); each issue's dates follow from
    its number, the interval and the validity, so altering them breaks the signature too.
    """

    code = models.CharField(_("code"), max_length=9, unique=True, editable=False)
    series_code = models.CharField(_("series"), max_length=9, editable=False)
    issue_number = models.PositiveSmallIntegerField(_("issue"), default=1)
    issues_total = models.PositiveSmallIntegerField(_("issues"), default=1)
    interval_days = models.PositiveSmallIntegerField(_("interval (days)"), default=0)
    patient = models.ForeignKey("patients.PatientCard", verbose_name=_("patient"),
                                on_delete=models.PROTECT, related_name="prescriptions")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("prescriber"),
                                   on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("registry.Facility", verbose_name=_("issued at"),
                                 on_delete=models.PROTECT, related_name="+")
    # The column keeps its name and holds the code itself (I10), as before it was a key.
    diagnosis = models.ForeignKey("clinics.Icd10Code", verbose_name=_("diagnosis (ICD-10)"),
                                  on_delete=models.PROTECT, related_name="+",
                                  db_column="diagnosis_code")
    # The visit it was written at, if any; services keep it on the same card.
    visit = models.ForeignKey("clinics.Visit", verbose_name=_("visit"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="prescriptions",
                              db_index=False)
    chronic = models.BooleanField(_("for a chronic condition"), default=False)
    controlled = models.BooleanField(_("controlled substance"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=PrescriptionStatus.choices,
                              default=PrescriptionStatus.ISSUED)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    available_from = models.DateField(_("dispensable from"))
    valid_until = models.DateField(_("valid until"))
    signing_key = models.ForeignKey(PrescriberKey, on_delete=models.PROTECT, related_name="+")
    signature = models.BinaryField(editable=False)
    # The QR's COSE_Sign1 over this issue's claims (prescriptions/qr.py), signed with the
    # same key at issue; empty for issues signed before the compact QR, which keep theirs.
    qr_message = models.BinaryField(editable=False, default=b"")
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_PATTERN),
                                   name="prescription_code_format"),
            models.UniqueConstraint(fields=["series_code", "issue_number"],
                                    name="prescription_issue_once_per_series"),
            models.CheckConstraint(
                condition=Q(issue_number__gte=1, issue_number__lte=F("issues_total"),
                            issues_total__lte=MAX_ISSUES),
                name="prescription_issue_within_series"),
            models.CheckConstraint(condition=Q(issues_total=1) | Q(interval_days__gte=1),
                                   name="prescription_repeats_have_interval"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("available_from")),
                                   name="prescription_valid_after_available"),
            models.CheckConstraint(condition=Q(status__in=PrescriptionStatus.values),
                                   name="prescription_status_known"),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & ~Q(cancel_reason="")
                           & Q(cancelled_at__isnull=False))
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="prescription_cancelled_with_reason"),
            # Controlled substances: a single dispensing, so never a repeat series.
            models.CheckConstraint(condition=Q(controlled=False) | Q(issues_total=1),
                                   name="prescription_controlled_not_repeated"),
        ]
        indexes = [
            models.Index(fields=["patient", "-issued_at"], name="rx_patient_time"),
            models.Index(fields=["series_code"], name="rx_series"),
            # Most prescriptions are written from the card, not a visit.
            models.Index(fields=["visit"], name="rx_visit", condition=Q(visit__isnull=False)),
            # The expiry task reads only open prescriptions.
            models.Index(fields=["valid_until"], name="rx_open_valid_until",
                         condition=Q(status__in=["issued", "partially_dispensed"])),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_repeat(self) -> bool:
        return self.issues_total > 1


class ItemStatus(models.TextChoices):
    TO_DISPENSE = "to_dispense", _("to dispense")
    PARTLY_DISPENSED = "partly_dispensed", _("partly dispensed")
    DISPENSED = "dispensed", _("dispensed")
    NOT_DISPENSED = "not_dispensed", _("not dispensed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


# Items a pharmacy may still give: a refusal at one pharmacy does not stop another.
OPEN_ITEM_STATUSES = (ItemStatus.TO_DISPENSE, ItemStatus.PARTLY_DISPENSED,
                      ItemStatus.NOT_DISPENSED)


class PrescriptionItem(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT,
                                     related_name="items")
    # The item's number within its prescription: what pharmacies and the API call it.
    line = models.PositiveSmallIntegerField(_("line"))
    drug = models.ForeignKey(Drug, verbose_name=_("drug"), on_delete=models.PROTECT,
                             related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    dispensed_quantity = models.PositiveIntegerField(_("dispensed"), default=0)
    dosage = models.CharField(_("dose"), max_length=100)
    route = models.CharField(_("route"), max_length=60, blank=True)
    frequency = models.CharField(_("frequency"), max_length=100, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"), null=True,
                                                     blank=True)
    instructions = models.CharField(_("instructions for the patient"), max_length=500,
                                    blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ItemStatus.choices,
                              default=ItemStatus.TO_DISPENSE)
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The pharmacy that last refused it ("refused at pharmacy X: out of stock").
    refused_at = models.ForeignKey("registry.Facility", verbose_name=_("refused at"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("prescription item")
        verbose_name_plural = _("prescription items")
        ordering = ["prescription", "line"]
        constraints = [
            models.UniqueConstraint(fields=["prescription", "line"], name="rx_item_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rx_item_quantity_positive"),
            # However many pharmacies race, the database never lets more out than prescribed.
            models.CheckConstraint(condition=Q(dispensed_quantity__lte=F("quantity")),
                                   name="rx_item_dispensed_within_prescribed"),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values),
                                   name="rx_item_status_known"),
            models.CheckConstraint(
                condition=~Q(status="dispensed") | Q(dispensed_quantity=F("quantity")),
                name="rx_item_dispensed_means_all"),
            models.CheckConstraint(
                condition=~Q(status="partly_dispensed")
                | Q(dispensed_quantity__gt=0, dispensed_quantity__lt=F("quantity")),
                name="rx_item_partly_means_some"),
            models.CheckConstraint(
                condition=~Q(status__in=["not_dispensed", "cancelled"]) | ~Q(status_reason=""),
                name="rx_item_refusal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.prescription_id}/{self.line} {self.drug}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.dispensed_quantity


class PharmacyApiKey(models.Model):
    """A pharmacy system's key: `Authorization: Api-Key <prefix>.<secret>`.

    Only a SHA-256 of the whole key is kept; the key is shown once, when created. The
    secret part is 256 random bits, so a fast hash is enough (nothing to brute-force).
    """

    pharmacy = models.ForeignKey("registry.Facility", verbose_name=_("pharmacy"),
                                 on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100,
                            help_text=_("Which system uses it, e.g. the till software."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("pharmacy API key")
        verbose_name_plural = _("pharmacy API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class Dispensing(models.Model):
    """What one pharmacy gave out against a prescription at one time: the receipt.

    Partitioned by the Tashkent month of `dispensed_at` (migration 0013, dmed/partitions.py):
    the database's primary key is (id, dispensed_at), so a day's dispensings are read from
    one partition.
    """

    # Unique in each month's partition (a partitioned table cannot hold a unique index
    # without its partition key); a repeat across months would take a random collision.
    public_id = models.UUIDField(_("receipt"), default=uuid.uuid4, editable=False)
    prescription = models.ForeignKey(Prescription, verbose_name=_("prescription"),
                                     on_delete=models.PROTECT,
                                     related_name="dispensings")
    pharmacy = models.ForeignKey("registry.Facility", verbose_name=_("pharmacy"),
                                 on_delete=models.PROTECT, related_name="+")
    pharmacist = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("pharmacist"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    api_key = models.ForeignKey(PharmacyApiKey, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100, blank=True)
    # A digest of the request, so the same Idempotency-Key with another body is refused.
    request_digest = models.CharField(max_length=64, blank=True)
    identity_document = models.CharField(_("identity document"), max_length=64, blank=True)
    status_after = models.CharField(_("prescription status after"), max_length=20,
                                    choices=PrescriptionStatus.choices)
    dispensed_at = models.DateTimeField(_("dispensed"), default=timezone.now)

    class Meta:
        verbose_name = _("dispensing")
        verbose_name_plural = _("dispensings")
        constraints = [
            # An Idempotency-Key is used once per pharmacy: DispensingKey holds it across
            # the months, filled by a trigger in the dispensing's INSERT.
            models.CheckConstraint(condition=Q(pharmacist__isnull=False)
                                   | Q(api_key__isnull=False),
                                   name="dispensing_has_actor"),
        ]
        indexes = [
            # The nightly reconciliation reads one day of dispensings (pharmacy_sync).
            BrinIndex(fields=["dispensed_at"], name="dispensing_time_brin"),
            # A retried request finds the dispensing its key made.
            models.Index(fields=["pharmacy", "idempotency_key"],
                         condition=~Q(idempotency_key=""), name="dispensing_idempotency_key"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class DispensingKey(models.Model):
    """A pharmacy's Idempotency-Key, used once across every month of dispensings.

    Written by a trigger on each dispensing inserted with a key (migration 0013), so a
    second dispensing with the key fails in its INSERT, as the unique index on the single
    table did; it references its dispensing by (id, dispensed_at), the dispensing's key in
    the partitioned table.
    """

    pharmacy = models.ForeignKey("registry.Facility", on_delete=models.PROTECT,
                                 related_name="+")
    idempotency_key = models.CharField(max_length=100)
    # The database's foreign key is (dispensing_id, dispensed_at) → (id, dispensed_at).
    dispensing = models.ForeignKey(Dispensing, on_delete=models.DO_NOTHING,
                                   db_constraint=False, related_name="+")
    dispensed_at = models.DateTimeField(editable=False)

    class Meta:
        verbose_name = _("dispensing idempotency key")
        verbose_name_plural = _("dispensing idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["pharmacy", "idempotency_key"],
                                    name="dispensing_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class DispensingLine(models.Model):
    # The database's foreign key is (dispensing_id, dispensing_dispensed_at) → the
    # dispensing's (id, dispensed_at) in its month's partition (migration 0013).
    dispensing = models.ForeignKey(Dispensing, on_delete=models.PROTECT, related_name="lines",
                                   db_constraint=False)
    dispensing_dispensed_at = models.DateTimeField(editable=False)
    item = models.ForeignKey(PrescriptionItem, on_delete=models.PROTECT,
                             related_name="dispensed_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    remaining_after = models.PositiveIntegerField(_("left after"))

    class Meta:
        verbose_name = _("dispensing line")
        verbose_name_plural = _("dispensing lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="dispensing_line_quantity_positive"),
            models.UniqueConstraint(fields=["dispensing", "item"],
                                    name="dispensing_line_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class FailedPatientCheck(models.Model):
    """One wrong patient check at a pharmacy (prescriptions.patient_checks counts them).

    Guessing the last four PINFL digits takes at most 10,000 tries, so wrong checks are
    counted per prescription code and per checker (a pharmacy system's key or a
    pharmacist) over the last hour, and further checks are refused above a limit. Rows
    older than the window mean nothing and are deleted hourly.
    """

    code = models.CharField(_("prescription code"), max_length=16)
    pharmacy = models.ForeignKey("registry.Facility", verbose_name=_("pharmacy"),
                                 on_delete=models.CASCADE, related_name="+")
    # "api-key:<prefix>" or "user:<id>": who typed it, whichever kind of actor that is.
    checker = models.CharField(_("checked by"), max_length=40)
    failed_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("failed patient check")
        verbose_name_plural = _("failed patient checks")
        indexes = [
            models.Index(fields=["code", "-failed_at"], name="failed_check_code_time"),
            models.Index(fields=["checker", "-failed_at"], name="failed_check_checker_time"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.checker} {self.failed_at:%Y-%m-%d %H:%M}"
