"""The patient check cannot be guessed: wrong checks are counted, and too many refused.

A pharmacist or a pharmacy system confirms the patient by the last four PINFL digits or
the birth date (selectors.patient_check_matches). Four digits are 10,000 tries, so each
wrong check is recorded in PostgreSQL (FailedPatientCheck) and, over the last
PATIENT_CHECK_WINDOW_SECONDS, a prescription code with PATIENT_CHECK_FAILURES_PER_CODE
wrong checks (from anywhere), or a checker (a pharmacy key or a pharmacist) with
PATIENT_CHECK_FAILURES_PER_CHECKER (over any codes), gets no more checks until the
oldest of those ages out: PatientCheckLocked, which the API answers 429 with
Retry-After and the pharmacist's page with a message. `find_for_pharmacy` applies it,
so the API and the pages share the rule; the refusal's audit event is written by
`selectors.lockout_audited` around the caller's transaction, so a rollback cannot lose it.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from prescriptions.models import FailedPatientCheck


class PatientCheckLocked(Exception):
    """Too many wrong patient checks: refused for `retry_after` seconds (HTTP 429)."""

    def __init__(self, message: str, *, retry_after: int, reason: str):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.reason = reason


def checker_of(by) -> str:
    """Who is counted: the pharmacy system's key, or the pharmacist."""
    if by.api_key is not None:
        return f"api-key:{by.api_key.prefix}"
    return f"user:{by.user.pk}"


def _window() -> timedelta:
    return timedelta(seconds=settings.PATIENT_CHECK_WINDOW_SECONDS)


def refuse_when_locked(*, by, code: str) -> None:
    """Raise PatientCheckLocked if this code or this checker has had too many wrong checks
    in the window. One query: the limit-th most recent failure of each, if there is one;
    the lock lasts until that failure leaves the window."""
    recent = FailedPatientCheck.objects.filter(failed_at__gt=timezone.now() - _window())

    def limit_th_latest(failures, limit: int, kind: str):
        return (failures.order_by("-failed_at").annotate(kind=Value(kind))
                .values_list("kind", "failed_at")[limit - 1:limit])

    per_code = settings.PATIENT_CHECK_FAILURES_PER_CODE
    per_checker = settings.PATIENT_CHECK_FAILURES_PER_CHECKER
    reached = dict(limit_th_latest(recent.filter(code=code[:16]), per_code, "code").union(
        limit_th_latest(recent.filter(checker=checker_of(by)), per_checker, "checker"),
        all=True))
    if not reached:
        return
    kind = max(reached, key=reached.get)
    seconds = max(1, math.ceil((reached[kind] + _window() - timezone.now()).total_seconds()))
    minutes = math.ceil(seconds / 60)
    if kind == "code":
        message = _("Too many wrong patient checks for this prescription. Check the "
                    "patient's identity document; the check can be tried again in "
                    "%(minutes)d minutes.") % {"minutes": minutes}
        reason = f"patient check locked: {per_code} wrong checks of this code"
    else:
        message = _("Too many wrong patient checks from this account. Checks can be tried "
                    "again in %(minutes)d minutes.") % {"minutes": minutes}
        reason = f"patient check locked: {per_checker} wrong checks by {checker_of(by)}"
    raise PatientCheckLocked(message, retry_after=seconds, reason=reason)


def record_failure(*, by, code: str) -> None:
    FailedPatientCheck.objects.create(code=code[:16], pharmacy=by.pharmacy,
                                      checker=checker_of(by))


def forget_old_failures() -> int:
    """Delete wrong checks older than the window: they no longer count (beat, hourly)."""
    deleted, _by_model = FailedPatientCheck.objects.filter(
        failed_at__lte=timezone.now() - _window()).delete()
    return deleted
