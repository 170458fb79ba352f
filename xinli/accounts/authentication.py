from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``. Tokens are only issued after password and (where required) TOTP, so a
    token-authenticated request counts as two-factor verified."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed() from exc
        now = timezone.now()
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key), revoked=False, expires_at__gt=now)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
