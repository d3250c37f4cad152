"""The queue API. Thin: services and selectors decide; this translates."""

from __future__ import annotations

from functools import partial

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dmed.api.schema import results_page
from patients.api import run_service
from queues import selectors, services
from queues.filters import ServicePointFilter
from queues.models import Priority

PRIORITY_CODES = {Priority(value).code: value for value in Priority.values}


class SlotTakenError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = services.SlotTaken.code


def answering_conflicts(call):
    """Let a service's SlotTaken answer 409 in the API's error format."""

    def wrapped(**arguments):
        try:
            return call(**arguments)
        except services.SlotTaken as taken:
            raise SlotTakenError(detail=str(taken)) from taken

    return wrapped


@extend_schema_field(OpenApiTypes.UUID)
class ServicePointField(serializers.Field):
    """A service point named by its public id."""

    def to_internal_value(self, data):
        try:
            return selectors.service_point_for(data)
        except Http404 as missing:
            raise serializers.ValidationError(_("There is no such service point.")) from missing

    def to_representation(self, point):
        return str(point.public_id)


class PriorityField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=list(PRIORITY_CODES), **kwargs)

    def to_internal_value(self, data):
        return PRIORITY_CODES[super().to_internal_value(data)]

    def to_representation(self, value):
        return Priority(value).code


class ServicePointSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    facility = serializers.CharField(source="facility.code")
    kind = serializers.CharField()
    name = serializers.CharField()
    room = serializers.CharField()
    ticket_prefix = serializers.CharField()
    practitioner = serializers.SerializerMethodField()

    def get_practitioner(self, point) -> str | None:
        return point.practitioner.get_full_name() if point.practitioner_id else None


class TicketSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    number = serializers.CharField(source="display_number", help_text=_("For example A-017."))
    status = serializers.CharField()
    priority = PriorityField()
    service_point = serializers.UUIDField(source="service_point.public_id")
    patient = serializers.SerializerMethodField()
    day = serializers.DateField()
    issued_at = serializers.DateTimeField()
    called_at = serializers.DateTimeField()
    desk = serializers.CharField()
    call_count = serializers.IntegerField()

    def get_patient(self, ticket) -> str | None:
        return ticket.card.med_id if ticket.card_id else None


class CompletedTicketSerializer(TicketSerializer):
    visit = serializers.UUIDField(
        source="visit.public_id", allow_null=True,
        help_text=_("The visit completing opened (a clinician at a doctor's room, a named "
                    "ticket), or null."))


class TicketRequestSerializer(serializers.Serializer):
    service_point = ServicePointField()
    patient = serializers.CharField(max_length=16, required=False, allow_null=True,
                                    allow_blank=True, default=None, source="med_id",
                                    help_text=_("MED-ID, or null for a ticket without a name."))
    priority = PriorityField(required=False, default=Priority.NORMAL)


class CallNextRequestSerializer(serializers.Serializer):
    desk = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class TransferRequestSerializer(serializers.Serializer):
    to = ServicePointField()


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    free = serializers.BooleanField()


class SlotQuerySerializer(serializers.Serializer):
    service_point = ServicePointField()
    date = serializers.DateField()


class AppointmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    service_point = serializers.UUIDField(source="service_point.public_id")
    patient = serializers.CharField(source="card.med_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField()


class AppointmentRequestSerializer(serializers.Serializer):
    service_point = ServicePointField()
    patient = serializers.CharField(max_length=16, source="med_id")
    starts_at = serializers.DateTimeField()


class MoveRequestSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()


class CheckInRequestSerializer(serializers.Serializer):
    priority = PriorityField(required=False, default=Priority.NORMAL)


class BoardLineSerializer(serializers.Serializer):
    number = serializers.CharField()
    room = serializers.CharField()
    point = serializers.CharField()
    desk = serializers.CharField()
    called_at = serializers.DateTimeField()


class BoardSerializer(serializers.Serializer):
    called = BoardLineSerializer(many=True)
    next = serializers.ListField(child=serializers.CharField(), source="next_numbers")


class Empty(serializers.Serializer):
    pass


class ServicePointListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("facility", str, description=_("Facility code")),
                               OpenApiParameter("kind", str)],
                   responses=results_page("ServicePointList", ServicePointSerializer))
    def get(self, request):
        points = ServicePointFilter(request.query_params, queryset=selectors.service_points())
        if not points.is_valid():
            raise serializers.ValidationError(points.errors)
        return Response({"results": ServicePointSerializer(points.qs[:500], many=True).data})


