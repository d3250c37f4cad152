"""Ward and stay pages. Thin: clinics.stays.services and selectors decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.stays import selectors, services
from clinics.stays.forms import AdmitForm, DischargeForm, NoteForm, TransferForm
from dmed.roles import Role
from patients.identifiers import format_med_id


def _attach_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.message_dict.items():
        target = {"diagnoses": "primary_diagnosis", "text": "text"}.get(field, field)
        form.add_error(target if target in form.fields else None, field_errors)


@login_required
def wards(request):
    return render(request, "clinics/stays/wards.html",
                  {"departments": selectors.departments_with_occupancy(request.user)})


@login_required
def board(request, department_code):
    department, beds = selectors.ward_board(request.user, department_code)
    return render(request, "clinics/stays/board.html", {
        "department": department, "beds": beds,
        "can_admit": request.user.role == Role.CLINICIAN})


@login_required
def admit(request):
    beds = selectors.free_beds(request.user)
    form = AdmitForm(request.POST or None, beds=beds,
                     initial={"bed": request.GET.get("bed"), "card": request.GET.get("card")})
    if request.method == "POST" and form.is_valid():
        try:
            stay = services.admit(request.user, form.cleaned_data["card"],
                                  bed=form.cleaned_data["bed"],
                                  admitting_diagnosis=form.cleaned_data["admitting_diagnosis"],
                                  note=form.cleaned_data["note"])
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, _("Admitted."))
            return redirect("clinics:stay", public_id=stay.public_id)
    return render(request, "clinics/stays/admit.html", {"form": form},
                  status=400 if form.errors else 200)


def _stay_page(request, stay, *, note_form=None, transfer_form=None, discharge_form=None,
               status=200):
    is_clinician = request.user.role == Role.CLINICIAN
    beds = selectors.free_beds(request.user) if stay.is_current and is_clinician else []
    return render(request, "clinics/stays/detail.html", {
        "stay": stay, "med_id": format_med_id(stay.card.med_id),
        "current_bed": selectors.current_bed(stay), "is_clinician": is_clinician,
        "note_form": note_form or NoteForm(),
        "transfer_form": transfer_form or TransferForm(beds=beds),
        "discharge_form": discharge_form or DischargeForm(),
    }, status=status)


@login_required
def detail(request, public_id):
    return _stay_page(request, selectors.stay_for(request.user, public_id))


def _act(request, public_id, form, call, success, form_name):
    if form.is_valid():
        try:
            arguments = (form.service_arguments() if hasattr(form, "service_arguments")
                         else form.cleaned_data)
            call(**arguments)
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("clinics:stay", public_id=public_id)
    stay = selectors.stay_for(request.user, public_id)
    return _stay_page(request, stay, status=400, **{form_name: form})


@login_required
@require_POST
def add_note(request, public_id):
    return _act(request, public_id, NoteForm(request.POST),
                lambda **data: services.add_note(request.user, public_id, **data),
                _("Note added."), "note_form")


@login_required
@require_POST
def transfer(request, public_id):
    form = TransferForm(request.POST, beds=selectors.free_beds(request.user))
    return _act(request, public_id, form,
                lambda **data: services.transfer(request.user, public_id, **data),
                _("Transferred."), "transfer_form")


@login_required
@require_POST
def discharge(request, public_id):
    return _act(request, public_id, DischargeForm(request.POST),
                lambda **data: services.discharge(request.user, public_id, **data),
                _("Discharged."), "discharge_form")


@login_required
def card_list(request, med_id):
    return render(request, "clinics/stays/list.html", {
        "page": selectors.stays_of_card(request.user, med_id,
                                        cursor=request.GET.get("cursor") or None),
        "med_id": format_med_id(med_id), "card_med_id": med_id})
