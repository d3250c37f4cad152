"""Laboratory API: orders for clinicians and laboratory systems, results posted by a
laboratory system for its own facility's orders.

A laboratory system authenticates with the API token of a lab technician account of its
laboratory (`POST /api/v1/auth/token/`): what it may touch is what that laboratory may,
and the audit trail names the account. Thin: services and selectors decide.
"""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinics.labs import selectors, services
from clinics.labs.models import LabTest, OrderPriority
from dmed.api.schema import NEXT_CURSOR, results_page
from dmed.roles import Role
from patients.api import run_service
from registry.models import Facility


class ResultSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    med_id = serializers.CharField(source="card.med_id")
    test = serializers.CharField(source="test.code")
    version = serializers.IntegerField()
    corrects = serializers.SerializerMethodField()
    value = serializers.DecimalField(max_digits=12, decimal_places=4)
    unit = serializers.CharField()
    reference_low = serializers.DecimalField(max_digits=10, decimal_places=4)
    reference_high = serializers.DecimalField(max_digits=10, decimal_places=4)
    flag = serializers.CharField()
    sampled_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)
    correction_reason = serializers.CharField()
    comment = serializers.CharField()

    def get_corrects(self, result) -> str | None:
        return str(result.corrects.public_id) if result.corrects_id else None


class OrderItemSerializer(serializers.Serializer):
    test = serializers.CharField(source="test.code")
    results = serializers.SerializerMethodField()

    def get_results(self, item) -> list:
        # Unreleased versions are the laboratory's own working state.
        versions = item.results.all()
        if not self.context.get("laboratory"):
            versions = [v for v in versions if v.is_released]
        return ResultSerializer(versions, many=True).data


class OrderSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    med_id = serializers.CharField(source="card.med_id")
    patient = serializers.CharField(source="card.full_name")
    sex = serializers.CharField(source="card.sex")
    birth_date = serializers.DateField(source="card.birth_date")
    laboratory = serializers.CharField(source="laboratory.code")
    ordering_facility = serializers.CharField(source="ordering_facility.code")
    ordered_by = serializers.CharField(source="ordered_by.username")
    priority = serializers.CharField()
    clinical_note = serializers.CharField()
    ordered_at = serializers.DateTimeField()
    visit = serializers.UUIDField(source="visit.public_id", default=None, allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    items = serializers.SerializerMethodField()

    def get_items(self, order) -> list:
        return OrderItemSerializer(order.items.all(), many=True, context=self.context).data


class PlaceOrderSerializer(serializers.Serializer):
    med_id = serializers.CharField(max_length=16)
    laboratory = serializers.SlugRelatedField(slug_field="code",
                                              queryset=Facility.objects.all())
    tests = serializers.ListField(child=serializers.SlugRelatedField(
        slug_field="code", queryset=LabTest.objects.filter(is_active=True)), allow_empty=False)
    priority = serializers.ChoiceField(choices=OrderPriority.choices,
                                       default=OrderPriority.ROUTINE)
    clinical_note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                          default="")
    visit = serializers.UUIDField(source="visit_id", required=False, allow_null=True,
                                  default=None,
                                  help_text=_("The visit ordered in; by default the "
                                              "clinician's open visit with the patient."))


class LabOrderListView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("med_id", str, description=_("A card's orders (clinicians, patients)")),
        OpenApiParameter("cursor", str, description=_("Next worklist page (laboratories)"))],
        responses=results_page("LabOrderPage", OrderSerializer, next_page=NEXT_CURSOR))
    def get(self, request):
        """A laboratory's open orders (its worklist), or one card's orders."""
        if request.user.role == Role.LAB_TECHNICIAN:
            page = selectors.worklist(request.user, cursor=request.query_params.get("cursor"))
            return Response({"results": OrderSerializer(page.results, many=True,
                                                        context={"laboratory": True}).data,
                             "next_cursor": page.next_cursor})
        med_id = request.query_params.get("med_id")
        if not med_id:
            raise serializers.ValidationError({"med_id": [_("Name the card: ?med_id=…")]})
        _access, orders = selectors.card_orders(request.user, med_id)
        return Response({"results": OrderSerializer(orders, many=True).data,
                         "next_cursor": None})

    @extend_schema(request=PlaceOrderSerializer, responses={201: OrderSerializer})
    def post(self, request):
        return run_service(request, accepts=PlaceOrderSerializer,
                           call=services.place_lab_order, answer=OrderSerializer)


class LabOrderDetailView(APIView):
    @extend_schema(responses=OrderSerializer)
    def get(self, request, order_id):
        if request.user.role != Role.LAB_TECHNICIAN:
            raise PermissionDenied(_("Clinicians read orders through ?med_id=…"))
        order = selectors.laboratory_order(request.user, order_id)
        return Response(OrderSerializer(order, context={"laboratory": True}).data)


class PostResultSerializer(serializers.Serializer):
    order = serializers.UUIDField(source="order_id")
    test = serializers.CharField(max_length=16, source="test_code")
    value = serializers.DecimalField(max_digits=12, decimal_places=4)
    sampled_at = serializers.DateTimeField()
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                    default="")


class LabResultListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("med_id", str, required=True)],
                   responses=results_page("LabResultList", ResultSerializer))
    def get(self, request):
        """A card's released results, for whoever may open the card."""
        med_id = request.query_params.get("med_id")
        if not med_id:
            raise serializers.ValidationError({"med_id": [_("Name the card: ?med_id=…")]})
        _access, histories = selectors.card_results(request.user, med_id)
        results = [r for history in histories for r in (*history.current, *history.corrected)]
        return Response({"results": ResultSerializer(results, many=True).data})

    @extend_schema(request=PostResultSerializer, responses={201: ResultSerializer})
    def post(self, request):
        """A laboratory posts (or re-posts, before release) the result of an ordered test."""
        return run_service(request, accepts=PostResultSerializer, call=services.enter_result,
                           answer=ResultSerializer)


class ReleaseView(APIView):
    @extend_schema(request=None, responses=ResultSerializer)
    def post(self, request, result_id):
        """Verify and release: the calling account is recorded as the verifier."""
        result = services.release_result(actor=request.user, result_id=result_id)
        return Response(ResultSerializer(result).data)


class CorrectionSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=4)
    reason = serializers.CharField(max_length=500)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                    default="")


class CorrectionView(APIView):
    @extend_schema(request=CorrectionSerializer, responses={201: ResultSerializer})
    def post(self, request, result_id):
        """Correct a released result: a new version, the old one stays."""
        return run_service(request, accepts=CorrectionSerializer,
                           call=partial(services.correct_result, result_id=result_id),
                           answer=ResultSerializer)
