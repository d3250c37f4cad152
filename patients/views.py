"""Card pages for staff and the patient's own pages. Thin: services and selectors decide."""

from functools import partial

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dmed.forms import attach_errors
from dmed.models import AuditAction
from dmed.roles import Role
from patients import selectors, services
from patients.access import (
    CARING_ROLES,
    CardAccessDenied,
    Section,
    card_for,
    registers_attachments,
    sees,
)
from patients.forms import (
    AllergyForm,
    AttachmentDecisionForm,
    AttachmentRequestForm,
    BreakGlassForm,
    ConditionForm,
    EndAllergyForm,
    GrantReviewForm,
    PinflLookupForm,
    RegisterCardForm,
    SearchForm,
)
from patients.identifiers import format_med_id
from patients.models import PatientCard
from patients.summary import summary_context
from registry.selectors import acting_staff_record, clinicians_at


def _caring_only(user):
    if user.role not in CARING_ROLES:
        raise PermissionDenied(_("Clinicians and nurses record the clinical summary."))


def _staff_only(user):
    if user.role not in (Role.CLINICIAN, Role.NURSE, Role.REGISTRAR, Role.ADMINISTRATOR):
        raise PermissionDenied


@login_required
def search(request):
    _staff_only(request.user)
    form = SearchForm(request.GET or None)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        try:
            page = selectors.search_cards(request.user, query=form.cleaned_data["q"],
                                          cursor=form.cleaned_data["cursor"] or None)
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "patients/search.html", {
        "form": form, "page": page,
        "break_glass_form": BreakGlassForm() if page and page.glimpse else None,
        "attachment_form": AttachmentRequestForm() if page and page.glimpse else None})


@login_required
def register(request):
    """Registration starts from the PINFL: a PINFL some card holds (merged and temporary
    ones included) leads to that card, or to what the person may do about it when it is
    outside scope; never to a second card. Only then is the rest typed."""
    _staff_only(request.user)
    if request.method != "POST":
        lookup = PinflLookupForm(request.GET if request.GET else None)
        if not lookup.is_valid():
            return render(request, "patients/register_lookup.html", {"lookup": lookup},
                          status=400 if lookup.errors else 200)
        holder = selectors.card_holding_pinfl(request.user, lookup.cleaned_data["pinfl"])
        if holder is not None and holder.openable:
            messages.info(request, _("A card with this PINFL exists: here it is."))
            return redirect("patients:card", med_id=holder.med_id)
        if holder is not None:
            # The search page says the card exists and offers what the role may do, found
            # by the PINFL typed (by the MED-ID of the card a merged one went into).
            typed = holder.med_id if holder.merged else lookup.cleaned_data["pinfl"]
            return redirect(f"{reverse('patients:search')}?{urlencode({'q': typed})}")
        form = RegisterCardForm(initial=lookup.card_initial())
        return render(request, "patients/register.html",
                      {"form": form, "candidates": [], "duplicate_found": False})
    form = RegisterCardForm(request.POST)
    candidates, hints = [], []
    if form.is_valid():
        try:
            card = services.register_card(actor=request.user, **form.service_arguments())
        except services.PossibleDuplicate as duplicate:
            # Cards this registrar may open are listed with links; others are described
            # (without MED-ID) in the form's message.
            candidates, hints = duplicate.candidates, duplicate.hints
            attach_errors(form, duplicate)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Card %(med_id)s registered.")
                             % {"med_id": format_med_id(card.med_id)})
            return redirect("patients:card", med_id=card.med_id)
    return render(request, "patients/register.html", {
        "form": form, "candidates": candidates, "duplicate_found": bool(candidates or hints)})


@login_required
@require_POST
def register_temporary(request):
    """One press for an unidentified person brought in: the card exists at once."""
    _staff_only(request.user)
    card = services.register_temporary_card(actor=request.user)
    messages.success(request, _("Temporary card %(med_id)s opened.")
                     % {"med_id": format_med_id(card.med_id)})
    return redirect("patients:card", med_id=card.med_id)


@login_required
def card(request, med_id):
    try:
        access = card_for(request.user, med_id)
    except CardAccessDenied as denied:
        return render(request, "patients/out_of_scope.html",
                      {"med_id": med_id, "can_break_glass": denied.can_break_glass,
                       "can_request_attachment": registers_attachments(request.user),
                       "form": BreakGlassForm(),
                       "attachment_form": AttachmentRequestForm()}, status=403)
    return render(request, "patients/card.html",
                  _card_context(request, access.card, access.break_glass))


