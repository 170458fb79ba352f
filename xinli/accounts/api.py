from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import bilingual
from xinli.core.openapi import ApiErrorSerializer
from xinli.core.ratelimit import rate_limited

from . import services


class TokenRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.CharField(label=_("Username"), max_length=150)
    password = serializers.CharField(label=_("Password"), max_length=256, style={"input_type": "password"})
    otp = serializers.CharField(label=_("One-time code"), max_length=8, required=False, allow_blank=True)


@extend_schema(
    request=TokenRequestSerializer,
    responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}),
               429: OpenApiResponse(ApiErrorSerializer, description="Too many login attempts from this address.")},
    description="Exchange username, password and (for roles that need it) a TOTP code for an API token.",
)
@sensitive_post_parameters("password", "otp")
@rate_limited("login")
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def obtain_token(request):
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    result = services.check_login(request._request, data["username"], data["password"], data.get("otp", ""))
    if result.user is None:
        return Response({"detail": result.error}, status=403 if result.locked else 400)
    if services.needs_two_factors(result.user) and result.device is None:
        return Response({"detail": bilingual(_("Two-factor login: set up an authenticator app in the web interface first."))}, status=403)
    key, token = services.issue_token(result.user)
    return Response({"token": key, "expires_at": token.expires_at})


@extend_schema(responses={200: inline_serializer("Me", {
    "username": serializers.CharField(), "display_name": serializers.CharField(),
    "assignments": serializers.ListField(child=serializers.DictField()),
})})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    user = request.user
    return Response({
        "username": user.username,
        "display_name": user.display_name,
        "assignments": [
            {"role": a.role, "org_unit": a.org_unit_id, "org_unit_code": a.org_unit.code, "org_unit_name": a.org_unit.name}
            for a in user.active_assignments()
        ],
    })
