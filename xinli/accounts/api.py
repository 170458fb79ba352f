from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from xinli.core import audit
from xinli.core.api import StrictSerializerMixin
from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual
from xinli.core.openapi import ApiErrorSerializer
from xinli.core.ratelimit import rate_limited

from . import selectors, services
from .models import ApiToken


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
    if result.retry_after:
        return Response({"detail": result.error}, status=429, headers={"Retry-After": str(result.retry_after)})
    if result.user is None:
        return Response({"detail": result.error}, status=403 if result.locked else 400)
    if services.needs_two_factors(result.user) and result.device is None:
        return Response({"detail": bilingual(_("Two-factor login: set up an authenticator app in the web interface first."))}, status=403)
    if result.user.must_change_password:
        return Response({"detail": bilingual(_("Password change required: change your password on the web page /accounts/password/ first."))}, status=403)
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


class TokenRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked = serializers.BooleanField()
    current = serializers.BooleanField()


def _current_token(request):
    return request.auth if isinstance(request.auth, ApiToken) else None


@extend_schema(request=None, responses={204: None}, description="Log out: the API token presented is revoked (a session is ended).")
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def logout(request):
    token = _current_token(request)
    if token is not None:
        services.logout_token(request.user, token)
    else:
        from django.contrib.auth import logout as session_logout

        audit.record(request.user, audit.Action.LOGOUT, obj=request.user)
        session_logout(request._request)
    return Response(status=204)


@extend_schema(responses={200: TokenRowSerializer(many=True)}, description="Your own API tokens (never the keys).")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def tokens(request):
    current = _current_token(request)
    rows = selectors.own_tokens(request.user)[:100]
    return Response([{"id": t.pk, "prefix": t.prefix, "created_at": t.created_at, "expires_at": t.expires_at,
                      "last_used_at": t.last_used_at, "revoked": t.revoked, "current": current is not None and t.pk == current.pk}
                     for t in rows])


@extend_schema(request=None, responses={204: None, 404: ApiErrorSerializer}, description="Revoke one of your own API tokens.")
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def revoke_token(request, pk):
    token = selectors.own_tokens(request.user).filter(pk=form_pk(pk)).first()
    if token is None:
        raise NotFound(bilingual(_("Token: not found among your tokens; list them with GET /api/v1/auth/tokens/.")))
    services.revoke_token(request.user, token)
    return Response(status=204)


class PasswordChangeSerializer(StrictSerializerMixin, serializers.Serializer):
    current_password = serializers.CharField(label=_("Current password"), max_length=256)
    new_password = serializers.CharField(label=_("New password"), max_length=256)
    otp = serializers.CharField(label=_("One-time code"), max_length=8, required=False, allow_blank=True)


@extend_schema(request=PasswordChangeSerializer, responses={204: None, 400: ApiErrorSerializer},
               description="Change your password (current password, and the one-time code if you have an authenticator). "
                           "Every other API token of yours is revoked; the one used for this request stays.")
@sensitive_post_parameters("current_password", "new_password", "otp")
@rate_limited("login")
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def change_password(request):
    serializer = PasswordChangeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    d = serializer.validated_data
    try:
        services.change_password(request.user, current=d["current_password"], new=d["new_password"], otp=d.get("otp", ""),
                                 keep_token=_current_token(request))
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from exc
    if _current_token(request) is None:
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(request._request, request.user)
    return Response(status=204)
