"""The prescription API (stable: pharmacy software vendors build on it). Thin: services
and selectors decide; this file translates between JSON and them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from dmed.api.authentication import ApiTokenAuthentication
from dmed.api.schema import results_page
from dmed.paging import PageParamsSerializer, next_url
from dmed.roles import Role
from prescriptions import selectors, services, signing
from prescriptions.authentication import PharmacyApiKeyAuthentication, PharmacySystem
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.patient_checks import PatientCheckLocked
from prescriptions.services import MAX_ISSUES, PharmacyActor

PHARMACY_AUTH = [PharmacyApiKeyAuthentication, ApiTokenAuthentication, SessionAuthentication]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The prescription's state does not allow this.")
    default_code = "conflict"


def conflict(error: PrescriptionConflict) -> Conflict:
    return Conflict(detail=error.message, code=error.code)


class PatientCheckThrottled(exceptions.Throttled):
    default_code = "patient_check_locked"

    def __init__(self, locked: PatientCheckLocked):
        # The wait goes into Retry-After; the sentence already says how long.
        super().__init__(wait=locked.retry_after, code=self.default_code)
        self.detail = exceptions.ErrorDetail(locked.message, self.default_code)


LOCKED_RESPONSE = OpenApiResponse(description=_(
    "Too many wrong patient checks of this code or by this key or pharmacist; "
    "Retry-After says when to try again"))


# --- answers ----------------------------------------------------------------------------


def drug_data(drug) -> dict:
    return {"id": drug.pk, "inn": drug.inn, "trade_names": drug.trade_name_list,
            "dosage_form": drug.dosage_form, "strength": drug.strength, "atc_code": drug.atc_code,
            "prescription_only": drug.prescription_only,
            "controlled_class": drug.controlled_class, "reimbursable": drug.reimbursable}


def item_data(item) -> dict:
    return {"id": item.line, "drug": drug_data(item.drug), "quantity": item.quantity,
            "dispensed": item.dispensed_quantity, "remaining": item.remaining,
            "dosage": item.dosage, "route": item.route, "frequency": item.frequency,
            "duration_days": item.duration_days, "instructions": item.instructions,
            "status": item.status, "status_reason": item.status_reason,
            "refused_at": item.refused_at.code if item.refused_at_id else None}


def prescription_data(prescription) -> dict:
    items = list(prescription.items.all())
    return {
        "code": prescription.code, "series": prescription.series_code,
        "issue_number": prescription.issue_number, "issues_total": prescription.issues_total,
        "status": prescription.status, "patient": prescription.patient.med_id,
        "prescriber": prescription.prescriber.get_full_name(),
        "facility": prescription.facility.code, "diagnosis": prescription.diagnosis_id,
        "chronic": prescription.chronic, "controlled": prescription.controlled,
        "issued_at": timezone.localtime(prescription.issued_at).isoformat(),
        "available_from": prescription.available_from.isoformat(),
        "valid_until": prescription.valid_until.isoformat(),
        "cancel_reason": prescription.cancel_reason,
        "key_id": str(prescription.signing_key.key_id),
        "signature": signing.b64(prescription.signature),
        "qr": selectors.qr_payload(prescription, items),
        "items": [item_data(item) for item in items],
    }


def reader_data(prescription) -> dict:
    """A prescription as its prescriber, other clinicians and its patient read it."""
    visit = prescription.visit_public_id
    return {**prescription_data(prescription), "visit": str(visit) if visit else None}


def dispensing_data(dispensing) -> dict:
    return {"dispensing": str(dispensing.public_id),
            "prescription": dispensing.prescription.code,
            "pharmacy": dispensing.pharmacy.code,
            "dispensed_at": timezone.localtime(dispensing.dispensed_at).isoformat(),
            "status": dispensing.status_after,
            "items": [{"item": line.item.line, "quantity": line.quantity,
                       "remaining": line.remaining_after}
                      for line in selectors.dispensing_lines(dispensing)]}


class DrugSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    inn = serializers.CharField()
    trade_names = serializers.ListField(child=serializers.CharField())
    dosage_form = serializers.CharField()
    strength = serializers.CharField()
    atc_code = serializers.CharField()
    prescription_only = serializers.BooleanField()
    controlled_class = serializers.CharField()
    reimbursable = serializers.BooleanField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The line number within the prescription."))
    drug = DrugSerializer()
    quantity = serializers.IntegerField()
    dispensed = serializers.IntegerField()
    remaining = serializers.IntegerField()
    dosage = serializers.CharField()
    route = serializers.CharField()
    frequency = serializers.CharField()
    duration_days = serializers.IntegerField(allow_null=True)
    instructions = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    refused_at = serializers.CharField(allow_null=True)


class PrescriptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    series = serializers.CharField()
    issue_number = serializers.IntegerField()
    issues_total = serializers.IntegerField()
    status = serializers.CharField()
    patient = serializers.CharField(help_text=_("MED-ID"))
    prescriber = serializers.CharField()
    facility = serializers.CharField()
    diagnosis = serializers.CharField()
    chronic = serializers.BooleanField()
    controlled = serializers.BooleanField()
    issued_at = serializers.DateTimeField()
    available_from = serializers.DateField()
    valid_until = serializers.DateField()
    cancel_reason = serializers.CharField()
    key_id = serializers.UUIDField()
    signature = serializers.CharField(help_text=_("Ed25519, base64url"))
    qr = serializers.CharField(help_text=_(
        "DMEDRX2: and a COSE_Sign1 of CBOR claims, zlib-compressed, Base45 (see the README); "
        "issues signed before it: DMEDRX1:code:key:signature:content (base64url)"))
    items = ItemSerializer(many=True)


class ReaderPrescriptionSerializer(PrescriptionSerializer):
    visit = serializers.UUIDField(allow_null=True, help_text=_(
        "The visit it was written from (its id in /api/v1/visits/), if any"))


class PrescriptionPageSerializer(serializers.Serializer):
    results = ReaderPrescriptionSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text=_("The next page, if any"))


class PublicKeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key_id = serializers.UUIDField()
    prescriber = serializers.CharField()
    public_key = serializers.CharField(help_text=_("Raw Ed25519 public key, base64url"))
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class PublicKeyPageSerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    results = PublicKeySerializer(many=True)
    next_after = serializers.IntegerField(allow_null=True)


class DispensingSerializer(serializers.Serializer):
    dispensing = serializers.UUIDField()
    prescription = serializers.CharField()
    pharmacy = serializers.CharField()
    dispensed_at = serializers.DateTimeField()
    status = serializers.CharField()
    items = serializers.ListField(child=serializers.DictField())


# --- requests ---------------------------------------------------------------------------


class NewItemSerializer(serializers.Serializer):
    drug = serializers.IntegerField(help_text=_("A drug's id in the registry."))
    quantity = serializers.IntegerField()
    dosage = serializers.CharField(max_length=100)
    route = serializers.CharField(max_length=60, required=False, allow_blank=True)
    frequency = serializers.CharField(max_length=100, required=False, allow_blank=True)
    duration_days = serializers.IntegerField(min_value=1, max_value=365, required=False,
                                             allow_null=True)
    instructions = serializers.CharField(max_length=500, required=False, allow_blank=True)


class NewPrescriptionSerializer(serializers.Serializer):
    patient = serializers.CharField(max_length=16, help_text=_("MED-ID"))
    diagnosis = serializers.CharField(max_length=8, help_text=_("ICD-10 code, e.g. I10"))
    items = NewItemSerializer(many=True)
    repeats = serializers.IntegerField(min_value=1, max_value=MAX_ISSUES, default=1)
    interval_days = serializers.IntegerField(min_value=0, max_value=365, default=0)
    starts = serializers.DateField(required=False, allow_null=True)
    acknowledge_allergies = serializers.BooleanField(default=False)
    visit = serializers.UUIDField(required=False, allow_null=True, help_text=_(
        "The visit of this patient it is written from (its id in /api/v1/visits/)"))


class ListParamsSerializer(PageParamsSerializer):
    patient = serializers.CharField(max_length=16, required=False, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    item = serializers.IntegerField(required=False, help_text=_(
        "Cancel only this line; the whole prescription when omitted."))


class DispenseLineSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    quantity = serializers.IntegerField()


class DispenseSerializer(serializers.Serializer):
    patient_check = serializers.CharField(max_length=10, help_text=_(
        "The last four digits of the patient's PINFL, or the birth date (DD.MM.YYYY)."))
    items = DispenseLineSerializer(many=True)
    identity_document = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                              help_text=_("Required for controlled "
                                                          "substances."))


class RefuseSerializer(serializers.Serializer):
    patient_check = serializers.CharField(max_length=10)
    item = serializers.IntegerField()
    reason = serializers.CharField(max_length=300)


# --- clinicians and patients ----------------------------------------------------------


class DrugListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("search", str, description=_(
        "INN or trade name in either script, or an ATC code prefix"))],
        responses=results_page("DrugList", DrugSerializer))
    def get(self, request):
        drugs = selectors.search_drugs(request.query_params.get("search", "")[:100])
        return Response({"results": [drug_data(drug) for drug in drugs]})


class PrescriptionListView(APIView):
    # A page object, not a bare list, so the schema generator would name it "retrieve".
    @extend_schema(operation_id="v1_prescriptions_list", parameters=[
        OpenApiParameter("patient", str, description=_(
            "MED-ID (staff); patients get their own without it")),
        OpenApiParameter("cursor", str, description=_("From the previous page's `next`")),
        OpenApiParameter("limit", int)],
        responses=PrescriptionPageSerializer)
    def get(self, request):
        params = ListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = params.validated_data
        if request.user.role == Role.PATIENT:
            page = selectors.my_prescriptions(request.user, cursor=options["cursor"],
                                              limit=options["limit"])
        else:
            if not options["patient"]:
                raise exceptions.ValidationError({"patient": [_("Give the patient's MED-ID.")]})
            _card, page = selectors.prescriptions_of_card(
                request.user, options["patient"], cursor=options["cursor"],
                limit=options["limit"])
        return Response({"results": [reader_data(p) for p in page.results],
                         "next": next_url(request, page)})

    @extend_schema(request=NewPrescriptionSerializer,
                   responses={201: ReaderPrescriptionSerializer})
    def post(self, request):
        body = NewPrescriptionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        first = services.issue_prescription(actor=request.user, **body.validated_data)
        prescription = selectors.prescription_for_reader(request.user, first.code)
        return Response(reader_data(prescription), status=status.HTTP_201_CREATED)


class PrescriptionDetailView(APIView):
    @extend_schema(responses={200: ReaderPrescriptionSerializer, 404: OpenApiResponse(
        description=_("Unknown, or not yours to see"))})
    def get(self, request, code):
        return Response(reader_data(selectors.prescription_for_reader(request.user, code)))


class PrescriptionCancelView(APIView):
    @extend_schema(request=CancelSerializer, responses={200: ReaderPrescriptionSerializer,
                                                        409: OpenApiResponse()})
    def post(self, request, code):
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            if "item" in body.validated_data:
                services.cancel_item(actor=request.user, code=code,
                                     line=body.validated_data["item"],
                                     reason=body.validated_data["reason"])
            else:
                services.cancel_prescription(actor=request.user, code=code,
                                             reason=body.validated_data["reason"])
        except PrescriptionConflict as error:
            raise conflict(error) from error
        return Response(reader_data(selectors.prescription_for_reader(request.user, code)))


class PrescriberKeysView(APIView):
    """Prescribers' Ed25519 public keys, to check a QR's signature offline."""

    authentication_classes = PHARMACY_AUTH

    @extend_schema(parameters=[OpenApiParameter("after", int, description=_(
        "Keyset page: the last `id` of the previous page"))],
        responses=PublicKeyPageSerializer)
    def get(self, request):
        try:
            after = max(0, int(request.query_params.get("after", 0)))
        except ValueError:
            raise exceptions.ValidationError({"after": [_("A whole number.")]}) from None
        keys = list(selectors.public_keys(after=after))
        return Response({
            "algorithm": signing.ALGORITHM,
            "results": [{"id": key.pk, "key_id": str(key.key_id),
                         "prescriber": key.prescriber.get_full_name(),
                         "public_key": signing.b64(key.public_key),
                         "created_at": key.created_at.isoformat(),
                         "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}
                        for key in keys],
            "next_after": keys[-1].pk if len(keys) == selectors.KEYS_PAGE else None,
        })


# --- pharmacies ---------------------------------------------------------------------------


def pharmacy_actor(request) -> PharmacyActor:
    if isinstance(request.user, PharmacySystem):
        return PharmacyActor(pharmacy=request.user.pharmacy, api_key=request.user.key)
    try:
        return services.pharmacist_actor(request.user)
    except PermissionDenied as denied:
        raise exceptions.PermissionDenied(str(denied)) from denied


class PharmacyPrescriptionView(APIView):
    authentication_classes = PHARMACY_AUTH

    @extend_schema(
        parameters=[OpenApiParameter("patient_check", str, required=True, description=_(
            "The last four digits of the patient's PINFL, or the birth date (DD.MM.YYYY)."))],
        responses={200: PrescriptionSerializer,
                   404: OpenApiResponse(description=_("Unknown code or failed patient check "
                                                      "(the same answer)")),
                   409: OpenApiResponse(description=_("Not dispensable; `code` says why")),
                   429: LOCKED_RESPONSE})
    def get(self, request, code):
        by = pharmacy_actor(request)
        try:
            prescription = selectors.prescription_for_pharmacy(
                by=by, code=code, patient_check=request.query_params.get("patient_check", ""))
        except PatientCheckLocked as locked:
            raise PatientCheckThrottled(locked) from locked
        try:
            selectors.check_dispensable(prescription)
        except PrescriptionConflict as error:
            raise conflict(error) from error
        return Response(prescription_data(prescription))


class DispenseView(APIView):
    authentication_classes = PHARMACY_AUTH

    @extend_schema(
        request=DispenseSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description=_("Retry with the same key: the same answer, "
                                                   "nothing dispensed twice."))],
        responses={201: DispensingSerializer, 404: OpenApiResponse(),
                   409: OpenApiResponse(description=_("Over the quantity left, or not "
                                                      "dispensable")),
                   429: LOCKED_RESPONSE})
    def post(self, request, code):
        by = pharmacy_actor(request)
        body = DispenseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            dispensing, created = services.dispense(
                by=by, code=code, patient_check=body.validated_data["patient_check"],
                items=[dict(line) for line in body.validated_data["items"]],
                idempotency_key=request.headers.get("Idempotency-Key", ""),
                identity_document=body.validated_data.get("identity_document", ""))
        except PrescriptionConflict as error:
            raise conflict(error) from error
        except PatientCheckLocked as locked:
            raise PatientCheckThrottled(locked) from locked
        response = Response(dispensing_data(dispensing), status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class RefuseView(APIView):
    """Record that this pharmacy could not dispense a line (out of stock, …)."""

    authentication_classes = PHARMACY_AUTH

    @extend_schema(request=RefuseSerializer, responses={200: ItemSerializer,
                                                        409: OpenApiResponse(),
                                                        429: LOCKED_RESPONSE})
    def post(self, request, code):
        by = pharmacy_actor(request)
        body = RefuseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            item = services.refuse_item(by=by, code=code, line=body.validated_data["item"],
                                        patient_check=body.validated_data["patient_check"],
                                        reason=body.validated_data["reason"])
        except PrescriptionConflict as error:
            raise conflict(error) from error
        except PatientCheckLocked as locked:
            raise PatientCheckThrottled(locked) from locked
        return Response(item_data(item))
