"""Card pages for staff and the patient's own pages. Thin: services and selectors decide."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dmed.models import AuditAction
from dmed.roles import Role
from patients import selectors, services
from patients.access import CardAccessDenied, card_for
from patients.forms import BreakGlassForm, GrantReviewForm, RegisterCardForm, SearchForm
from patients.identifiers import format_med_id
from patients.models import PatientCard


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
        "break_glass_form": BreakGlassForm() if page and page.glimpse else None})


@login_required
def register(request):
    _staff_only(request.user)
    form = RegisterCardForm(request.POST or None)
    candidates, hints = [], []
    if request.method == "POST" and form.is_valid():
        try:
            card = services.register_card(actor=request.user, **form.service_arguments())
        except services.PossibleDuplicate as duplicate:
            # Cards this registrar may open are listed with links; others are described
            # (without MED-ID) in the form's message.
            candidates, hints = duplicate.candidates, duplicate.hints
            _attach_errors(form, duplicate)
        except ValidationError as error:
            _attach_errors(form, error)
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


def _attach_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@login_required
def card(request, med_id):
    try:
        access = card_for(request.user, med_id)
    except CardAccessDenied as denied:
        return render(request, "patients/out_of_scope.html",
                      {"med_id": med_id, "can_break_glass": denied.can_break_glass,
                       "form": BreakGlassForm()}, status=403)
    return render(request, "patients/card.html", _card_context(access.card, access.break_glass))


def _card_context(card: PatientCard, break_glass: bool) -> dict:
    card = (PatientCard.objects.select_related("attached_facility", "family_doctor", "region",
                                               "district")
            .prefetch_related("documents", "allergies", "chronic_conditions")
            .get(pk=card.pk))
    return {"card": card, "med_id": format_med_id(card.med_id), "break_glass": break_glass}


@login_required
@require_POST
def break_glass(request, med_id):
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            services.break_the_glass(actor=request.user, med_id=med_id,
                                     reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _attach_errors(form, error)
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
    context = _card_context(access.card, False)
    context["represented"] = selectors.represented_cards(request.user)
    return render(request, "patients/card.html", context)


@login_required
def my_access_log(request):
    card = _own_card(request.user)
    events = selectors.card_access_log(request.user, card.med_id)
    return render(request, "patients/access_log.html", {
        "events": events, "grants": selectors.break_glass_of_card(card)})


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
