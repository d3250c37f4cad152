import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Cast, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.identifiers import DocumentKind

ICD10_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class BloodGroup(models.TextChoices):
    O_POSITIVE = "O+", "O (I) Rh+"
    O_NEGATIVE = "O-", "O (I) Rh−"
    A_POSITIVE = "A+", "A (II) Rh+"
    A_NEGATIVE = "A-", "A (II) Rh−"
    B_POSITIVE = "B+", "B (III) Rh+"
    B_NEGATIVE = "B-", "B (III) Rh−"
    AB_POSITIVE = "AB+", "AB (IV) Rh+"
    AB_NEGATIVE = "AB-", "AB (IV) Rh−"


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    TEMPORARY = "temporary", _("Temporary (unidentified)")
    MERGED = "merged", _("Merged into another card")


def name_words() -> Func:
    """The words of a card's search_name as an array: what the fuzzy name search matches
    against the candidate words NameWord yields, through the GIN index card_name_words.
    The index and the query use this one expression, so PostgreSQL matches them."""
    return Func(F("search_name"), Value(" "), function="string_to_array",
                output_field=ArrayField(models.TextField()))


def facility_name_words() -> Func:
    """The words of a card's search_name, each after its polyclinic's id ("12:karimov"),
    for the GIN index card_facility_name_words. A polyclinic's fuzzy search reads only the
    posting lists of its own cards' words there; over card_name_words it intersected every
    namesake in the country with the polyclinic's hundreds of thousands of cards (130-150
    ms at 10^7). The index and the query use this one expression; it is one node (a search
    copies it for every subquery it is in)."""
    # arg_joiner before template: the order migrations write them in, which Django
    # compares too.
    return Func(F("search_name"), Cast("attached_facility_id", models.TextField()),
                arg_joiner=r", '(^| )', '\1' || ",
                template=r"string_to_array(regexp_replace(%(expressions)s || ':', 'g'), ' ')",
                output_field=ArrayField(models.TextField()))


def at_facility(facility_id: int, words: list[str]) -> list[str]:
    """Words as facility_name_words holds them for a card of that polyclinic."""
    return [f"{facility_id}:{word}" for word in words]


