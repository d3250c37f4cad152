"""The results inbox pages. Thin: the selectors and services decide."""

import hashlib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox import selectors, services
from inbox.forms import AcknowledgeForm
from inbox.models import FollowUp, Notice, NoticeKind


def _fingerprint(page) -> str:
    """What the live list shows: the poll answers 204 (htmx keeps the page, and any
    comment being typed) until it changes."""
    rows = ",".join(f"{entry.pk}" for entry in page.results) + f"|{page.next_cursor}"
    return hashlib.sha256(rows.encode()).hexdigest()[:16]


def _context(request):
    cursor = request.GET.get("cursor") or None
    page = selectors.inbox(request.user, seen=request.session, cursor=cursor)
    return {"page": page, "cursor": cursor or "", "fingerprint": _fingerprint(page),
            "form": AcknowledgeForm()}


@login_required
def inbox(request):
    return render(request, "inbox/inbox.html", _context(request))


@login_required
def inbox_live(request):
    context = _context(request)
    if request.GET.get("shown") == context["fingerprint"]:
        return HttpResponse(status=204)
    return render(request, "inbox/_live.html", context)


def _follow_up_target(notice: Notice) -> str | None:
    """Where the chosen follow-up is done: the order form with the test ticked, the
    prescription form, or booking an appointment for the patient."""
    if notice.follow_up == FollowUp.REORDER and notice.kind == NoticeKind.RESULT:
        test = notice.details.get("test_code", "")
        return (reverse("labs:order-new", args=[notice.med_id])
                + (f"?{urlencode({'test': test})}" if test else ""))
    if notice.follow_up == FollowUp.PRESCRIBE:
        return reverse("prescriptions:write", args=[notice.med_id])
    if notice.follow_up == FollowUp.RECALL:
        return f"{reverse('queue:book')}?{urlencode({'patient': notice.med_id})}"
    return None


@login_required
@require_POST
def acknowledge(request, notice_id):
    form = AcknowledgeForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("inbox:inbox")
    if form.is_valid():
        try:
            notice = services.acknowledge(actor=request.user, notice_id=notice_id,
                                          **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Acknowledged."))
            return redirect(_follow_up_target(notice) or back)
    context = _context(request)
    context["form_errors"] = form.errors
    return render(request, "inbox/inbox.html", context, status=400)


def result_section(request, result) -> str:
    """The result page's section (hook LAB_RESULT_SECTIONS): who was told about this
    result, when and how, who acknowledged it, and the viewer's acknowledgement form."""
    record = selectors.result_record(request.user, result.public_id)
    if record is None:
        return ""
    return render_to_string("inbox/_result_record.html", {
        "record": record, "form": AcknowledgeForm(), "next": request.get_full_path(),
    }, request=request)
