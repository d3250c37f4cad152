"""Referrals API: send, read a card's referrals or one's incoming ones, accept or decline."""

from functools import partial

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinics.referrals import selectors, services
from clinics.referrals.models import ReferralTarget, Urgency
from dmed.api.schema import results_page
from dmed.models import User
from patients.access import Section, sees
from patients.api import run_service
from registry.models import Department, Facility


class ReferralSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    med_id = serializers.CharField(source="card.med_id")
    patient = serializers.CharField(source="card.full_name")
    target = serializers.CharField()
    to_clinician = serializers.CharField(source="to_clinician.username", default=None,
                                         allow_null=True)
    to_department = serializers.CharField(source="to_department.code", default=None,
                                          allow_null=True)
    to_facility = serializers.CharField(source="to_facility.code")
    referred_by = serializers.CharField(source="referred_by.username")
    from_facility = serializers.CharField(source="from_facility.code")
    # Not required: left out for a role whose work does not need them (CLINICAL_FIELDS).
    diagnosis_code = serializers.CharField(source="diagnosis_id", required=False)
    reason = serializers.CharField(required=False)
    urgency = serializers.CharField()
    status = serializers.CharField()
    valid_until = serializers.DateField()
    created_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.username", default=None,
                                       allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField(required=False)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField(required=False)

    # Need-to-know: a registrar sees to whom and when, not why.
    CLINICAL_FIELDS = {"diagnosis_code": Section.DIAGNOSES, "reason": Section.CLINICAL_TEXT,
                       "decline_reason": Section.CLINICAL_TEXT,
                       "cancel_reason": Section.CLINICAL_TEXT}

    def to_representation(self, referral):
        user = self.context["request"].user
        return {name: value for name, value in super().to_representation(referral).items()
                if name not in self.CLINICAL_FIELDS or sees(user, self.CLINICAL_FIELDS[name])}


@extend_schema_field(OpenApiTypes.STR)
class DepartmentField(serializers.Field):
    """A department named as FACILITY-CODE/DEPARTMENT-CODE (codes are unique per facility)."""

    def to_internal_value(self, data):
        facility, _sep, code = str(data).partition("/")
        department = Department.objects.select_related("facility").filter(
            facility__code=facility, code=code).first()
        if department is None:
            raise serializers.ValidationError(_("No such department (FACILITY/DEPARTMENT)."))
        return department


class ReferSerializer(serializers.Serializer):
    med_id = serializers.CharField(max_length=16)
    target = serializers.ChoiceField(choices=ReferralTarget.choices)
    to_clinician = serializers.SlugRelatedField(slug_field="username",
                                                queryset=User.objects.all(), required=False,
                                                allow_null=True, default=None)
    to_department = DepartmentField(required=False, allow_null=True, default=None)
    to_facility = serializers.SlugRelatedField(slug_field="code",
                                               queryset=Facility.objects.all(), required=False,
                                               allow_null=True, default=None)
    diagnosis_code = serializers.CharField(max_length=16)
    reason = serializers.CharField(max_length=2000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class ReferralListView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("med_id", str, description=_("A card's referrals")),
        OpenApiParameter("incoming", bool, description=_("Active referrals to me"))],
        responses=results_page("ReferralList", ReferralSerializer))
    def get(self, request):
        med_id = request.query_params.get("med_id")
        if med_id:
            _access, referrals = selectors.card_referrals(request.user, med_id)
        elif request.query_params.get("incoming"):
            referrals = selectors.incoming_referrals(request.user)
        else:
            raise serializers.ValidationError(
                {"med_id": [_("Name the card (?med_id=…) or ask for ?incoming=1.")]})
        return Response({"results": ReferralSerializer(referrals, many=True,
                                                       context={"request": request}).data})

    @extend_schema(request=ReferSerializer, responses={201: ReferralSerializer})
    def post(self, request):
        return run_service(request, accepts=ReferSerializer, call=services.refer,
                           answer=ReferralSerializer)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class AcceptView(APIView):
    @extend_schema(request=None, responses=ReferralSerializer)
    def post(self, request, referral_id):
        referral = services.decide_referral(actor=request.user, referral_id=referral_id,
                                            accept=True)
        return Response(ReferralSerializer(referral, context={"request": request}).data)


class DeclineView(APIView):
    @extend_schema(request=DeclineSerializer, responses=ReferralSerializer)
    def post(self, request, referral_id):
        return run_service(request, accepts=DeclineSerializer,
                           call=partial(services.decide_referral, referral_id=referral_id,
                                        accept=False),
                           answer=ReferralSerializer, created=False)


class ReferralCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CancelView(APIView):
    @extend_schema(request=ReferralCancelSerializer, responses=ReferralSerializer)
    def post(self, request, referral_id):
        return run_service(request, accepts=ReferralCancelSerializer,
                           call=partial(services.cancel_referral, referral_id=referral_id),
                           answer=ReferralSerializer, created=False)


class SpecialistSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.full_name")
    specialty = serializers.CharField()
    facility = serializers.CharField(source="facility.code")
    facility_name = serializers.CharField(source="facility.name")
    region = serializers.CharField(source="facility.region.name")
    choice = serializers.SerializerMethodField(
        help_text=_("The text the referral form offers and reads back."))

    def get_choice(self, record) -> str:
        return selectors.specialist_choice(record)


class SpecialistSearchParams(serializers.Serializer):
    search = serializers.CharField(max_length=100, required=False, default="",
                                   allow_blank=True)


class SpecialistListView(APIView):
    """Specialists to refer to (send `username` as `to_clinician`), the asker's region
    first; for clinicians and nurses at work."""

    @extend_schema(operation_id="referral_specialists_list",
                   parameters=[SpecialistSearchParams],
                   responses=results_page("SpecialistList", SpecialistSerializer))
    def get(self, request):
        params = SpecialistSearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        specialists = selectors.specialists_matching(request.user,
                                                     params.validated_data["search"])
        return Response({"results": SpecialistSerializer(specialists, many=True).data})
