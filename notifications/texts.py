"""What each event says to a person: one translatable template per event (per reminder
variant), rendered in the recipient's language, and whether it may wake them up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dmed.translit import in_language
from outbox import kinds


@dataclass(frozen=True)
class Template:
    text: Promise
    # Urgent messages go out during quiet hours and past the rate limit: they are about
    # something happening now (a called ticket, a dispensing the patient may not know of).
    urgent: bool = False


TEMPLATES = {
    kinds.PRESCRIPTION_ISSUED: Template(_(
        "DMED: prescription %(code)s for %(drug)s is issued, valid until %(valid_until)s. "
        "Show the code at any pharmacy.")),
    kinds.PRESCRIPTION_CANCELLED: Template(_(
        "DMED: prescription %(code)s for %(drug)s was cancelled.")),
    kinds.PRESCRIPTION_DISPENSED: Template(_(
        "DMED: %(drug)s on prescription %(code)s was dispensed at %(pharmacy)s. "
        "If this was not you, tell your doctor."), urgent=True),
    kinds.PRESCRIPTION_EXPIRING: Template(_(
        "DMED: prescription %(code)s for %(drug)s expires on %(valid_until)s.")),
    kinds.LAB_RESULT_RELEASED: Template(_(
        "DMED: your %(test)s result from %(facility)s is ready. Open My card to see it.")),
    kinds.REFERRAL_RECEIVED: Template(_(
        "DMED: you are referred to %(to_facility)s, valid until %(valid_until)s. "
        "Show your MED-ID there.")),
    # To the staff the referral is addressed to; no patient details leave the portal.
    f"{kinds.REFERRAL_RECEIVED}:receiver": Template(_(
        "DMED: a new referral to you from %(from_facility)s, valid until %(valid_until)s. "
        "Open Incoming referrals.")),
    f"{kinds.REFERRAL_RECEIVED}:receiver:emergency": Template(_(
        "DMED: an emergency referral to you from %(from_facility)s. Open Incoming referrals "
        "now."), urgent=True),
    # To the clinician who ordered a critical result, then to the heads and the on-call
    # list while nobody acknowledges it; the patient is not named.
    f"{kinds.LAB_CRITICAL_ALERT}:staff": Template(_(
        "DMED: CRITICAL result %(test)s %(value)s %(unit)s of your patient. Open your "
        "results inbox and acknowledge it now."), urgent=True),
    f"{kinds.LAB_CRITICAL_ALERT}:staff:escalated": Template(_(
        "DMED: a CRITICAL result (%(test)s %(value)s %(unit)s) has not been acknowledged "
        "for %(minutes)s minutes. Open your results inbox and act on it now."), urgent=True),
    kinds.APPOINTMENT_BOOKED: Template(_(
        "DMED: appointment with %(doctor)s at %(facility)s on %(starts_at)s.")),
    kinds.APPOINTMENT_CANCELLED: Template(_(
        "DMED: your appointment at %(facility)s on %(starts_at)s is cancelled."), urgent=True),
    f"{kinds.APPOINTMENT_REMINDER}:24": Template(_(
        "DMED: reminder: tomorrow at %(starts_at)s you see %(doctor)s at %(facility)s.")),
    f"{kinds.APPOINTMENT_REMINDER}:2": Template(_(
        "DMED: in two hours, at %(starts_at)s, you see %(doctor)s at %(facility)s."),
        urgent=True),
    kinds.IMMUNISATION_DUE: Template(_(
        "DMED: %(child)s's %(vaccine)s vaccination (dose %(dose)s) falls due on %(due_on)s. "
        "Come to %(facility)s.")),
    kinds.IMMUNISATION_OVERDUE: Template(_(
        "DMED: %(child)s's %(vaccine)s vaccination (dose %(dose)s) was due on %(due_on)s "
        "and is late. Come to %(facility)s or ask your family doctor.")),
    # To the district's epidemiologists: the vaccine and the district, no patient details.
    f"{kinds.AEFI_SERIOUS}:staff": Template(_(
        "DMED: a SERIOUS adverse event after %(vaccine)s was reported at %(facility)s on "
        "%(reported_on)s. Open your AEFI worklist."), urgent=True),
    kinds.TICKET_CALLED: Template(_(
        "DMED: ticket %(ticket)s, please come to %(service_point)s."), urgent=True),
    kinds.ATTACHMENT_MOVED: Template(_(
        "DMED: your card is now attached to %(to_facility)s, as you asked on "
        "%(applied_on)s.")),
    # To the family doctor and heads of the polyclinic the patient leaves: initials only.
    f"{kinds.ATTACHMENT_MOVED}:staff": Template(_(
        "DMED: your patient %(patient)s (born %(born)s) is now attached to %(to_facility)s "
        "at their request.")),
    kinds.ATTACHMENT_DECLINED: Template(_(
        "DMED: %(to_facility)s declined your request of attachment of %(applied_on)s: "
        "%(reason)s")),
}

NOTIFIED_KINDS = frozenset(key.split(":")[0] for key in TEMPLATES)


# Who a message is for: the patient an event is about (the default), the staff who
# receive a referral, or the staff an event names in its "recipients".
PATIENT, RECEIVER, STAFF = "patient", "receiver", "staff"

# Events for the staff they name only: their patient is not told.
STAFF_ONLY_KINDS = frozenset({kinds.LAB_CRITICAL_ALERT, kinds.AEFI_SERIOUS})


def template_for(kind: str, payload: dict, audience: str = PATIENT) -> Template:
    if kind == kinds.APPOINTMENT_REMINDER:
        return TEMPLATES[f"{kind}:{payload['hours_before']}"]
    if audience == STAFF:
        escalated = ":escalated" if payload.get("round") else ""
        return TEMPLATES[f"{kind}:{STAFF}{escalated}"]
    if audience == RECEIVER:
        emergency = ":emergency" if payload.get("urgency") == "emergency" else ""
        return TEMPLATES[f"{kind}:{RECEIVER}{emergency}"]
    return TEMPLATES[kind]


def _shown(value, language: str):
    """Dates and times as people read them, in the portal's time zone; a value given per
    language ({"uz": …, "ru": …, "en": …}, e.g. a registry name) in the reader's."""
    if isinstance(value, dict):
        return in_language(value, language)
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:
            return date.fromisoformat(value).strftime("%d.%m.%Y")
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%d.%m.%Y %H:%M")
    return value


def render(kind: str, payload: dict, language: str, audience: str = PATIENT) -> str:
    """The message for an event in a language (uz, uz-cyrl, ru, en)."""
    template = template_for(kind, payload, audience)
    with translation.override(language):
        return str(template.text) % {key: _shown(value, language)
                                     for key, value in payload.items()}
