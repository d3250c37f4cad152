"""What the card's timeline is made of: one `TimelineSource` per kind of record.

Adding a kind is one entry in SOURCES: a queryset of the card's records, the field that
places them in time, and how one reads as a line. Each source is read with one query per
page (keyset on time, then key, then primary key), so a page costs the same however long
the patient's history is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinics.labs.models import LabResult
from clinics.referrals.models import Referral, ReferralTarget
from clinics.stays.models import Stay, StayDiagnosis
from clinics.visits.models import Visit
from patients.access import Section, of_card, sees
from prescriptions.models import Prescription


@dataclass(frozen=True)
class Entry:
    when: object  # an aware datetime
    key: str
    pk: int
    group: str
    title: str
    detail: str = ""
    url: str = ""
    flag: str = ""
    flag_label: str = ""


@dataclass(frozen=True)
class TimelineSource:
    key: str                # unique; at the same moment the greater key comes first
                            # (a visit above its diagnoses), and cursors name it
    group: str              # what the kind filter shows (several sources may share one)
    label: str | Promise
    records: Callable[[object], QuerySet]  # the card's records, joins included
    time_field: str
    entry: Callable[[object], dict]        # title, detail, url, flag of one record
    section: str                           # need-to-know: who sees these records
    # How a record reads to a role that sees the section but not clinical text (a
    # registrar sees to whom a patient was referred, not why); None: such roles see none.
    logistics: Callable[[object], dict] | None = None

    def entry_for(self, user) -> Callable[[object], dict] | None:
        """How this user reads the source's records; None when they do not see them."""
        if not sees(user, self.section):
            return None
        if sees(user, Section.CLINICAL_TEXT) and sees(user, Section.DIAGNOSES):
            return self.entry
        return self.logistics
    also_in: tuple[str, ...] = ()          # other groups whose filter shows it too


def _released_results(card) -> QuerySet:
    corrected = LabResult.objects.filter(corrects=OuterRef("pk"), released_at__isnull=False)
    return (LabResult.objects.filter(card=card, released_at__isnull=False)
            .exclude(Exists(corrected)).select_related("test"))


def _result_entry(result: LabResult) -> dict:
    return {"title": f"{result.test.name}: {result.value_text} {result.unit}",
            "detail": _("reference range %(range)s") % {"range": result.reference_text},
            "url": reverse("labs:result", args=[result.public_id]), "flag": result.flag,
            "flag_label": result.get_flag_display()}


def _referral_receiver(referral: Referral) -> str:
    return {ReferralTarget.SPECIALIST: lambda r: r.to_clinician.full_name,
            ReferralTarget.DEPARTMENT: lambda r: r.to_department.name,
            ReferralTarget.LABORATORY: lambda r: r.to_facility.name}[referral.target](referral)


def _referral_entry(referral: Referral) -> dict:
    return {"title": _("Referral to %(receiver)s (%(code)s)")
            % {"receiver": _referral_receiver(referral), "code": referral.diagnosis_id},
            "detail": f"{referral.get_urgency_display()} · {referral.get_status_display()} · "
                      f"{referral.reason}",
            "url": reverse("referrals:card", args=[referral.card.med_id])
                   + f"#referral-{referral.public_id}"}


def _visits(card) -> QuerySet:
    # A visit's diagnoses are part of its line (primary first), not lines of their own.
    return (Visit.objects.filter(of_card(card)).select_related("facility", "clinician")
            .annotate(diagnosis_codes=StringAgg("diagnoses__code", ", ",
                                                order_by=("diagnoses__kind",
                                                          "diagnoses__pk"))))


def _referral_logistics(referral: Referral) -> dict:
    return {"title": _("Referral to %(receiver)s") % {"receiver": _referral_receiver(referral)},
            "detail": f"{referral.get_urgency_display()} · {referral.get_status_display()}",
            "url": reverse("referrals:card", args=[referral.card.med_id])}


def _visit_logistics(visit: Visit) -> dict:
    """Where, with whom and how it stands: what a role without diagnoses reads."""
    return {"title": _("Visit: %(facility)s, %(clinician)s")
            % {"facility": visit.facility.name, "clinician": visit.clinician.full_name},
            "detail": visit.get_status_display(),
            "url": reverse("clinics:visit", args=[visit.public_id])}


def _visit_entry(visit: Visit) -> dict:
    entry = _visit_logistics(visit)
    if visit.diagnosis_codes:
        entry["detail"] += " · " + _("diagnoses: %(codes)s") % {"codes": visit.diagnosis_codes}
    return entry


def _stay_diagnosis_entry(diagnosis: StayDiagnosis) -> dict:
    return {"title": str(diagnosis.code), "detail": diagnosis.get_kind_display(),
            "url": reverse("clinics:stay", args=[diagnosis.stay.public_id])}


def _stay_entry(stay: Stay) -> dict:
    return {"title": _("Hospital stay: %(hospital)s") % {"hospital": stay.facility.name},
            "detail": f"{stay.admitting_diagnosis} · {stay.get_status_display()}",
            "url": reverse("clinics:stay", args=[stay.public_id])}


def _prescriptions(card) -> QuerySet:
    # A repeat prescription is one line: its first issue, however many follow.
    return (Prescription.objects.filter(of_card(card, "patient"), issue_number=1)
            .annotate(drugs=StringAgg("items__drug__inn", ", ", order_by="items__line")))


def _prescription_entry(prescription: Prescription) -> dict:
    detail = prescription.get_status_display()
    if prescription.issues_total > 1:
        detail += " · " + _("repeat, %(count)d issues") % {"count": prescription.issues_total}
    return {"title": _("Prescription %(code)s: %(drugs)s")
            % {"code": prescription.code, "drugs": prescription.drugs},
            "detail": detail,
            "url": reverse("prescriptions:detail", args=[prescription.code])}


SOURCES: list[TimelineSource] = [
    TimelineSource("visit", "visit", gettext_lazy("Visits"), _visits, "opened_at",
                   _visit_entry, Section.APPOINTMENTS, _visit_logistics,
                   also_in=("diagnosis",)),
    TimelineSource("stay", "stay", gettext_lazy("Hospital stays"),
                   lambda card: Stay.objects.filter(of_card(card)).select_related(
                       "facility", "admitting_diagnosis"),
                   "admitted_at", _stay_entry, Section.STAYS),
    TimelineSource("diagnosis_of_stay", "diagnosis", gettext_lazy("Diagnoses"),
                   lambda card: StayDiagnosis.objects.filter(
                       of_card(card, "stay__card"), stay__discharged_at__isnull=False
                   ).select_related(
                       "stay", "code"),
                   "stay__discharged_at", _stay_diagnosis_entry, Section.DIAGNOSES),
    TimelineSource("prescription", "prescription", gettext_lazy("Prescriptions"),
                   _prescriptions, "issued_at", _prescription_entry, Section.PRESCRIPTIONS),
    TimelineSource("lab_result", "lab_result", gettext_lazy("Lab results"), _released_results,
                   "sampled_at", _result_entry, Section.LAB_RESULTS),
    TimelineSource("referral", "referral", gettext_lazy("Referrals"),
                   lambda card: Referral.objects.filter(card=card).select_related(
                       "card", "to_clinician", "to_department", "to_facility"),
                   "created_at", _referral_entry, Section.REFERRALS,
                   _referral_logistics),
]
