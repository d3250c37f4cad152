from django.contrib.auth import authenticate, logout
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dmed.acting import acting_facility_code
from dmed.api import tokens
from dmed.models import ApiToken
from dmed.signin_limits import forget_own_failures


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False,
                                     style={"input_type": "password"})


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token (`Authorization: Token …`).

    Each sign-in gets its own token; it ends after API_TOKEN_IDLE_SECONDS unused or
    API_TOKEN_ABSOLUTE_SECONDS in all, on POST /api/v1/auth/logout/ and when the password
    changes.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {
            "token": serializers.CharField(),
            "expires_at": serializers.DateTimeField(help_text=_(
                "The latest the token lasts; unused for the idle limit, it ends sooner.")),
        })},
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
        forget_own_failures(request._request, user.get_username())
        token, key = tokens.issue_token(user)
        return Response({"token": key, "expires_at": token.expires_at})


class LogoutView(APIView):
    """End the token this request presents (or, in a browser, the session)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            tokens.revoke_token(request.auth, by=request.user, reason="logout")
        else:
            logout(request._request)
        return Response(status=204)


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
