"""Failed sign-ins limited three ways, each with its own limit (django-axes handler).

django-axes 8.3 counts failures per each entry of AXES_LOCKOUT_PARAMETERS (here: username
and address together; the username from any address; the address over any usernames)
but compares them all with one AXES_FAILURE_LIMIT (a callable limit only varies by
request, not by entry). One limit cannot fit all three: five tries is right for one
person at one desk, while a polyclinic's fifty doctors share one NAT address, so that
address must be allowed many more, and the username alone (one try from each of many
addresses) sits between. This handler keeps axes's records and lockout and changes two
things:

- the failure count it reports is the entry nearest its own limit, moved onto axes's
  scale: AXES_FAILURE_LIMIT + max(failures of the entry - limit of the entry), so axes
  locks out as soon as any one entry reaches its limit;
- a successful sign-in forgets only that username's failures from that address (axes
  would forget every entry, so one valid account, a patient's say, would wipe the
  address's count of guesses at other usernames after each round).
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _entry_limit(entry, request, credentials) -> int:
    names = (entry,) if isinstance(entry, str) else tuple(entry)
    if names == ("username",):
        return settings.AXES_USERNAME_FAILURE_LIMIT
    if names == ("ip_address",):
        return settings.AXES_ADDRESS_FAILURE_LIMIT
    return get_failure_limit(request, credentials)


class SignInLimitsHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        entries = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        nearest = max(
            (queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0)
            - _entry_limit(entry, request, credentials)
            for entry, queryset in zip(entries, attempts, strict=True)
        )
        return max(0, get_failure_limit(request, credentials) + nearest)

    def reset_user_attempts(self, request, credentials=None) -> int:
        return forget_own_failures(request, get_client_username(request, credentials))


def forget_own_failures(request, username: str) -> int:
    """After a successful sign-in: this username's failures from this address only.

    The sign-in page gets it from axes (user_logged_in); the API's token sign-in, which
    sends no such signal (it opens no session), calls it itself."""
    deleted, _by_model = AccessAttempt.objects.filter(
        username=username, ip_address=request.axes_ip_address).delete()
    return deleted
