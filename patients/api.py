"""The card API (stable: integrators build on it). Thin: services and selectors decide."""

from functools import partial

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dmed.api.schema import NEXT_URL, results_page
from dmed.models import User
from patients import selectors, services
from patients.access import Section, card_for, sees
from patients.identifiers import DocumentKind
from patients.models import Allergy, ChronicCondition, PatientCard, Sex
from registry.models import District, Facility, Region


def run_service(request, *, accepts, call, answer, created: bool = True) -> Response:
    """Validate the body with `accepts`, hand it to the service, answer with `answer`."""
    body = accepts(data=request.data)
    body.is_valid(raise_exception=True)
    result = call(actor=request.user, **body.validated_data)
    reply = answer(result)
    reply.context.setdefault("request", request)  # answers show what the reader may see
    return Response(reply.data,
                    status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    number = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)




class CardSerializer(serializers.ModelSerializer):
    """A card as the API shows it; registries are named by their public codes."""

    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(),
                                          required=False, allow_null=True)
    district = serializers.SlugRelatedField(slug_field="code", queryset=District.objects.all(),
                                            required=False, allow_null=True)
    attached_facility = serializers.SlugRelatedField(
        slug_field="code", queryset=Facility.objects.all(), required=False, allow_null=True)
    family_doctor = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True)
    # Typed as people write them ("+998 90 123 45 67"); the service stores E.164.
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    emergency_contact_phone = serializers.CharField(max_length=32, required=False,
                                                    allow_blank=True)
    documents = DocumentSerializer(many=True, required=False, write_only=True)
    confirm_not_duplicate = serializers.BooleanField(write_only=True, required=False,
                                                     default=False)

    class Meta:
        model = PatientCard
        fields = ["med_id", "status", "last_name", "first_name", "middle_name", "birth_date",
                  "sex", "pinfl", "phone", "region", "district", "street", "blood_group",
                  "identification_notes", "emergency_contact_name", "emergency_contact_phone",
                  "attached_facility",
                  "family_doctor", "documents", "confirm_not_duplicate"]
        read_only_fields = ["med_id", "status", "identification_notes"]
        extra_kwargs = {"last_name": {"required": True, "allow_blank": False},
                        "first_name": {"required": True, "allow_blank": False},
                        "birth_date": {"required": True}, "sex": {"required": True},
                        # The service refuses a taken PINFL naming the card that holds it.
                        "pinfl": {"validators": []}}

    def to_representation(self, card):
        # Written out rather than built field by field: the card is the API's most read
        # answer, and ModelSerializer's per-request field construction was a third of it.
        return {
            **{name: getattr(card, name) for name in selectors.PLAIN_CARD_FIELDS},
            "birth_date": card.birth_date.isoformat() if card.birth_date else None,
            "region": card.region.code if card.region_id else None,
            "district": card.district.code if card.district_id else None,
            "attached_facility": card.attached_facility.code if card.attached_facility_id
            else None,
            "family_doctor": card.family_doctor.username if card.family_doctor_id else None,
            "documents": card.document_rows if hasattr(card, "document_rows") else [
                {"kind": d.kind, "number": d.number, "country": d.country}
                for d in card.documents.all()],
        }


# The section each answered field of a card belongs to (patients.access.NEED_TO_KNOW):
# a role that does not see a section gets none of its fields.
CARD_FIELD_SECTIONS = {
    **dict.fromkeys(("med_id", "status", "last_name", "first_name", "middle_name",
                     "birth_date", "sex", "identification_notes"), Section.IDENTIFICATION),
    **dict.fromkeys(("pinfl", "phone", "region", "district", "street",
                     "emergency_contact_name", "emergency_contact_phone", "documents"),
                    Section.DEMOGRAPHICS),
    **dict.fromkeys(("attached_facility", "family_doctor"), Section.ATTACHMENT),
    "blood_group": Section.ALLERGIES,
}


def card_answer(user: User, card: PatientCard) -> dict:
    """The card as this user's role may see it."""
    return {name: value for name, value in CardSerializer(card).data.items()
            if sees(user, CARD_FIELD_SECTIONS[name])}


