import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.utils.translation import gettext as _

from dmed.audit import reset_request_origin, set_request_origin

SESSION_LOGIN_AT = "dmed_login_at"
SESSION_SEEN_AT = "dmed_seen_at"
# Refresh the idle clock at most once a minute, so an active user does not cost a
# session write on every request.
SEEN_REFRESH_SECONDS = 60


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR") or None


class SessionLifetimeMiddleware:
    """End a session after SESSION_IDLE_SECONDS idle or SESSION_ABSOLUTE_SECONDS in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and SESSION_LOGIN_AT in request.session:
            now = int(time.time())
            session = request.session
            idle = now - session.get(SESSION_SEEN_AT, now)
            total = now - session[SESSION_LOGIN_AT]
            if idle > settings.SESSION_IDLE_SECONDS or total > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return self._expired(request)
            if idle >= SEEN_REFRESH_SECONDS:
                session[SESSION_SEEN_AT] = now
        return self.get_response(request)

    def _expired(self, request):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Your session has ended. Please sign in again.")}, status=401
            )
        return redirect_to_login(request.get_full_path())


def start_session_clock(request) -> None:
    now = int(time.time())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now


class RequestContextMiddleware:
    """Make the request's origin available to record_audit_event."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_origin(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        try:
            return self.get_response(request)
        finally:
            reset_request_origin(token)
