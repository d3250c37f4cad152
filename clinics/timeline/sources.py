"""What the card's timeline is made of: one `TimelineSource` per kind of record.

Adding a kind is one entry in SOURCES: a queryset of the card's records, the field that
places them in time, and how one reads as a line. Each source is read with one query per
page (keyset on time, then key, then primary key), so a page costs the same however long
the patient's history is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinics.labs.models import LabResult
from clinics.referrals.models import Referral, ReferralTarget
from clinics.visits.models import Visit, VisitDiagnosis


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


def _released_results(card) -> QuerySet:
    corrected = LabResult.objects.filter(corrects=OuterRef("pk"), released_at__isnull=False)
    return (LabResult.objects.filter(card=card, released_at__isnull=False)
            .exclude(Exists(corrected)).select_related("test"))


def _result_entry(result: LabResult) -> dict:
    return {"title": f"{result.test.name}: {result.value_text} {result.unit}",
            "detail": _("reference range %(range)s") % {"range": result.reference_text},
            "url": reverse("labs:result", args=[result.public_id]), "flag": result.flag,
            "flag_label": result.get_flag_display()}


def _referral_entry(referral: Referral) -> dict:
    receiver = {ReferralTarget.SPECIALIST: lambda r: r.to_clinician.full_name,
                ReferralTarget.DEPARTMENT: lambda r: r.to_department.name,
                ReferralTarget.LABORATORY: lambda r: r.to_facility.name}[referral.target]
    return {"title": _("Referral to %(receiver)s (%(code)s)")
            % {"receiver": receiver(referral), "code": referral.diagnosis_id},
            "detail": f"{referral.get_urgency_display()} · {referral.get_status_display()} · "
                      f"{referral.reason}"}


def _visit_entry(visit: Visit) -> dict:
    return {"title": _("Visit: %(facility)s, %(clinician)s")
            % {"facility": visit.facility.name, "clinician": visit.clinician.full_name},
            "detail": visit.get_status_display()}


def _diagnosis_entry(diagnosis: VisitDiagnosis) -> dict:
    return {"title": str(diagnosis.code), "detail": diagnosis.get_kind_display()}


SOURCES: list[TimelineSource] = [
    TimelineSource("visit", "visit", gettext_lazy("Visits"),
                   lambda card: Visit.objects.filter(card=card).select_related(
                       "facility", "clinician"),
                   "opened_at", _visit_entry),
    TimelineSource("diagnosis_of_visit", "diagnosis", gettext_lazy("Diagnoses"),
                   lambda card: VisitDiagnosis.objects.filter(visit__card=card).select_related(
                       "visit", "code"),
                   "visit__opened_at", _diagnosis_entry),
    TimelineSource("lab_result", "lab_result", gettext_lazy("Lab results"), _released_results,
                   "sampled_at", _result_entry),
    TimelineSource("referral", "referral", gettext_lazy("Referrals"),
                   lambda card: Referral.objects.filter(card=card).select_related(
                       "to_clinician", "to_department", "to_facility"),
                   "created_at", _referral_entry),
]
