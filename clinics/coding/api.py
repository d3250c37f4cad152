"""The ICD-10 catalogue API: reference data, open to every signed-in user."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinics.coding.selectors import SEARCH_LIMIT, protocols_for, search_icd10
from dmed.api.schema import results_page


class Icd10Serializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    title_uz = serializers.CharField()
    title_ru = serializers.CharField()
    is_leaf = serializers.BooleanField()


class Icd10ParamsSerializer(serializers.Serializer):
    search = serializers.CharField(max_length=100, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=SEARCH_LIMIT)


class Icd10SearchView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("search", str, description=_("A code prefix (E11, e11.9) or words "
                                                      "of the title in any language")),
        OpenApiParameter("limit", int)], responses=results_page("Icd10List", Icd10Serializer))
    def get(self, request):
        params = Icd10ParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = search_icd10(params.validated_data["search"],
                             limit=params.validated_data["limit"])
        return Response({"results": Icd10Serializer(found, many=True).data})


class ProtocolSerializer(serializers.Serializer):
    """A protocol as the visit form uses it: sections already in the request's language."""

    def to_representation(self, protocol):
        return {"slug": protocol.slug, "title": protocol.title,
                "specialty": protocol.specialty,
                "codes": [link.code_id for link in protocol.diagnoses.all()],
                "sections": protocol.section_texts(),
                "lab_tests": [{"code": test.code, "name": test.name}
                              for test in protocol.suggested_tests],
                "medicines": protocol.suggested_medicines()}


class ProtocolParamsSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=7)


class ProtocolListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("code", str, required=True,
                                                description=_("ICD-10 code of a diagnosis"))],
                   responses=results_page("ProtocolList", ProtocolSerializer))
    def get(self, request):
        params = ProtocolParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = protocols_for(params.validated_data["code"])
        return Response({"results": ProtocolSerializer(found, many=True).data})
