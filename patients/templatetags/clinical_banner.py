"""`{% clinical_banner card %}`: the patient banner every page about one patient opens with.

A tag rather than a context variable, so that pages of every app (the card, a visit, a
prescription form, a lab order, a stay, a referral) show the same banner with one line,
and no view of an app below has to know what the banner composes.
"""

from django import template

from patients.identifiers import format_med_id
from patients.selectors import clinical_banner as build_banner
from patients.summary import summary_context

register = template.Library()


@register.inclusion_tag("patients/banner.html", takes_context=True)
def clinical_banner(context, card, oob=False):
    user = context["request"].user
    return {"banner": build_banner(user, card), "med_id": format_med_id(card.med_id),
            "user": user, "oob": oob}


@register.inclusion_tag("patients/_clinical_summary.html", takes_context=True)
def clinical_summary(context, card):
    """The card's allergies and chronic conditions, editable in place, on a page of another
    app (the visit form): changes come back to this page."""
    request = context["request"]
    return {**summary_context(request, card, next_url=request.get_full_path()),
            "csrf_token": context.get("csrf_token")}