def _card_context(request, card: PatientCard, break_glass: bool) -> dict:
    card = (PatientCard.objects.select_related("attached_facility", "family_doctor", "region",
                                               "district")
            .prefetch_related("documents").get(pk=card.pk))
    context = {"card": card, "med_id": format_med_id(card.med_id), "break_glass": break_glass}
    if sees(request.user, Section.ATTACHMENT):
        context["attachments"] = selectors.attachment_history(card)
    if selectors.reads_clinical_summary(request.user):
        context.update(summary_context(request, card, next_url=request.get_full_path()))
        context["card"] = card
    return context


@login_required
@require_POST
def break_glass(request, med_id):
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            services.break_the_glass(actor=request.user, med_id=med_id,
                                     reason=form.cleaned_data["reason"])
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("patients:card", med_id=med_id)
    return render(request, "patients/out_of_scope.html",
                  {"med_id": med_id, "can_break_glass": True, "form": form}, status=400)


@login_required
def print_card(request, med_id):
    access = card_for(request.user, med_id, action=AuditAction.PRINT)
    qr = segno.make(access.card.med_id, error="m")
    return render(request, "patients/print.html", {
        "card": access.card, "med_id": format_med_id(access.card.med_id),
        "qr_svg": qr.svg_inline(scale=4, dark="#111"),
    })


def _own_card(user) -> PatientCard:
    if user.role != Role.PATIENT or not hasattr(user, "patient_card"):
        raise PermissionDenied
    return user.patient_card


@login_required
def my_card(request):
    access = card_for(request.user, _own_card(request.user).med_id)
    context = _card_context(request, access.card, False)
    context["represented"] = selectors.represented_cards(request.user)
    return render(request, "patients/card.html", context)


@login_required
def my_access_log(request):
    card = _own_card(request.user)
    events = selectors.card_access_log(request.user, card.med_id)
    return render(request, "patients/access_log.html", {
        "lines": selectors.access_log_lines(events),
        "grants": selectors.break_glass_of_card(card)})


@login_required
def break_glass_reviews(request):
    """The head's queue: break-the-glass openings at their facility, to confirm or refer."""
    return render(request, "patients/break_glass_reviews.html", {
        "grants": selectors.grants_to_review(request.user), "form": GrantReviewForm(),
        "now": timezone.now()})