class PatientCard(models.Model):
    """The electronic medical card: one per person, known by its MED-ID.

    A merged card keeps its row (and so its MED-ID, never reused) and points to the
    card it was merged into.
    """

    med_id = models.CharField(_("MED-ID"), max_length=10, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=CardStatus.choices,
                              default=CardStatus.ACTIVE)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=100, blank=True)
    # Script-folded "last first middle" (dmed.translit.search_key): what name search reads.
    # Only [a-z0-9 ] lives here, so the "C" collation loses nothing and lets a b-tree
    # serve prefix searches (LIKE 'karimov aziz%'), which other collations cannot.
    search_name = models.CharField(max_length=320, editable=False, default="",
                                   db_collation="C")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, blank=True)
    pinfl = models.CharField(_("PINFL"), max_length=14, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    region = models.ForeignKey("registry.Region", verbose_name=_("region"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("registry.District", verbose_name=_("district"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    street = models.CharField(_("street and house"), max_length=200, blank=True)
    blood_group = models.CharField(_("blood group"), max_length=3, choices=BloodGroup.choices,
                                   blank=True)
    # For a temporary card: what will help identify the person (clothes, marks, where found).
    identification_notes = models.CharField(_("identifying features"), max_length=300,
                                            blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200,
                                              blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=16,
                                               blank=True)
    registered_at = models.ForeignKey("registry.Facility", verbose_name=_("registered at"),
                                      on_delete=models.PROTECT, related_name="+")
    attached_facility = models.ForeignKey(
        "registry.Facility", verbose_name=_("attached polyclinic"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="attached_cards",
    )
    family_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("family doctor"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="family_cards",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("patient account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="patient_card",
    )
    # "No known allergies" is a statement a clinician records (who, when), distinct from
    # never having asked; recording an allergy withdraws it.
    no_known_allergies_at = models.DateTimeField(_("no known allergies, recorded"),
                                                 null=True, blank=True)
    no_known_allergies_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("no known allergies, recorded by"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("patient card")
        verbose_name_plural = _("patient cards")
        constraints = [
            models.UniqueConstraint(fields=["pinfl"], condition=~Q(pinfl=""),
                                    name="card_pinfl_unique"),
            models.CheckConstraint(condition=Q(med_id__regex=r"^[1-9][0-9]{9}$"),
                                   name="card_med_id_format"),
            models.CheckConstraint(condition=Q(pinfl="") | Q(pinfl__regex=r"^[1-6][0-9]{13}$"),
                                   name="card_pinfl_format"),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="card_merged_points_somewhere",
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")),
                                   name="card_not_merged_into_itself"),
            # An identified card has a name, a birth date and a sex; only a temporary one
            # (an unconscious person brought in), or one merged away, may lack them.
            models.CheckConstraint(
                condition=Q(status__in=["temporary", "merged"])
                | (~Q(last_name="") & Q(birth_date__isnull=False) & ~Q(sex="")),
                name="card_identified_has_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["phone"], name="card_phone", condition=~Q(phone="")),
            models.Index(fields=["birth_date", "search_name"], name="card_birth_name"),
            # Name order over every card: prefix search and keyset pages for administrators.
            models.Index(fields=["search_name", "id"], name="card_name_order"),
            # Scope-filtered, keyset-paginated lists: one facility's cards by name.
            models.Index(fields=["attached_facility", "search_name", "id"],
                         name="card_facility_name"),
            # FHIR's `name=`: a word anywhere in the name (LIKE '% word%').
            GinIndex(OpClass("search_name", name="gin_trgm_ops"), name="card_name_trgm"),
            # Fuzzy name search: cards holding any of a typed word's candidate words.
            # fastupdate off: a search would otherwise scan the pending list of recent
            # inserts (up to 4 MB; 19 ms measured, 0.25 ms without), and cards are written
            # a few per second, read by search far more often.
            GinIndex(name_words(), name="card_name_words", fastupdate=False),
            GinIndex(facility_name_words(), name="card_facility_name_words", fastupdate=False,
                     condition=Q(attached_facility__isnull=False)),
            # The other branches of a clinician's scope, each walked in name order on its
            # own (see patients.selectors.search_cards): their family doctor's cards and
            # the temporary cards registered at their facility.
            models.Index(fields=["family_doctor", "search_name", "id"],
                         name="card_doctor_name", condition=Q(family_doctor__isnull=False)),
            models.Index(fields=["registered_at", "search_name", "id"],
                         name="card_temporary_name", condition=Q(status="temporary")),
        ]

    def __str__(self) -> str:
        return f"{self.med_id} {self.full_name}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def is_temporary(self) -> bool:
        return self.status == CardStatus.TEMPORARY


class NameWord(models.Model):
    """Every word that occurs in any card's search_name, once: the small dictionary the
    fuzzy name search looks a typed word up in (by trigram similarity) before it reads
    any card. pg_trgm's documented way to spell-check against a large corpus: the
    dictionary stays tens of thousands of words while cards grow to tens of millions.

    Filled by the database itself: statement-level triggers on patients_patientcard add
    the words of inserted and updated names (migration 0011), so COPY and bulk loads are
    covered too. A word no card holds any more stays; it only costs a candidate that
    finds nothing.
    """

    word = models.CharField(max_length=320, primary_key=True, db_collation="C")

    class Meta:
        verbose_name = _("name word")
        verbose_name_plural = _("name words")
        indexes = [GinIndex(OpClass("word", name="gin_trgm_ops"), name="nameword_trgm")]

    def __str__(self) -> str:
        return self.word


class IdentityDocument(models.Model):
    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    number = models.CharField(_("series and number"), max_length=20)
    country = models.CharField(_("issuing country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")
        constraints = [
            models.UniqueConstraint(Upper("number"), "kind", "country",
                                    name="document_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Attachment(models.Model):
    """A period of a card's attachment to a polyclinic and family doctor: the history."""

    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE, related_name="attachments")
    facility = models.ForeignKey("registry.Facility", verbose_name=_("polyclinic"),
                                 on_delete=models.PROTECT, related_name="+")
    family_doctor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("family doctor"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["card"], condition=Q(ended_at__isnull=True),
                                    name="attachment_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} → {self.facility_id} ({self.started_at:%Y-%m-%d})"


class AttachmentGround(models.TextChoices):
    """Why a person asks to move: their own choice is allowed once a year
    (settings.ATTACHMENT_CHANGE_INTERVAL_DAYS); moving house is allowed at any time."""

    OWN_CHOICE = "own_choice", _("own choice")
    MOVED_HOUSE = "moved_house", _("moved house")


class AttachmentRequestStatus(models.TextChoices):
    PENDING = "pending", _("awaiting decision")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class AttachmentRequest(models.Model):
    """A person's application to be attached to a polyclinic, decided by that polyclinic.

    Taken by its registrar at the desk or sent by the person from their phone; accepted,
    it moves the card (a new Attachment, the old one becomes history)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE,
                             related_name="attachment_requests")
    facility = models.ForeignKey("registry.Facility", verbose_name=_("polyclinic asked"),
                                 on_delete=models.PROTECT, related_name="+")
    # Where the card was attached when the person applied: who is told when it moves.
    from_facility = models.ForeignKey("registry.Facility", verbose_name=_("attached until now"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    ground = models.CharField(_("ground"), max_length=12, choices=AttachmentGround.choices)
    new_address = models.CharField(_("new address"), max_length=200, blank=True)
    applied_on = models.DateField(_("application date"), default=timezone.localdate)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                     on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10,
                              choices=AttachmentRequestStatus.choices,
                              default=AttachmentRequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("reason of the decision"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment request")
        verbose_name_plural = _("attachment requests")
        constraints = [
            # One open application per person: a second waits for the first's decision.
            models.UniqueConstraint(fields=["card"], condition=Q(status="pending"),
                                    name="attachment_request_one_pending"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="attachment_request_decided_by_someone",
            ),
            models.CheckConstraint(condition=~Q(status="declined") | ~Q(decision_note=""),
                                   name="attachment_request_declined_says_why"),
            models.CheckConstraint(condition=~Q(ground="moved_house") | ~Q(new_address=""),
                                   name="attachment_request_move_names_address"),
            models.CheckConstraint(
                condition=Q(from_facility__isnull=True) | ~Q(from_facility=F("facility")),
                name="attachment_request_elsewhere"),
        ]
        indexes = [
            # The polyclinic's queue: its requests awaiting decision, oldest first.
            models.Index(fields=["facility", "status", "created_at"],
                         name="attachment_request_queue"),
            # The once-a-year rule reads a card's accepted requests.
            models.Index(fields=["card", "status", "decided_at"],
                         name="attachment_request_card"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} → {self.facility_id} ({self.status})"


class Representation(models.Model):
    """A parent or guardian who sees a child's or ward's card as their own."""

    representative = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                       related_name="represented")
    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE,
                             related_name="representatives")
    basis = models.CharField(_("basis"), max_length=200,
                             help_text=_("For example: parent, guardianship decision no. …"))
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        constraints = [
            models.UniqueConstraint(fields=["representative", "card", "valid_from"],
                                    name="representation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.representative} — {self.basis}"


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class AllergenKind(models.TextChoices):
    DRUG = "drug", _("Medicine (INN)")
    DRUG_GROUP = "drug_group", _("Group of medicines (ATC)")
    OTHER = "other", _("Other allergen (food, latex, pollen, …)")


class Verification(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    SUSPECTED = "suspected", _("Suspected")


class Allergy(models.Model):
    """An allergy or intolerance on the card, kept by its clinicians.

    `substance` is what the prescription's allergy warning matches (prescriptions.allergies):
    the INN of a registry drug, the name of an ATC group (with its code in `atc_code`), or
    a free-text non-drug allergen. An ended allergy (resolved, or recorded in error) stays
    as history and no longer warns.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE, related_name="allergies")
    kind = models.CharField(_("kind of allergen"), max_length=10, choices=AllergenKind.choices,
                            default=AllergenKind.OTHER)
    substance = models.CharField(_("substance"), max_length=200)
    atc_code = models.CharField(_("ATC code"), max_length=7, blank=True)
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    verification = models.CharField(_("verification"), max_length=10,
                                    choices=Verification.choices,
                                    default=Verification.SUSPECTED)
    noted_at = models.DateTimeField(_("noted"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["substance"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AllergenKind.values),
                                   name="allergy_kind_known"),
            models.CheckConstraint(condition=Q(verification__in=Verification.values),
                                   name="allergy_verification_known"),
            models.CheckConstraint(condition=~Q(substance=""), name="allergy_has_substance"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(end_reason=""),
                name="allergy_end_has_reason"),
        ]
        indexes = [models.Index(fields=["card"], condition=Q(ended_at__isnull=True),
                                name="allergy_active_by_card")]

    def __str__(self) -> str:
        return self.substance

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def is_severe(self) -> bool:
        return self.severity == Severity.SEVERE


class ConditionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    REMISSION = "remission", _("In remission")
    RESOLVED = "resolved", _("Resolved")


class ChronicCondition(models.Model):
    """A long-term problem on the card (the problem list): active ones are on the banner
    and lengthen a chronic prescription's validity."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE,
                             related_name="chronic_conditions")
    icd10_code = models.CharField(
        _("ICD-10 code"), max_length=8,
        validators=[RegexValidator(ICD10_PATTERN, _("An ICD-10 code looks like I10 or E11.9."))],
    )
    # The clinician's own words, when they gave any; otherwise the catalogue's title names
    # the condition, in each reader's language (see `name`).
    text = models.CharField(_("condition"), max_length=300, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ConditionStatus.choices,
                              default=ConditionStatus.ACTIVE)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("chronic condition")
        verbose_name_plural = _("chronic conditions")
        ordering = ["icd10_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(icd10_code__regex=ICD10_PATTERN),
                name="condition_icd10_format",
            ),
            models.CheckConstraint(condition=Q(status__in=ConditionStatus.values),
                                   name="condition_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.text}"

    # The catalogue's title in the reader's language, set by the selectors that show
    # conditions (patients.selectors.with_catalogue_titles), one query for a whole list.
    catalogue_title = ""

    @property
    def name(self) -> str:
        return self.text or self.catalogue_title

    @property
    def is_active(self) -> bool:
        return self.status == ConditionStatus.ACTIVE


class GrantReview(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    JUSTIFIED = "justified", _("confirmed as justified")
    REFERRED = "referred", _("referred for investigation")


class BreakGlassGrant(models.Model):
    """A clinician's stated-reason access to a card outside their scope, for a day.

    The head of the facility it was granted at reviews it (justified, or referred on, with
    a note the patient reads) and may revoke it before it expires."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    card = models.ForeignKey(PatientCard, on_delete=models.CASCADE, related_name="+")
    facility = models.ForeignKey("registry.Facility", verbose_name=_("facility"), null=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("Where the clinician acted: its head reviews."))
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    review = models.CharField(_("review"), max_length=16, choices=GrantReview.choices,
                              default=GrantReview.PENDING)
    review_note = models.TextField(_("reviewer's note"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        indexes = [models.Index(fields=["user", "card", "-expires_at"], name="breakglass_lookup"),
                   models.Index(fields=["facility", "review", "-granted_at"],
                                name="breakglass_review_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("granted_at")),
                                   name="breakglass_expires_after_grant"),
            models.CheckConstraint(condition=~Q(reason=""), name="breakglass_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.card_id} ({self.granted_at:%Y-%m-%d %H:%M})"
