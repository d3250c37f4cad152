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
from functools import cache

from django.conf import settings
from django.db import connection
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
    per_code = settings.PATIENT_CHECK_FAILURES_PER_CODE
    per_checker = settings.PATIENT_CHECK_FAILURES_PER_CHECKER
    with connection.cursor() as cursor:
        cursor.execute(_limit_th_failures_sql(), {
            "since": timezone.now() - _window(), "code": code[:16],
            "checker": checker_of(by), "per_code": per_code - 1,
            "per_checker": per_checker - 1})
        reached = dict(cursor.fetchall())
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


@cache
def _limit_th_failures_sql() -> str:
    """The limit-th most recent failure of the code and of the checker within the window,
    in one statement written once per process: every pharmacy request asks, and Django
    compiling the union anew was a quarter of a verify."""
    table = connection.ops.quote_name(FailedPatientCheck._meta.db_table)
    return (f"(SELECT 'code', failed_at FROM {table} "  # noqa: S608 — the model's table
            "WHERE code = %(code)s AND failed_at > %(since)s "
            "ORDER BY failed_at DESC OFFSET %(per_code)s LIMIT 1) UNION ALL "
            f"(SELECT 'checker', failed_at FROM {table} "
            "WHERE checker = %(checker)s AND failed_at > %(since)s "
            "ORDER BY failed_at DESC OFFSET %(per_checker)s LIMIT 1)")


def record_failure(*, by, code: str) -> None:
    FailedPatientCheck.objects.create(code=code[:16], pharmacy=by.pharmacy,
                                      checker=checker_of(by))


def forget_old_failures() -> int:
    """Delete wrong checks older than the window: they no longer count (beat, hourly)."""
    deleted, _by_model = FailedPatientCheck.objects.filter(
        failed_at__lte=timezone.now() - _window()).delete()
    return deleted
