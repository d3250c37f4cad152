"""The hospital stay API: thin over clinics.stays.services and selectors."""

from functools import partial

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinics.stays import selectors, services
from clinics.visits.api import DiagnosisSerializer
from dmed.api.schema import NEXT_URL, results_page
from dmed.paging import PageParamsSerializer, next_url
from patients.api import run_service


def _bed(bed):
    return {"id": str(bed.public_id), "department": bed.ward.department.code,
            "ward": bed.ward.code, "bed": bed.code}


class StaySerializer(serializers.Serializer):
    """A stay as the API shows it: one written-out shape for list and detail."""

    def to_representation(self, stay):
        current = selectors.current_bed(stay)
        return {
            "id": str(stay.public_id),
            "med_id": stay.card.med_id,
            "facility": stay.facility.code,
            "status": stay.status,
            "admitted_at": stay.admitted_at.isoformat(),
            "admitted_by": stay.admitted_by.username,
            "admitting_diagnosis": stay.admitting_diagnosis_id,
            "bed": _bed(current) if current else None,
            "beds": [{**_bed(o.bed), "from": o.started_at.isoformat(),
                      "until": o.ended_at.isoformat() if o.ended_at else None,
                      "reason": o.reason} for o in stay.occupancies.all()],
            "notes": [{"author": n.author.username, "written_at": n.written_at.isoformat(),
                       "text": n.text} for n in stay.notes.all()],
            "discharged_at": stay.discharged_at.isoformat() if stay.discharged_at else None,
            "discharge_summary": stay.discharge_summary,
            "final_diagnoses": [{"code": d.code_id, "kind": d.kind}
                                for d in stay.diagnoses.all()],
        }


def _answer(stay):
    return StaySerializer(selectors.with_details(stay))


class AdmitSerializer(serializers.Serializer):
    card = serializers.CharField(max_length=16, help_text=_("MED-ID of the patient."))
    bed = serializers.CharField(max_length=40, help_text=_("Id of a free bed of your hospital."))
    admitting_diagnosis = serializers.CharField(max_length=7)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TransferSerializer(serializers.Serializer):
    bed = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                   default="")


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT)


class DischargeSerializer(serializers.Serializer):
    summary = serializers.CharField(allow_blank=True)
    diagnoses = DiagnosisSerializer(many=True)


class StayListParamsSerializer(PageParamsSerializer):
    card = serializers.CharField(error_messages={
        "required": _("Give the patient's MED-ID."), "blank": _("Give the patient's MED-ID.")})


class StayListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("card", str, required=True,
                                                description=_("MED-ID")),
                               OpenApiParameter("cursor", str), OpenApiParameter("limit", int)],
                   responses=results_page("StayPage", StaySerializer, next_page=NEXT_URL))
    def get(self, request):
        params = StayListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = params.validated_data
        page = selectors.stays_of_card(request.user, options["card"], cursor=options["cursor"],
                                       limit=options["limit"])
        return Response({"results": StaySerializer(page.results, many=True).data,
                         "next": next_url(request, page)})

    @extend_schema(request=AdmitSerializer, responses={201: StaySerializer})
    def post(self, request):
        return run_service(request, accepts=AdmitSerializer, call=services.admit,
                           answer=_answer)


class StayDetailView(APIView):
    @extend_schema(responses=StaySerializer)
    def get(self, request, public_id):
        return Response(StaySerializer(selectors.stay_for(request.user, public_id)).data)


class TransferView(APIView):
    @extend_schema(request=TransferSerializer, responses=StaySerializer)
    def post(self, request, public_id):
        return run_service(request, accepts=TransferSerializer,
                           call=partial(services.transfer, public_id=public_id),
                           answer=_answer, created=False)


class NoteView(APIView):
    @extend_schema(request=NoteSerializer, responses={201: StaySerializer})
    def post(self, request, public_id):
        return run_service(request, accepts=NoteSerializer,
                           call=partial(services.add_note, public_id=public_id),
                           answer=lambda note: _answer(note.stay))


class DischargeView(APIView):
    @extend_schema(request=DischargeSerializer, responses=StaySerializer)
    def post(self, request, public_id):
        return run_service(request, accepts=DischargeSerializer,
                           call=partial(services.discharge, public_id=public_id),
                           answer=_answer, created=False)
