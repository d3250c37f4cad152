import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dmed.acting import reset_chosen_facility, set_chosen_facility
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
    """Make the request's origin, and the facility its user chose to act for, available to
    record_audit_event and the staff lookups."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_origin(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        choice = set_chosen_facility(request)
        try:
            return self.get_response(request)
        finally:
            reset_chosen_facility(choice)
            reset_request_origin(token)


def _error_answer(request, status: int, detail: str, code: str, fields: dict | None = None):
    """An error answered by a middleware, before any view: the API's error format under
    /api/, a short page otherwise (rendered without the request, whose session and user
    may not be loaded yet)."""
    from dmed.api.errors import error_body

    if request.path.startswith("/api/"):
        return JsonResponse(error_body(detail, code, fields), status=status)
    return HttpResponse(format_html(
        '<!doctype html><html><head><meta charset="utf-8"><title>{} · DMED</title></head>'
        "<body><main><h1>{}</h1><p>{}</p></main></body></html>", status, status, detail),
        status=status)


class RequestSizeLimitMiddleware:
    """Answer 413 to a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE before reading it.

    Django checks that limit only when request.body or request.POST is read; DRF's parsers
    read the stream themselves, so without this an anonymous 50 MB JSON body to the token
    endpoint is read and parsed in full. The size is judged on Content-Length; a body sent
    without one (chunked) is never read at all, since Django reads no further than the
    Content-Length it was given (none: zero bytes). Staff uploads to the admin (the drug
    registry's CSV import) may be up to ADMIN_UPLOAD_MAX_SIZE: their files stream to disk.
    Placed first, so nothing before it touches the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = self.limit_for(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body
        if limit is not None and length > limit:
            with translation.override(translation.get_language_from_request(request)):
                return _error_answer(
                    request, 413,
                    _("The request is too large: at most %(size)s bytes are accepted.")
                    % {"size": limit}, "too_large")
        return self.get_response(request)

    @staticmethod
    def limit_for(request) -> int | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if (request.path.startswith(f"/{ADMIN_PREFIX}")
                and request.content_type == "multipart/form-data"):
            limit = settings.ADMIN_UPLOAD_MAX_SIZE
        return limit


# The admin site's URL prefix (dmed/urls.py).
ADMIN_PREFIX = "admin/"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NulCharacterMiddleware:
    """Answer 400, naming the field, to a NUL character in the path, the query string or a
    form body, for pages and API alike.

    PostgreSQL refuses NUL in any text, so such a value reaching a query is a 500. JSON
    bodies are checked by the API's parser (dmed.api.parsers); this covers what Django
    decodes itself. After the authentication middleware, so the page has its layout.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from dmed.api.parsers import NUL, nul_message

        fields: dict[str, list[str]] = {}
        if NUL in request.path:
            fields["path"] = [nul_message()]
        sources = [request.GET]
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            sources.append(request.POST)
        for source in sources:
            for name, values in source.lists():
                if NUL in name or any(NUL in value for value in values):
                    fields.setdefault(name.replace(NUL, "\\u0000"), [nul_message()])
        if not fields:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return _error_answer(request, 400, _("Some fields are not valid."), "invalid",
                                 fields)
        detail = _("These fields contain a character that is not allowed: %(fields)s.") % {
            "fields": ", ".join(fields)}
        return render(request, "400.html", {"detail": detail}, status=400)
