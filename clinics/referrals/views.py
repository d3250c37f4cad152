"""Referral pages: sending and cancelling from the card, and the receiver's incoming list.
Thin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.referrals import selectors, services
from clinics.referrals.forms import CancelForm, DecisionForm, ReferralForm
from clinics.referrals.models import OPEN_STATUSES
from patients.access import card_for
from registry.selectors import acting_staff_record

# Form fields named differently from the service's arguments.
FIELD_FOR = {"to_clinician": "specialist"}


@login_required
def new_referral(request, med_id):
    access = card_for(request.user, med_id)
    record = acting_staff_record(request.user)
    form = ReferralForm(request.POST or None, region=record.facility.region if record else None,
                        initial={"diagnosis_code": request.GET.get("diagnosis", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.refer(actor=request.user, med_id=med_id, **form.service_arguments())
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                field = FIELD_FOR.get(field, field)
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Referral sent."))
            return redirect("patients:card", med_id=access.card.med_id)
    return render(request, "clinics/referrals/new.html", {
        "card": access.card, "form": form,
        "specialists": [selectors.specialist_choice(record)
                        for record in selectors.specialists_matching(request.user)]},
        status=400 if form.errors else 200)


@login_required
def incoming(request):
    return render(request, "clinics/referrals/incoming.html", {
        "referrals": selectors.incoming_referrals(request.user), "form": DecisionForm()})


@login_required
@require_POST
def decide(request, referral_id):
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_referral(actor=request.user, referral_id=referral_id,
                                     accept=form.cleaned_data["decision"] == "accept",
                                     reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Referral accepted.")
                             if form.cleaned_data["decision"] == "accept"
                             else _("Referral declined."))
    return redirect("referrals:incoming")


@login_required
def card_referrals(request, med_id):
    access, referrals = selectors.card_referrals(request.user, med_id)
    for referral in referrals:
        referral.cancellable = (referral.status in OPEN_STATUSES
                                and services.can_cancel(request.user, referral))
    return render(request, "clinics/referrals/card.html", {
        "card": access.card, "referrals": referrals, "form": CancelForm()})


@login_required
@require_POST
def cancel(request, med_id, referral_id):
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the referral is cancelled."))
    else:
        try:
            services.cancel_referral(actor=request.user, referral_id=referral_id,
                                     reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Referral cancelled."))
    return redirect("referrals:card", med_id=med_id)
