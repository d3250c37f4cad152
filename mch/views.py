"""The card's pregnancy and immunisation sections and the family doctor's district list.
Thin: services write, selectors read and audit."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dmed.forms import attach_errors
from mch import selectors, services
from mch.forms import (
    AdverseEventForm,
    AefiFilterForm,
    AntenatalVisitForm,
    DischargeForm,
    DistrictFilterForm,
    ExemptionForm,
    GrowthForm,
    InvestigationForm,
    OutcomeForm,
    PregnancyForm,
    VaccinationForm,
)
from patients.access import CARING_ROLES
from registry.selectors import acting_facility_code


@dataclass(frozen=True)
class SectionPage:
    """A section of the card (pregnancy, immunisation): its page, shown again with the
    refused form and its messages when a write fails."""

    url_name: str
    template: str
    read: object  # the selector: (user, med_id) -> section
    blank_forms: object  # (request) -> {context name: unbound form}

    def render(self, request, med_id, status=200, **forms):
        section = self.read(request.user, med_id)
        context = {"section": section, "card": section.access.card,
                   "can_write": request.user.role in CARING_ROLES,
                   **self.blank_forms(request), **forms}
        return render(request, self.template, context, status=status)

    def view(self):
        @login_required
        def page(request, med_id):
            return self.render(request, med_id)
        return page

    def write(self, form_name: str, form_class, service, success):
        """The view of one form posted to this section: the service writes (its refusal
        lands on the form's fields, nothing written), then back to the section."""
        @login_required
        @require_POST
        def post(request, med_id):
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    service(actor=request.user, med_id=med_id, **form.service_arguments())
                except ValidationError as error:
                    attach_errors(form, error)
                else:
                    messages.success(request, success)
                    return redirect(self.url_name, med_id=med_id)
            return self.render(request, med_id, status=400, **{form_name: form})
        return post


PREGNANCY = SectionPage(
    "mch:pregnancy", "mch/pregnancy.html", selectors.pregnancy_section,
    lambda request: {"register_form": PregnancyForm(), "visit_form": AntenatalVisitForm(),
                     "outcome_form": OutcomeForm(
                         initial={"facility": acting_facility_code(request.user)}),
                     # One form per baby: the refused one comes back as discharge_form.
                     "discharge_form": None, "blank_discharge_form": DischargeForm()})
IMMUNISATION = SectionPage(
    "mch:immunisation", "mch/immunisation.html", selectors.immunisation_section,
    lambda request: {"vaccination_form": VaccinationForm(), "exemption_form": ExemptionForm(),
                     "growth_form": GrowthForm(), "aefi_form": AdverseEventForm()})

pregnancy = PREGNANCY.view()
register_pregnancy = PREGNANCY.write("register_form", PregnancyForm,
                                     services.register_pregnancy, _("Pregnancy registered."))
antenatal_visit = PREGNANCY.write("visit_form", AntenatalVisitForm,
                                  services.record_antenatal_visit,
                                  _("Antenatal contact recorded."))
outcome = PREGNANCY.write("outcome_form", OutcomeForm, services.record_outcome,
                          _("Outcome recorded."))
newborn_discharge = PREGNANCY.write("discharge_form", DischargeForm,
                                    services.record_newborn_discharge,
                                    _("Discharge home recorded: home visits count from it."))

immunisation = IMMUNISATION.view()
vaccination = IMMUNISATION.write("vaccination_form", VaccinationForm,
                                 services.record_vaccination, _("Vaccination recorded."))
exemption = IMMUNISATION.write("exemption_form", ExemptionForm, services.record_exemption,
                               _("Recorded."))
growth = IMMUNISATION.write("growth_form", GrowthForm, services.record_growth,
                            _("Measurement recorded."))
report_adverse_event = IMMUNISATION.write(
    "aefi_form", AdverseEventForm, services.report_adverse_event,
    _("Adverse event reported to the district's epidemiologist."))


@login_required
def district(request):
    form = DistrictFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    listing = selectors.district_list(
        request.user, **filters, overdue_cursor=request.GET.get("overdue_page"),
        due_cursor=request.GET.get("due_page"),
        pregnancy_cursor=request.GET.get("pregnancy_page"))
    return render(request, "mch/district.html", {"form": form, "listing": listing},
                  status=400 if form.errors else 200)


@login_required
def aefi_list(request):
    """The district epidemiologist's worklist of adverse events following immunisation."""
    form = AefiFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    worklist = selectors.aefi_worklist(request.user, **filters,
                                       cursor=request.GET.get("page"))
    return render(request, "mch/aefi_list.html", {"form": form, "worklist": worklist},
                  status=400 if form.errors else 200)


def _aefi_page(request, public_id, form, status=200):
    event = selectors.aefi_report(request.user, public_id)
    return render(request, "mch/aefi_report.html",
                  {"event": event, "form": form if not event.causality else None},
                  status=status)


@login_required
def aefi_report(request, public_id):
    return _aefi_page(request, public_id, InvestigationForm())


@login_required
@require_POST
def aefi_investigate(request, public_id):
    form = InvestigationForm(request.POST)
    if form.is_valid():
        try:
            services.investigate_adverse_event(actor=request.user, public_id=public_id,
                                               **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Investigation recorded."))
            return redirect(reverse("mch:aefi", args=[public_id]))
    return _aefi_page(request, public_id, form, status=400)
