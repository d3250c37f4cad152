from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clinics.selectors import acting_facility_code


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False,
                                     style={"input_type": "password"})


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token …`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The plain HttpRequest goes to authenticate() so that django-axes can count the
        # failure and flag a lockout on the request its middleware answers.
        user = authenticate(request._request, **serializer.validated_data)
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": [_("The username or password is not correct.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class CurrentUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    facility = serializers.CharField(allow_blank=True, help_text=_("Acting facility code."))


class CurrentUserView(APIView):
    """Who the request is authenticated as: lets an integration check its token."""

    @extend_schema(responses=CurrentUserSerializer)
    def get(self, request):
        user = request.user
        return Response(CurrentUserSerializer({
            "username": user.username,
            "full_name": user.full_name,
            "role": user.role,
            "facility": acting_facility_code(user),
        }).data)