class CallNextView(APIView):
    @extend_schema(request=CallNextRequestSerializer,
                   responses={200: TicketSerializer, 204: None})
    def post(self, request, point_id):
        point = selectors.service_point_for(point_id)
        body = CallNextRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = services.call_next(actor=request.user, service_point=point,
                                    **body.validated_data)
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(TicketSerializer(ticket).data)


class BoardView(APIView):
    """What the waiting-room screen shows: numbers and rooms, never names."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=BoardSerializer)
    def get(self, request, point_id):
        point = selectors.service_point_for(point_id)
        return Response(BoardSerializer(selectors.board(service_point=point)).data)


class SlotListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("service_point", str, required=True),
                               OpenApiParameter("date", str, required=True)],
                   responses=results_page("SlotList", SlotSerializer))
    def get(self, request):
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        slots = selectors.slots(query.validated_data["service_point"],
                                query.validated_data["date"])
        return Response({"results": SlotSerializer(slots, many=True).data})


class TicketListView(APIView):
    @extend_schema(request=TicketRequestSerializer, responses={201: TicketSerializer})
    def post(self, request):
        return run_service(request, accepts=TicketRequestSerializer,
                           call=services.issue_ticket, answer=TicketSerializer)


class TicketDetailView(APIView):
    @extend_schema(responses=TicketSerializer)
    def get(self, request, ticket_id):
        return Response(TicketSerializer(selectors.ticket_for(request.user, ticket_id)).data)


def _ticket_action(service, accepts=Empty, answer=TicketSerializer):
    class TicketActionView(APIView):
        @extend_schema(request=accepts, responses=answer)
        def post(self, request, ticket_id):
            return run_service(request, accepts=accepts,
                               call=partial(service, ticket_id=ticket_id),
                               answer=answer, created=False)

    TicketActionView.__name__ = f"Ticket{service.__name__.title().replace('_', '')}View"
    return TicketActionView


RecallView = _ticket_action(services.recall)
NoShowView = _ticket_action(services.mark_no_show)
CompleteView = _ticket_action(services.complete, answer=CompletedTicketSerializer)
TransferView = _ticket_action(services.transfer, TransferRequestSerializer)


class AppointmentListView(APIView):
    @extend_schema(request=AppointmentRequestSerializer,
                   responses={201: AppointmentSerializer, 409: None})
    def post(self, request):
        return run_service(request, accepts=AppointmentRequestSerializer,
                           call=answering_conflicts(services.book_appointment),
                           answer=AppointmentSerializer)


class AppointmentDetailView(APIView):
    @extend_schema(responses=AppointmentSerializer)
    def get(self, request, appointment_id):
        return Response(AppointmentSerializer(
            selectors.appointment_for(request.user, appointment_id)).data)


class CancelView(APIView):
    @extend_schema(request=Empty, responses=AppointmentSerializer)
    def post(self, request, appointment_id):
        return run_service(request, accepts=Empty,
                           call=partial(services.cancel_appointment,
                                        appointment_id=appointment_id),
                           answer=AppointmentSerializer, created=False)


class MoveView(APIView):
    @extend_schema(request=MoveRequestSerializer, responses={200: AppointmentSerializer,
                                                             409: None})
    def post(self, request, appointment_id):
        return run_service(request, accepts=MoveRequestSerializer,
                           call=answering_conflicts(partial(services.move_appointment,
                                                            appointment_id=appointment_id)),
                           answer=AppointmentSerializer, created=False)


class CheckInView(APIView):
    @extend_schema(request=CheckInRequestSerializer, responses={201: TicketSerializer})
    def post(self, request, appointment_id):
        return run_service(request, accepts=CheckInRequestSerializer,
                           call=partial(services.check_in, appointment_id=appointment_id),
                           answer=TicketSerializer)
