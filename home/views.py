from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from dmed.roles import Role
from home.pages import ENTRY_POINTS, GREETINGS, PANELS
from home.panels import Panel
from registry.selectors import acting_staff_record, active_staff_records


def _panels_of(request) -> list:
    """The role's panels that apply to this person (a clinician without a room has no
    queue panel), each read from its app's selector."""
    specs = [spec for spec in PANELS.get(request.user.role, []) if spec.applies(request)]
    return [Panel(spec, spec.read(request, None)) for spec in specs]


def _has_facility(user) -> bool:
    """Staff read their worklists at the facility they act for; without an active staff
    record there is none, and the page offers only its tiles."""
    return user.role == Role.PATIENT or acting_staff_record(user) is not None


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "home/home.html",
        {
            "greeting": GREETINGS.get(user.role, ""),
            "panels": _panels_of(request) if _has_facility(user) else [],
            "entry_points": ENTRY_POINTS.get(user.role, []),
            "staff_records": active_staff_records(user),
        },
    )


@login_required
def panel(request, key):
    """One panel: the next page of its rows (?cursor=), or its live refresh. The whole
    page without htmx, so "more" works as a plain link too."""
    spec = next((spec for spec in PANELS.get(request.user.role, []) if spec.key == key), None)
    if spec is None or not _has_facility(request.user):
        raise Http404
    if not spec.applies(request):
        raise PermissionDenied
    item = Panel(spec, spec.read(request, request.GET.get("cursor") or None))
    if request.headers.get("HX-Request"):
        return render(request, "home/_panel.html", {"panel": item})
    return render(request, "home/panel_page.html", {"panel": item})
