"""What need-to-know lets the signed-in user see, for every template."""

from patients.access import sections_seen


def need_to_know(request) -> dict:
    """`sees.<section>` in templates (`{% if sees.clinical_text %}`); empty when signed out."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"sees": {}}
    return {"sees": sections_seen(user)}
