"""The patronage nurse's day and the visit form. Thin: services write, selectors read and
audit. The form answers the offline queue (static/patronage/queue.js) in JSON."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dmed.forms import attach_errors
from patronage import selectors, services
from patronage.forms import HandOverForm, HomeVisitForm

# The offline queue sends this header: it wants JSON, not a page.
QUEUED = "HTTP_X_PATRONAGE_QUEUE"


@login_required
@never_cache
def route(request):
    return render(request, "patronage/route.html",
                  {"lines": selectors.route_list(request.user)})


def _json_errors(errors, status):
    return JsonResponse({"errors": errors}, status=status)


@login_required
@never_cache
def visit(request, public_id):
    queued = QUEUED in request.META
    try:
        page = selectors.visit_page(request.user, public_id)
    except PermissionDenied:
        if queued:
            return _json_errors({"__all__": ["forbidden"]}, 403)
        raise
    signs = services.warning_signs_for(page.visit.reason)
    form = HomeVisitForm(request.POST if request.method == "POST" else None,
                         reason=page.visit.reason, signs=signs,
                         initial={"idempotency_key": uuid.uuid4()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record, created = services.record_visit(
                    actor=request.user, public_id=public_id, **form.service_arguments())
            except ValidationError as error:
                attach_errors(form, error)
            else:
                if queued:
                    return JsonResponse({"visit": str(record.public_id), "created": created},
                                        status=201 if created else 200)
                return redirect("patronage:route")
        if queued:
            return _json_errors(form.errors, 400)
        status = 400
    return render(request, "patronage/visit.html",
                  {"page": page, "visit": page.visit, "form": form,
                   "hand_over": HandOverForm(colleagues=page.colleagues)}, status=status)


@login_required
@require_POST
def hand_over(request, public_id):
    """The nurse hands a visit of her route to a colleague of the polyclinic."""
    page = selectors.visit_page(request.user, public_id)
    form = HandOverForm(request.POST, colleagues=page.colleagues)
    if form.is_valid():
        try:
            services.reassign(actor=request.user, public_id=public_id,
                              nurse=form.cleaned_data["nurse"])
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("patronage:route")
    signs = services.warning_signs_for(page.visit.reason)
    return render(request, "patronage/visit.html",
                  {"page": page, "visit": page.visit, "hand_over": form,
                   "form": HomeVisitForm(reason=page.visit.reason, signs=signs,
                                         initial={"idempotency_key": uuid.uuid4()})},
                  status=400)


def service_worker(request):
    """The offline queue's worker: no patient data, the same for everyone."""
    response = render(request, "patronage/sw.js", content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response
