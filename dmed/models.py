import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dmed.roles import Role


class User(AbstractUser):
    """An account: a member of staff, a patient, or an administrator.

    What a staff member may do at which facility lives in their staff records
    (clinics.StaffRecord); `role` is the kind of account and picks the home page.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # How other systems name the person (FHIR Practitioner ids): the username is chosen by
    # people, often from their name, and may change. PostgreSQL fills it for a row written
    # without it (a migration's historical model, SQL by hand).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, db_default=RandomUUID(),
                                 unique=True, editable=False)
    middle_name = models.CharField(_("patronymic"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="dmed_user_role_known"
            ),
        ]

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class AuditAction(models.TextChoices):
    VIEW = "view", _("viewed")
    LIST = "list", _("listed")
    SEARCH = "search", _("found in a search")
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    PRINT = "print", _("printed")
    EXPORT = "export", _("exported")
    BREAK_GLASS = "break_glass", _("broke the glass")
    LOGIN = "login", _("logged in")
    LOGIN_FAILED = "login_failed", _("failed to log in")
    LOGOUT = "logout", _("logged out")


class AuditEvent(models.Model):
    """One read or write of protected data, or one sign-in: who, as what, where, why.

    Append-only: a trigger (migration 0002) makes PostgreSQL refuse UPDATE and DELETE.
    Facility and patient are kept as their public codes, not foreign keys, so the trail
    never depends on the registries it describes and survives card merges unchanged.
    """

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_role = models.CharField(_("role"), max_length=20, blank=True, choices=Role.choices)
    facility_code = models.CharField(_("facility"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    patient_med_id = models.CharField(_("patient MED-ID"), max_length=16, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    allowed = models.BooleanField(_("allowed"), default=True)
    break_glass = models.BooleanField(_("break-the-glass"), default=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    # The hash chain (migration 0004): a trigger sets these on insert, whatever the
    # application sends; each row's hash covers its content and the previous row's hash in
    # its chain (one chain per Tashkent day and stripe), so a changed or removed row breaks
    # the chain that `manage.py verify_audit_chain` walks. The defaults are never stored.
    chain_day = models.DateField(_("chain day"), db_default=Now(), editable=False)
    chain_stripe = models.SmallIntegerField(_("chain stripe"), db_default=0, editable=False)
    chain_seq = models.BigIntegerField(_("place in chain"), db_default=0, editable=False)
    chain_hash = models.CharField(_("chain hash"), max_length=64, db_default="",
                                  editable=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            # "Who opened my card": one patient's events, newest first.
            models.Index(
                fields=["patient_med_id", "-occurred_at"],
                name="audit_patient_time",
                condition=~Q(patient_med_id=""),
            ),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
            # Break-the-glass review list for administrators.
            models.Index(
                fields=["-occurred_at"], name="audit_break_glass", condition=Q(break_glass=True)
            ),
            # The table only grows in time order: BRIN keeps time-range scans cheap and tiny.
            BrinIndex(fields=["occurred_at"], name="audit_time_brin"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain_day", "chain_stripe", "chain_seq"],
                                    name="audit_chain_place"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """The last link of each audit chain, kept by the chain trigger only.

    Serialises the inserts of one chain (its row is locked until the inserting transaction
    ends) and remembers the chain's end, so removing the newest rows is evident too. The
    application's database role may only read it.
    """

    day = models.DateField(_("day"))
    stripe = models.SmallIntegerField(_("stripe"))
    last_seq = models.BigIntegerField(_("last place"))
    last_hash = models.CharField(_("last hash"), max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [
            models.UniqueConstraint(fields=["day", "stripe"], name="audit_chain_head_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} / {self.stripe}: {self.last_seq}"


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`), issued at each sign-in to the API.

    Only the SHA-256 of the key is kept: a leaked table signs nobody in. A token ends when
    it is idle too long or too old (settings.API_TOKEN_IDLE_SECONDS / _ABSOLUTE_SECONDS),
    when it is revoked (logout, the admin), and when the user's password changes: it
    keeps the user's session auth hash of its issue, as Django's sessions do, and is
    refused once that no longer matches.
    """

    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    # The key's first characters, to tell tokens apart in the admin and in audit rows.
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="api_tokens")
    auth_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at the latest"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["expires_at"], name="apitoken_expires")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