class CardListSerializer(serializers.ModelSerializer):
    attached_facility = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PatientCard
        fields = ["med_id", "status", "last_name", "first_name", "middle_name", "birth_date",
                  "sex", "attached_facility"]


class CardListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description=_("MED-ID, PINFL, phone, birth date "
                                                          "(DD.MM.YYYY) or name, any script")),
            OpenApiParameter("birth_date", str), OpenApiParameter("sex", str),
            OpenApiParameter("cursor", str), OpenApiParameter("limit", int),
        ],
        responses=results_page("CardPage", CardListSerializer, next_page=NEXT_URL),
    )
    def get(self, request):
        params = SearchSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = selectors.search_cards(request.user, **params.validated_data)
        next_url = None
        if page.next_cursor:
            query = request.query_params.copy()
            query["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        glimpse = page.glimpse and {
            "med_id": page.glimpse.med_id, "initials": page.glimpse.initials,
            "birth_year": page.glimpse.birth_year,
            "can_break_glass": page.glimpse.can_break_glass,
            "can_issue_ticket": page.glimpse.can_issue_ticket}
        return Response({"results": CardListSerializer(page.results, many=True).data,
                         "next": next_url, "outside_scope": glimpse})

    @extend_schema(request=CardSerializer, responses={201: CardSerializer})
    def post(self, request):
        return run_service(request, accepts=CardSerializer, call=services.register_card,
                           answer=CardSerializer)


class SearchSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                   source="query", default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, default="")
    cursor = serializers.CharField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100,
                                     default=selectors.PAGE_SIZE)


class CardDetailView(APIView):
    @extend_schema(responses=CardSerializer)
    def get(self, request, med_id):
        access = card_for(request.user, med_id, load=selectors.answered_card)
        return Response(card_answer(request.user, access.card))

    @extend_schema(request=CardSerializer, responses=CardSerializer)
    def patch(self, request, med_id):
        serializer = CardSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        changes.pop("confirm_not_duplicate", None)
        card = services.update_card(actor=request.user, med_id=med_id, **changes)
        return Response(card_answer(request.user, card))


class AccessLogEntrySerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    who = serializers.CharField(help_text=_("A person's name, or the system that acted"))
    what = serializers.CharField(help_text=_("What was read or changed, in words"))
    role = serializers.CharField(source="actor_role")
    facility = serializers.CharField(source="facility_code")
    facility_name = serializers.CharField()
    action = serializers.CharField()
    reason = serializers.CharField()
    break_glass = serializers.BooleanField()


class CardAccessLogView(APIView):
    @extend_schema(responses=results_page("AccessLog", AccessLogEntrySerializer))
    def get(self, request, med_id):
        events = selectors.card_access_log(request.user, med_id)
        return Response({"results": AccessLogEntrySerializer(events, many=True).data})


class BreakGlassSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class BreakGlassGrantSerializer(serializers.Serializer):
    med_id = serializers.CharField(source="card.med_id")
    expires_at = serializers.DateTimeField()


class BreakGlassView(APIView):
    @extend_schema(request=BreakGlassSerializer, responses={201: BreakGlassGrantSerializer})
    def post(self, request, med_id):
        return run_service(request, accepts=BreakGlassSerializer,
                           call=partial(services.break_the_glass, med_id=med_id),
                           answer=BreakGlassGrantSerializer)


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=16, help_text=_("MED-ID of the card to keep."))


class MergeView(APIView):
    """Merge this card into another: a temporary card once its person is identified."""

    @extend_schema(request=MergeSerializer, responses=CardSerializer)
    def post(self, request, med_id):
        def merge(*, actor, into):
            return services.merge_cards(actor=actor, source_med_id=med_id, target_med_id=into)

        return run_service(request, accepts=MergeSerializer, call=merge, answer=CardSerializer,
                           created=False)


class AttachmentSerializer(serializers.Serializer):
    facility = serializers.SlugRelatedField(slug_field="code", queryset=Facility.objects.all())
    family_doctor = serializers.SlugRelatedField(slug_field="username",
                                                 queryset=User.objects.all(), required=False,
                                                 allow_null=True, default=None)
    reason = serializers.CharField(max_length=300)


