"""The card's clinical summary section (allergies, chronic conditions and their forms): one
context for the card page, the visit form (through the `clinical_summary` tag) and the
answers of the views that change it."""

from __future__ import annotations

from patients import selectors
from patients.access import CARING_ROLES
from patients.forms import AllergyForm, ConditionForm, EndAllergyForm
from patients.hooks import hook
from patients.models import PatientCard


def summary_context(request, card: PatientCard, *, next_url: str,
                    failed: tuple[str, object] | None = None) -> dict:
    """The summary with a form per row; a form refused by the service is shown again, bound,
    in its own place (`failed` is its prefix and the form)."""
    failed_prefix, failed_form = failed or (None, None)

    def form_for(form_class, prefix: str, initial=None):
        if prefix == failed_prefix:
            return failed_form
        return form_class(prefix=prefix, initial=initial)

    summary = selectors.clinical_summary(card)
    allergies = [(allergy,
                  form_for(AllergyForm, f"a-{allergy.public_id}", AllergyForm.initial_for(allergy)),
                  form_for(EndAllergyForm, f"e-{allergy.public_id}"))
                 for allergy in summary.allergies]
    conditions = [(condition, form_for(ConditionForm, f"c-{condition.public_id}",
                                       ConditionForm.initial_for(condition)))
                  for condition in summary.conditions]
    return {
        "card": summary.card, "summary": summary, "allergies": allergies,
        "conditions": conditions, "next": next_url,
        "can_edit": request.user.role in CARING_ROLES,
        "add_allergy": form_for(AllergyForm, "allergy"),
        "add_condition": form_for(ConditionForm, "condition"),
        "allergen_groups": hook("ALLERGEN_GROUPS")(),
        "failed": failed_prefix,
    }
