import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fhir.scopes import person_app_scopes, registrable_scopes


def validate_scopes(value: str) -> None:
    unknown = sorted(set(value.split()) - set(registrable_scopes()))
    if unknown:
        raise ValidationError(_("Unknown scopes: %(scopes)s. Choose from: %(known)s.")
                              % {"scopes": ", ".join(unknown),
                                 "known": ", ".join(registrable_scopes())})


class FhirClient(models.Model):
    """A system calling the FHIR interface with OAuth 2.0 client credentials.

    The OAuth application holds the client id and (hashed) secret; its `user` is the
    system's account, whose role and staff record decide what it reaches, exactly as for
    a person: a pharmacy system acts as a pharmacist of its pharmacy, a laboratory system
    as a lab technician of its laboratory, the national platform as an administrator.
    The audit trail names that account and the facility it acts for.
    """

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, verbose_name=_("OAuth application"),
        on_delete=models.CASCADE, related_name="fhir_client",
    )
    facility = models.ForeignKey(
        "registry.Facility", verbose_name=_("acts for facility"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("The facility the system acts for; its account must work there. Empty "
                    "only for a national system whose account is an administrator."),
    )
    scopes = models.CharField(
        _("allowed scopes"), max_length=1000, validators=[validate_scopes],
        help_text=_("SMART v2 system scopes, separated by spaces, e.g. "
                    "system/Patient.rs system/Observation.rs."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("FHIR client")
        verbose_name_plural = _("FHIR clients")

    def __str__(self) -> str:
        return self.application.name or self.application.client_id

    def scope_list(self) -> list[str]:
        return self.scopes.split()


def validate_person_app_scopes(value: str) -> None:
    unknown = sorted(set(value.split()) - set(person_app_scopes()))
    if unknown:
        raise ValidationError(_("Unknown scopes: %(scopes)s. Choose from: %(known)s.")
                              % {"scopes": ", ".join(unknown),
                                 "known": ", ".join(person_app_scopes())})


class PersonApp(models.Model):
    """An app acting for a signed-in person (SMART App Launch): the authorization code
    grant with PKCE, a public client or a confidential one. The OAuth application holds the
    client id and redirect URIs; this says which SMART v2 scopes it may ask a person for
    (`patient/…` for patients, `user/…` for staff, see fhir.grants)."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, verbose_name=_("OAuth application"),
        on_delete=models.CASCADE, related_name="person_app",
    )
    scopes = models.CharField(
        _("allowed scopes"), max_length=2000, validators=[validate_person_app_scopes],
        help_text=_("SMART v2 patient and user scopes, separated by spaces, e.g. "
                    "patient/Patient.rs patient/Observation.rs."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("app for patients and clinicians")
        verbose_name_plural = _("apps for patients and clinicians")

    def __str__(self) -> str:
        return self.application.name or self.application.client_id

    def scope_list(self) -> list[str]:
        return self.scopes.split()


class AppConsent(models.Model):
    """A person's approval of an app on the consent screen: which scopes, when; revoked
    by the person on their connected-apps page (which also ends the app's tokens)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                             on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, verbose_name=_("OAuth application"),
        on_delete=models.CASCADE, related_name="+",
    )
    scopes = models.CharField(_("scopes granted"), max_length=2000)
    granted_at = models.DateTimeField(_("granted"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("app consent")
        verbose_name_plural = _("app consents")
        constraints = [
            models.UniqueConstraint(fields=["user", "application"],
                                    name="fhir_one_consent_per_person_and_app"),
            models.CheckConstraint(condition=models.Q(revoked_at__isnull=True)
                                   | models.Q(revoked_at__gte=models.F("granted_at")),
                                   name="fhir_consent_revoked_after_granted"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.user}"

    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ExportStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    FAILED = "failed", _("failed")


class ExportJob(models.Model):
    """One FHIR Bulk Data export (`$export`), written to NDJSON files by Celery steps
    (fhir.export); the client that started it alone may poll it and fetch its files.

    `position` says where the next step resumes (the type, the source within it and the
    last key written) and `output` the files written so far with their resource counts
    and sizes, both saved after every chunk: a step lost with its worker is redone from
    there, its files cut back to the sizes saved.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(FhirClient, verbose_name=_("client"), on_delete=models.CASCADE,
                               related_name="+")
    group = models.ForeignKey(
        "registry.Facility", verbose_name=_("group (attached population of)"), null=True,
        blank=True, on_delete=models.CASCADE, related_name="+",
        help_text=_("Empty for a system-level export."))
    types = models.JSONField(_("resource types"))
    since = models.DateTimeField(_("changed since"), null=True, blank=True)
    transaction_time = models.DateTimeField(_("transaction time"), default=timezone.now)
    request_url = models.TextField(_("kick-off request"))
    status = models.CharField(_("status"), max_length=12, choices=ExportStatus.choices,
                              default=ExportStatus.IN_PROGRESS)
    position = models.JSONField(_("resume position"), default=dict)
    output = models.JSONField(_("files"), default=list)
    written = models.BigIntegerField(_("resources written"), default=0)
    error = models.TextField(_("error"), blank=True)
    updated_at = models.DateTimeField(_("last step"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("FHIR bulk export")
        verbose_name_plural = _("FHIR bulk exports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportStatus.values), name="fhir_export_status"),
            models.CheckConstraint(
                condition=models.Q(status=ExportStatus.IN_PROGRESS, completed_at__isnull=True)
                | (~models.Q(status=ExportStatus.IN_PROGRESS)
                   & models.Q(completed_at__isnull=False)),
                name="fhir_export_completed_when_done"),
            models.CheckConstraint(condition=models.Q(written__gte=0),
                                   name="fhir_export_written_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="fhir_export_by_status")]

    def __str__(self) -> str:
        return str(self.id)
