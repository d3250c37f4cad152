from django.conf import settings
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _error(request, status: int, template: str, detail: str, code: str):
    if _wants_json(request):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return render(request, template, {"detail": detail}, status=status)


def page_not_found(request, exception=None):
    return _error(request, 404, "404.html", _("Not found."), "not_found")


def permission_denied(request, exception=None):
    return _error(request, 403, "403.html",
                  _("You do not have permission to open this page."), "permission_denied")


def server_error(request):
    detail = _("Something went wrong on our side. Please try again.")
    if _wants_json(request):
        return JsonResponse({"detail": detail, "code": "server_error"}, status=500)
    # Rendered without the request: its context (the user, the session) may be what failed.
    return HttpResponseServerError(loader.render_to_string("500.html", {"detail": detail}))


def bad_request(request, exception=None):
    return _error(request, 400, "400.html", _("The request could not be understood."),
                  "bad_request")


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes calls this when a username and address have failed too often."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _error(request, 429, "registration/locked_out.html",
                  _("Too many failed sign-in attempts. Try again in %(minutes)s minutes.")
                  % {"minutes": minutes}, "locked_out")