@login_required
@require_POST
def review_break_glass(request, grant_id):
    form = GrantReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_break_glass(actor=request.user, grant_id=grant_id,
                                        **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The review is recorded; the patient sees it."))
    else:
        messages.error(request, _("Choose justified or referred."))
    return redirect("patients:break-glass-reviews")


# The card's clinical summary (allergies, chronic conditions), kept from the card page and
# from the visit form. Each change posts here; with htmx the section answers in place, and
# the banner with it (out of band), so a visit being typed is never left.

def _back(request, med_id: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("patients:card", args=[med_id])


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _summary_answer(request, med_id: str, *, failed=None):
    """The refreshed section (htmx), or back to the page it was sent from. Read through
    card_for like any page: a refused form is shown again only to who may open the card."""
    if failed is None and not _htmx(request):
        return redirect(_back(request, med_id))
    card = card_for(request.user, med_id).card
    context = summary_context(request, card, next_url=_back(request, med_id), failed=failed)
    template = ("patients/_clinical_summary_answer.html" if _htmx(request)
                else "patients/clinical_summary.html")
    return render(request, template, context, status=400 if failed else 200)


def _summary_write(request, med_id: str, form: forms.Form, call) -> object:
    _caring_only(request.user)
    if form.is_valid():
        try:
            call(actor=request.user, med_id=med_id, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return _summary_answer(request, med_id)
    return _summary_answer(request, med_id, failed=(form.prefix, form))


@login_required
@require_POST
def add_allergy(request, med_id):
    return _summary_write(request, med_id, AllergyForm(request.POST, prefix="allergy"),
                          services.record_allergy)


@login_required
@require_POST
def correct_allergy(request, med_id, allergy_id):
    return _summary_write(request, med_id,
                          AllergyForm(request.POST, prefix=f"a-{allergy_id}"),
                          partial(services.correct_allergy, allergy_id=allergy_id))


@login_required
@require_POST
def end_allergy(request, med_id, allergy_id):
    form = EndAllergyForm(request.POST, prefix=f"e-{allergy_id}")
    return _summary_write(request, med_id, form, lambda end_reason, **arguments:
                          services.end_allergy(allergy_id=allergy_id, reason=end_reason,
                                               **arguments))


@login_required
@require_POST
def no_known_allergies(request, med_id):
    _caring_only(request.user)
    try:
        services.record_no_known_allergies(actor=request.user, med_id=med_id)
    except ValidationError as error:
        form = AllergyForm(prefix="allergy")
        form.add_error(None, error)
        return _summary_answer(request, med_id, failed=("allergy", form))
    return _summary_answer(request, med_id)


@login_required
@require_POST
def add_condition(request, med_id):
    return _summary_write(request, med_id, ConditionForm(request.POST, prefix="condition"),
                          services.record_chronic_condition)


@login_required
@require_POST
def correct_condition(request, med_id, condition_id):
    return _summary_write(request, med_id,
                          ConditionForm(request.POST, prefix=f"c-{condition_id}"),
                          partial(services.correct_chronic_condition,
                                  condition_id=condition_id))


@login_required
@require_POST
def revoke_break_glass(request, grant_id):
    try:
        services.revoke_break_glass(actor=request.user, grant_id=grant_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The access is revoked."))
    return redirect("patients:break-glass-reviews")


# Attachment requests: a registrar takes the person's application at the desk (from the
# page saying their card exists outside scope), or the person sends it from their phone;
# the polyclinic asked decides.

@login_required
@require_POST
def request_attachment(request, med_id):
    if request.user.role != Role.REGISTRAR:
        raise PermissionDenied(_("A registrar records requests to their own polyclinic."))
    form = AttachmentRequestForm(request.POST)
    if form.is_valid():
        record = acting_staff_record(request.user)
        try:
            services.request_attachment(actor=request.user, med_id=med_id,
                                        facility=record.facility if record else None,
                                        **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The request of attachment is recorded; decide it "
                                        "below."))
            return redirect("patients:attachment-requests")
    return render(request, "patients/attachment_request.html",
                  {"form": form, "med_id": med_id}, status=400)


def _doctors(user) -> list:
    record = acting_staff_record(user)
    return list(clinicians_at(record.facility_id)) if record else []


@login_required
def attachment_requests(request, failed=None):
    """The polyclinic's requests of attachment: those awaiting decision, then the latest
    decided. `failed` is (request id, bound form) when a decision was refused."""
    requests = selectors.attachment_requests_to_decide(request.user)
    doctors = _doctors(request.user)
    forms_of = {str(r.public_id): AttachmentDecisionForm(doctors=doctors, prefix=str(r.public_id))
                for r in requests if r.status == "pending"}
    if failed:
        forms_of[failed[0]] = failed[1]
    for attachment_request in requests:
        attachment_request.form = forms_of.get(str(attachment_request.public_id))
    return render(request, "patients/attachment_requests.html", {"requests": requests},
                  status=400 if failed else 200)


@login_required
@require_POST
def decide_attachment(request, request_id):
    form = AttachmentDecisionForm(request.POST, doctors=_doctors(request.user),
                                  prefix=str(request_id))
    if form.is_valid():
        try:
            services.decide_attachment_request(actor=request.user, request_id=request_id,
                                               **form.service_arguments())
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The decision is recorded; the patient is told."))
            return redirect("patients:attachment-requests")
    return attachment_requests(request, failed=(str(request_id), form))


@login_required
def my_attachment(request):
    """The patient's polyclinic, where their card has been attached, their requests, and
    a form to ask another polyclinic."""
    card = _own_card(request.user)
    form = AttachmentRequestForm(request.POST or None, choose_facility=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_attachment(actor=request.user, med_id=card.med_id,
                                        **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Your request is sent; the polyclinic decides."))
            return redirect("patients:my-attachment")
    access = card_for(request.user, card.med_id)
    return render(request, "patients/my_attachment.html", {
        "card": access.card, "form": form,
        "attachments": selectors.attachment_history(access.card),
        "requests": selectors.attachment_requests_of_card(access.card),
    }, status=400 if form.errors else 200)
