"""`{% clinical_banner card %}`: the patient banner every page about one patient opens with.

A tag rather than a context variable, so that pages of every app (the card, a visit, a
prescription form, a lab order, a stay, a referral) show the same banner with one line,
and no view of an app below has to know what the banner composes.
"""

from django import template

from patients.identifiers import format_med_id
from patients.selectors import clinical_banner as build_banner

register = template.Library()


@register.inclusion_tag("patients/banner.html", takes_context=True)
def clinical_banner(context, card, oob=False):
    user = context["request"].user
    return {"banner": build_banner(user, card), "med_id": format_med_id(card.med_id),
            "user": user, "oob": oob}