class AttachmentView(APIView):
    """Attach the card to another polyclinic or family doctor, with a reason."""

    @extend_schema(request=AttachmentSerializer, responses=CardSerializer)
    def post(self, request, med_id):
        return run_service(request, accepts=AttachmentSerializer,
                           call=partial(services.change_attachment, med_id=med_id),
                           answer=lambda attachment: CardSerializer(attachment.card))


class AllergySerializer(serializers.ModelSerializer):
    class Meta:
        model = Allergy
        fields = ["public_id", "kind", "substance", "atc_code", "reaction", "severity",
                  "verification", "noted_at", "ended_at", "end_reason"]
        read_only_fields = ["public_id", "atc_code", "noted_at", "ended_at", "end_reason"]


class AllergyEndSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.END_REASON_LENGTH,
                                   help_text=_("Why it no longer applies: outgrown, recorded "
                                               "in error…"))


class ChronicConditionSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(
        help_text=_("The clinician's text, or the catalogue's title in the request's language."))

    class Meta:
        model = ChronicCondition
        fields = ["public_id", "icd10_code", "text", "name", "since", "status"]
        read_only_fields = ["public_id"]
        # Left out, the catalogue's title names the condition (patients.services).
        extra_kwargs = {"text": {"required": False, "allow_blank": True}}

    def get_name(self, condition) -> str:
        return selectors.with_catalogue_titles([condition])[0].name


class AllergyView(APIView):
    @extend_schema(request=AllergySerializer, responses={201: AllergySerializer})
    def post(self, request, med_id):
        return run_service(request, accepts=AllergySerializer,
                           call=partial(services.record_allergy, med_id=med_id),
                           answer=AllergySerializer)


class AllergyDetailView(APIView):
    """Correct a current allergy: the whole allergy as it should read."""

    @extend_schema(request=AllergySerializer, responses=AllergySerializer)
    def put(self, request, med_id, allergy_id):
        return run_service(request, accepts=AllergySerializer, answer=AllergySerializer,
                           call=partial(services.correct_allergy, med_id=med_id,
                                        allergy_id=allergy_id), created=False)


class AllergyEndView(APIView):
    """End an allergy: it stays on the card as history and warns no more."""

    @extend_schema(request=AllergyEndSerializer, responses=AllergySerializer)
    def post(self, request, med_id, allergy_id):
        return run_service(request, accepts=AllergyEndSerializer, answer=AllergySerializer,
                           call=partial(services.end_allergy, med_id=med_id,
                                        allergy_id=allergy_id), created=False)


class ChronicConditionDetailView(APIView):
    """Correct a condition or change its status (in remission, resolved)."""

    @extend_schema(request=ChronicConditionSerializer, responses=ChronicConditionSerializer)
    def put(self, request, med_id, condition_id):
        return run_service(request, accepts=ChronicConditionSerializer,
                           answer=ChronicConditionSerializer,
                           call=partial(services.correct_chronic_condition, med_id=med_id,
                                        condition_id=condition_id), created=False)


class ChronicConditionView(APIView):
    @extend_schema(request=ChronicConditionSerializer,
                   responses={201: ChronicConditionSerializer})
    def post(self, request, med_id):
        return run_service(request, accepts=ChronicConditionSerializer,
                           call=partial(services.record_chronic_condition, med_id=med_id),
                           answer=ChronicConditionSerializer)


class TemporaryCardSerializer(serializers.Serializer):
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True,
                                  default="")
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                  help_text=_("What identifies the person: clothes, marks…"))


class TemporaryCardView(APIView):
    """A card at once for an unidentified person, scoped to the registering facility."""

    @extend_schema(request=TemporaryCardSerializer, responses={201: CardSerializer})
    def post(self, request):
        return run_service(request, accepts=TemporaryCardSerializer,
                           call=services.register_temporary_card, answer=CardSerializer)


class RepresentativeSerializer(serializers.Serializer):
    representative = serializers.SlugRelatedField(slug_field="username",
                                                  queryset=User.objects.all())
    basis = serializers.CharField(max_length=200)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class RepresentativeView(APIView):
    @extend_schema(request=RepresentativeSerializer, responses={201: RepresentativeSerializer})
    def post(self, request, med_id):
        return run_service(request, accepts=RepresentativeSerializer,
                           call=partial(services.link_representative, med_id=med_id),
                           answer=RepresentativeSerializer)
