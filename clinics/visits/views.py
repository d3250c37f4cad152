"""Visit pages. Thin: clinics.visits.services and selectors decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.coding.selectors import protocols_for
from clinics.visits import selectors, services
from clinics.visits.forms import AddendumForm, VisitForm
from clinics.visits.models import DiagnosisKind, VisitStatus
from dmed.roles import Role
from patients.identifiers import format_med_id
from registry.selectors import acting_facility_code


def _attach_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.message_dict.items():
        target = "primary_diagnosis" if field == "diagnoses" else field
        form.add_error(target if target in form.fields else None, field_errors)


def _primary_protocols(visit, form=None) -> list:
    """Protocols of the primary diagnosis: as typed in a form shown again, else as saved."""
    if form is not None and form.is_bound:
        code = form.data.get("primary_diagnosis", "")
    else:
        code = next((d.code_id for d in visit.diagnoses.all()
                     if d.kind == DiagnosisKind.PRIMARY), "")
    return protocols_for(code) if code.strip() else []


def _lab_order_url(visit, primary_code: str) -> str:
    """The card's lab order form, tied to this visit, with the tests the primary
    diagnosis's protocols suggest already ticked."""
    suggested = [test.code for protocol in (protocols_for(primary_code)
                                            if primary_code.strip() else [])
                 for test in protocol.suggested_tests]
    query = urlencode({"visit": visit.public_id, "test": suggested}, doseq=True)
    return f"{reverse('labs:order-new', args=[visit.card.med_id])}?{query}"


@login_required
@require_POST
def start(request, med_id):
    """From the card page: open (or return to) this clinician's visit with the patient."""
    visit = services.open_visit(request.user, med_id)
    return redirect("clinics:visit-edit", public_id=visit.public_id)


def _visit_form(request, visit, data=None) -> VisitForm:
    form = VisitForm(data, initial=VisitForm.initial_for(visit))
    if request.user.role != Role.CLINICIAN:
        for name in ("primary_diagnosis", "secondary_diagnoses"):
            form.fields[name].disabled = True
    return form


def _render_form(request, visit, form, *, draft=None):
    return render(request, "clinics/visits/form.html", {
        "visit": visit, "form": form, "med_id": format_med_id(visit.card.med_id),
        "protocols": _primary_protocols(visit, form),
        "is_clinician": request.user.role == Role.CLINICIAN, "draft": draft,
    }, status=400 if form.errors else 200)


@login_required
def edit(request, public_id):
    visit = selectors.visit_for(request.user, public_id,
                                object_type=selectors.VISIT_RECORD_OBJECT)
    if visit.status == VisitStatus.CLOSED:
        return redirect("clinics:visit", public_id=visit.public_id)
    is_clinician = request.user.role == Role.CLINICIAN
    if request.method != "POST":
        # Unsaved text from before (a closed browser, a lost connection) comes back as typed.
        draft = selectors.draft_of(request.user, visit)
        form = _visit_form(request, visit)
        if draft is not None:
            form.initial.update(draft.fields)
        return _render_form(request, visit, form, draft=draft)
    form = _visit_form(request, visit, request.POST)
    if form.is_valid():
        try:
            services.record_visit(request.user, visit.public_id,
                                  **form.service_arguments(with_diagnoses=is_clinician))
            if "close" in request.POST:
                # Sealing is never one keystroke away: what will be sealed is shown first.
                visit = selectors.with_details(visit)
                services.check_sealable(visit)
                return render(request, "clinics/visits/confirm_close.html", {
                    "visit": visit, "med_id": format_med_id(visit.card.med_id)})
            if "order_tests" in request.POST:
                return redirect(_lab_order_url(visit, form.cleaned_data["primary_diagnosis"]))
            if "prescribe" in request.POST:  # the form reads the diagnosis just saved
                return redirect(f"{reverse('prescriptions:write', args=[visit.card.med_id])}"
                                f"?{urlencode({'visit': visit.public_id})}")
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("clinics:visit-edit", public_id=visit.public_id)
    return _render_form(request, visit, form)


@login_required
@require_POST
def close(request, public_id):
    """Seal the visit, after its confirmation page; refused per field as the form shows."""
    try:
        visit = services.close_visit(request.user, public_id)
    except ValidationError as error:
        visit = selectors.visit_for(request.user, public_id)
        form = _visit_form(request, visit, VisitForm.initial_for(visit))
        form.is_valid()
        _attach_errors(form, error)
        return _render_form(request, visit, form)
    messages.success(request, _("The visit is closed and signed."))
    return redirect("clinics:visit", public_id=visit.public_id)


@login_required
@require_POST
def save_draft(request, public_id):
    """Autosave from the visit form (while typing, and on leaving the page)."""
    fields = {name: request.POST[name] for name in services.DRAFT_FIELDS
              if name in request.POST}
    try:
        draft = services.save_draft(request.user, public_id, fields=fields)
    except ValidationError as error:
        return JsonResponse({"errors": error.messages}, status=409)
    return JsonResponse({"saved_at": timezone.localtime(draft.saved_at).strftime("%H:%M:%S")})


@login_required
@require_POST
def discard_draft(request, public_id):
    services.discard_draft(request.user, public_id)
    messages.info(request, _("The unsaved draft was discarded."))
    return redirect("clinics:visit-edit", public_id=public_id)


@login_required
def detail(request, public_id):
    visit = selectors.visit_for(request.user, public_id)
    return render(request, "clinics/visits/detail.html", {
        "visit": visit, "med_id": format_med_id(visit.card.med_id),
        "addendum_form": AddendumForm(), "protocols": _primary_protocols(visit),
        "can_add": (visit.status == VisitStatus.CLOSED and request.user.role == Role.CLINICIAN
                    and acting_facility_code(request.user) == visit.facility.code),
    })


@login_required
def summary(request, public_id):
    """The visit on A4 for the patient to take home: diagnoses, vitals, plan, advice. Its
    clinical record: who does not read clinical text (a registrar) is refused."""
    visit = selectors.visit_for(request.user, public_id,
                                object_type=selectors.VISIT_RECORD_OBJECT)
    return render(request, "clinics/visits/summary.html",
                  {"visit": visit, "med_id": format_med_id(visit.card.med_id)})


@login_required
@require_POST
def add_addendum(request, public_id):
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.add_addendum(request.user, public_id, text=form.cleaned_data["text"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Addendum added."))
    else:
        messages.error(request, _("Write what the addendum corrects or adds."))
    return redirect("clinics:visit", public_id=public_id)


@login_required
def facility_list(request):
    page = selectors.facility_visits(request.user, status=request.GET.get("status", ""),
                                     cursor=request.GET.get("cursor") or None)
    return render(request, "clinics/visits/list.html", {
        "page": page, "status": request.GET.get("status", ""), "card": None})


@login_required
def card_list(request, med_id):
    page = selectors.visits_of_card(request.user, med_id,
                                    cursor=request.GET.get("cursor") or None)
    return render(request, "clinics/visits/list.html", {
        "page": page, "med_id": format_med_id(med_id), "card_med_id": med_id})
