"""The card's pregnancy and immunisation sections and the family doctor's district list.
Thin: services write, selectors read and audit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mch import selectors, services
from mch.forms import (
    AntenatalVisitForm,
    DistrictFilterForm,
    ExemptionForm,
    GrowthForm,
    OutcomeForm,
    PregnancyForm,
    VaccinationForm,
)
from patients.access import CARING_ROLES
from registry.selectors import acting_facility_code


def _attach_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _submit(request, form, write, success: str) -> bool:
    """Run a write from a bound form; errors land on the form's fields."""
    if not form.is_valid():
        return False
    try:
        write(actor=request.user, med_id=request.resolver_match.kwargs["med_id"],
              **form.service_arguments())
    except ValidationError as error:
        _attach_errors(form, error)
        return False
    messages.success(request, success)
    return True


def _pregnancy_page(request, med_id, status=200, **forms):
    section = selectors.pregnancy_section(request.user, med_id)
    context = {
        "section": section, "card": section.access.card,
        "register_form": PregnancyForm(), "visit_form": AntenatalVisitForm(),
        "outcome_form": OutcomeForm(initial={"facility": acting_facility_code(request.user)}),
        "can_write": request.user.role in CARING_ROLES,
    } | forms
    return render(request, "mch/pregnancy.html", context, status=status)


@login_required
def pregnancy(request, med_id):
    return _pregnancy_page(request, med_id)


@login_required
@require_POST
def register_pregnancy(request, med_id):
    form = PregnancyForm(request.POST)
    if _submit(request, form, services.register_pregnancy, _("Pregnancy registered.")):
        return redirect("mch:pregnancy", med_id=med_id)
    return _pregnancy_page(request, med_id, status=400, register_form=form)


@login_required
@require_POST
def antenatal_visit(request, med_id):
    form = AntenatalVisitForm(request.POST)
    if _submit(request, form, services.record_antenatal_visit,
               _("Antenatal contact recorded.")):
        return redirect("mch:pregnancy", med_id=med_id)
    return _pregnancy_page(request, med_id, status=400, visit_form=form)


@login_required
@require_POST
def outcome(request, med_id):
    form = OutcomeForm(request.POST)
    if _submit(request, form, services.record_outcome, _("Outcome recorded.")):
        return redirect("mch:pregnancy", med_id=med_id)
    return _pregnancy_page(request, med_id, status=400, outcome_form=form)


def _immunisation_page(request, med_id, status=200, **forms):
    section = selectors.immunisation_section(request.user, med_id)
    context = {"section": section, "card": section.access.card,
               "vaccination_form": VaccinationForm(), "exemption_form": ExemptionForm(),
               "growth_form": GrowthForm(),
               "can_write": request.user.role in CARING_ROLES} | forms
    return render(request, "mch/immunisation.html", context, status=status)


@login_required
def immunisation(request, med_id):
    return _immunisation_page(request, med_id)


@login_required
@require_POST
def vaccination(request, med_id):
    form = VaccinationForm(request.POST)
    if _submit(request, form, services.record_vaccination, _("Vaccination recorded.")):
        return redirect("mch:immunisation", med_id=med_id)
    return _immunisation_page(request, med_id, status=400, vaccination_form=form)


@login_required
@require_POST
def exemption(request, med_id):
    form = ExemptionForm(request.POST)
    if _submit(request, form, services.record_exemption, _("Recorded.")):
        return redirect("mch:immunisation", med_id=med_id)
    return _immunisation_page(request, med_id, status=400, exemption_form=form)


@login_required
@require_POST
def growth(request, med_id):
    form = GrowthForm(request.POST)
    if _submit(request, form, services.record_growth, _("Measurement recorded.")):
        return redirect("mch:immunisation", med_id=med_id)
    return _immunisation_page(request, med_id, status=400, growth_form=form)


@login_required
def district(request):
    form = DistrictFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    listing = selectors.district_list(request.user, **filters)
    return render(request, "mch/district.html", {"form": form, "listing": listing},
                  status=400 if form.errors else 200)
