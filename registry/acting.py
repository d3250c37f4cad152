"""The facility a member of staff acts for, chosen in the page header (dmed.acting)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dmed.acting import SESSION_KEY
from dmed.roles import STAFF_ROLES
from registry.selectors import acting_choices, acting_staff_record


def acting_facilities(request):
    """For the header: the records a member of staff may act under, and the current one.
    Lazy, and the lookup is the one the page's scope checks already made."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in STAFF_ROLES:
        return {}
    return {"acting_choices": lambda: acting_choices(user),
            "acting_record": lambda: acting_staff_record(user)}


@login_required
@require_POST
def choose_facility(request):
    code = request.POST.get("facility", "")
    if code in {record.facility.code for record in acting_choices(request.user)}:
        request.session[SESSION_KEY] = code
    else:
        messages.error(request, _("You do not work at that facility."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "home"
    return redirect(target)
