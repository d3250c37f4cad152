"""The pharmacy systems' sync API: the pull feed, stock reports and webhook registration.
Authenticated by the pharmacy's API key (prescriptions.authentication), acting for that
pharmacy only. Thin: selectors and services decide."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dmed.models import AuditAction
from pharmacy_sync import selectors, services
from prescriptions.authentication import PharmacyApiKeyAuthentication, PharmacySystem
from prescriptions.services import PharmacyActor

FEED_OBJECT = "pharmacy_sync.feed"


class IsPharmacySystem(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, PharmacySystem)


class PharmacySystemView(APIView):
    """Only a pharmacy system's key gets in: no key, or a person's token, is a 401."""

    authentication_classes = [PharmacyApiKeyAuthentication]
    permission_classes = [IsPharmacySystem]

    def actor(self, request) -> PharmacyActor:
        return PharmacyActor(pharmacy=request.user.pharmacy, api_key=request.user.key)


# --- the pull feed ---------------------------------------------------------------------------


class FeedEventSerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text=_("Ask for the events after this one with it."))
    id = serializers.UUIDField(help_text=_("The event ID, as in a webhook's X-DMED-Event"))
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    data = serializers.DictField(help_text=_("code, drug, valid_until; dispensed also "
                                             "status and quantity; never the patient"))


class FeedPageSerializer(serializers.Serializer):
    results = FeedEventSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text=_(
        "Send it as `after` next time (the same cursor when nothing was new)."))
    more = serializers.BooleanField(help_text=_("More events wait: ask again at once."))


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.CharField(required=False, allow_blank=True, max_length=100)
    limit = serializers.IntegerField(required=False, default=selectors.FEED_PAGE)


class FeedView(PharmacySystemView):
    """Prescription events for the pharmacy's district, oldest first, for systems without
    a webhook (the same events and fields a webhook gets)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description=_(
                "The `next` cursor of the previous page; nothing for the oldest events")),
            OpenApiParameter("limit", int, description=_("Events per page, 1 to 500 "
                                                         "(default 100)"))],
        responses={200: FeedPageSerializer,
                   400: OpenApiResponse(description=_("Not a cursor of this feed"))})
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        by = self.actor(request)
        page = selectors.feed_page(by.pharmacy, after=query.validated_data.get("after") or None,
                                   limit=query.validated_data["limit"])
        if page.entries:  # what a pharmacy read is in the trail; empty polls are not
            with transaction.atomic():
                by.audit(action=AuditAction.LIST, object_type=FEED_OBJECT,
                         object_id=f"{page.entries[0].pk}-{page.entries[-1].pk}")
        return Response({
            "results": [{"cursor": selectors.encode_cursor(entry.pk),
                         **selectors.event_document(entry.event)} for entry in page.entries],
            "next": page.next, "more": page.more})


# --- stock --------------------------------------------------------------------------------------


class StockReportSerializer(serializers.Serializer):
    drug = serializers.IntegerField(help_text=_("The drug's id in the registry "
                                                "(GET /api/v1/drugs/)"))
    quantity = serializers.IntegerField(min_value=0, max_value=services.MAX_STOCK, help_text=_(
        "Units in stock now; 0 when out of stock"))


class StockAnswerSerializer(StockReportSerializer):
    reported_at = serializers.DateTimeField()


class StockView(PharmacySystemView):
    """What the pharmacy has of a drug now; replaces its last report of that drug."""

    @extend_schema(request=StockReportSerializer, responses={200: StockAnswerSerializer})
    def post(self, request):
        body = StockReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        [row] = services.report_stock(
            pharmacy=self.actor(request).pharmacy,
            items=[(body.validated_data["drug"], body.validated_data["quantity"])])
        return Response({"drug": row.drug_id, "quantity": row.quantity,
                         "reported_at": timezone.localtime(row.reported_at).isoformat()})


# --- webhook ------------------------------------------------------------------------------------


class WebhookRequestSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text=_(
        "https:// address the events are POSTed to"))


class WebhookSerializer(serializers.Serializer):
    url = serializers.CharField()
    registered_at = serializers.DateTimeField()


class RegisteredWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text=_(
        "Shown this once: verify X-DMED-Signature with it (README, Pharmacy sync)"))


class WebhookListSerializer(serializers.Serializer):
    results = WebhookSerializer(many=True)


def _webhook_data(subscription) -> dict:
    return {"url": subscription.url,
            "registered_at": timezone.localtime(subscription.created_at).isoformat()}


class WebhookView(PharmacySystemView):
    """The pharmacy's webhook: one URL at a time; registering again replaces the URL and
    the secret."""

    @extend_schema(responses=WebhookListSerializer)
    def get(self, request):
        subscription = selectors.webhook_of(self.actor(request).pharmacy)
        return Response({"results": [_webhook_data(subscription)] if subscription else []})

    @extend_schema(request=WebhookRequestSerializer,
                   responses={200: RegisteredWebhookSerializer,
                              201: RegisteredWebhookSerializer})
    def put(self, request):
        body = WebhookRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pharmacy = self.actor(request).pharmacy
        replaced = selectors.webhook_of(pharmacy) is not None
        subscription = services.register_webhook(pharmacy=pharmacy,
                                                 url=body.validated_data["url"])
        return Response({**_webhook_data(subscription), "secret": subscription.secret},
                        status=status.HTTP_200_OK if replaced else status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 404: OpenApiResponse(
        description=_("No webhook was registered"))})
    def delete(self, request):
        if not services.unregister_webhook(pharmacy=self.actor(request).pharmacy):
            raise exceptions.NotFound(_("No webhook is registered."))
        return Response(status=status.HTTP_204_NO_CONTENT)
