"""The visit API: thin over clinics.visits.services and selectors."""

from functools import partial

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinics.visits import selectors, services
from clinics.visits.models import DiagnosisKind, VisitStatus
from dmed.api.schema import NEXT_URL, results_page
from dmed.paging import PageParamsSerializer, next_url
from patients.access import Section, sees
from patients.api import run_service


class DiagnosisSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=7)
    kind = serializers.ChoiceField(choices=DiagnosisKind.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AddendumSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    written_at = serializers.DateTimeField(read_only=True)
    text = serializers.CharField(max_length=services.MAX_TEXT)


def _number(value):
    return None if value is None else str(value)


class VisitSerializer(serializers.Serializer):
    """A visit as the API shows it; written out so one shape serves list and detail."""

    def to_representation(self, visit):
        user = self.context["request"].user  # need-to-know: what the reader's role sees
        answer = {
            "id": str(visit.public_id),
            "med_id": visit.card.med_id,
            "facility": visit.facility.code,
            "department": visit.department.code if visit.department_id else None,
            "clinician": visit.clinician.username,
            "status": visit.status,
            "opened_at": visit.opened_at.isoformat(),
            "closed_at": visit.closed_at.isoformat() if visit.closed_at else None,
        }
        if sees(user, Section.CLINICAL_TEXT):
            answer.update({
                **{name: getattr(visit, name) for name in services.NARRATIVE_FIELDS},
                "vitals": {name: _number(getattr(visit, name))
                           for name in (*services.VITAL_FIELDS, "bmi")},
                "addenda": [{"id": str(a.public_id), "author": a.author.username,
                             "written_at": a.written_at.isoformat(), "text": a.text}
                            for a in visit.addenda.all()],
                "content_digest": visit.content_digest or None,
            })
        if sees(user, Section.DIAGNOSES):
            answer["diagnoses"] = [{"code": d.code_id, "title": d.code.title, "kind": d.kind,
                                    "note": d.note} for d in visit.diagnoses.all()]
        return answer


class OpenVisitSerializer(serializers.Serializer):
    card = serializers.CharField(max_length=16, help_text=_("MED-ID of the patient."))
    department = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                       help_text=_("Department code at your facility."))
    complaints = serializers.CharField(required=False, allow_blank=True, default="")


class RecordVisitSerializer(serializers.Serializer):
    complaints = serializers.CharField(required=False, allow_blank=True)
    history = serializers.CharField(required=False, allow_blank=True)
    examination = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)
    bp_systolic = serializers.IntegerField(required=False, allow_null=True)
    bp_diastolic = serializers.IntegerField(required=False, allow_null=True)
    pulse = serializers.IntegerField(required=False, allow_null=True)
    temperature = serializers.DecimalField(max_digits=4, decimal_places=1, required=False,
                                           allow_null=True)
    spo2 = serializers.IntegerField(required=False, allow_null=True)
    weight = serializers.DecimalField(max_digits=5, decimal_places=1, required=False,
                                      allow_null=True)
    height = serializers.DecimalField(max_digits=5, decimal_places=1, required=False,
                                      allow_null=True)
    diagnoses = DiagnosisSerializer(many=True, required=False)


class ListParamsSerializer(PageParamsSerializer):
    card = serializers.CharField(required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=VisitStatus.choices, required=False, default="")


class VisitListView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("card", str, description=_("MED-ID: that patient's visits; "
                                                    "without it, your facility's")),
        OpenApiParameter("status", str), OpenApiParameter("cursor", str),
        OpenApiParameter("limit", int)],
        responses=results_page("VisitPage", VisitSerializer, next_page=NEXT_URL))
    def get(self, request):
        params = ListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = params.validated_data
        if options["card"]:
            page = selectors.visits_of_card(request.user, options["card"],
                                            cursor=options["cursor"], limit=options["limit"])
        else:
            page = selectors.facility_visits(request.user, status=options["status"],
                                             cursor=options["cursor"], limit=options["limit"])
        return Response({"results": VisitSerializer(page.results, many=True,
                                                    context={"request": request}).data,
                         "next": next_url(request, page)})

    @extend_schema(request=OpenVisitSerializer, responses={201: VisitSerializer})
    def post(self, request):
        return run_service(request, accepts=OpenVisitSerializer, call=services.open_visit,
                           answer=lambda visit: VisitSerializer(selectors.with_details(visit)))


class VisitDetailView(APIView):
    @extend_schema(responses=VisitSerializer)
    def get(self, request, public_id):
        return Response(VisitSerializer(selectors.visit_for(request.user, public_id),
                                        context={"request": request}).data)

    @extend_schema(request=RecordVisitSerializer, responses=VisitSerializer)
    def patch(self, request, public_id):
        return run_service(request, accepts=RecordVisitSerializer,
                           call=partial(services.record_visit, public_id=public_id),
                           answer=lambda visit: VisitSerializer(selectors.with_details(visit)),
                           created=False)


class CloseVisitView(APIView):
    @extend_schema(request=None, responses=VisitSerializer)
    def post(self, request, public_id):
        visit = services.close_visit(request.user, public_id)
        return Response(VisitSerializer(selectors.with_details(visit),
                                        context={"request": request}).data)


class AddendumView(APIView):
    @extend_schema(request=AddendumSerializer, responses={201: AddendumSerializer})
    def post(self, request, public_id):
        return run_service(request, accepts=AddendumSerializer,
                           call=partial(services.add_addendum, public_id=public_id),
                           answer=AddendumSerializer)
