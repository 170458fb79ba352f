from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from xinli.core.i18n import bilingual

from .services import needs_two_factors

OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/i18n/", "/static/")


class _Gate:
    """A logged-in user who must do something first (``blocks``) reaches only ``open_prefixes``; pages redirect to
    ``page``, the API answers 403 with ``api_message``."""

    open_prefixes: tuple[str, ...] = OPEN_PREFIXES
    page = ""
    api_message = ""

    def __init__(self, get_response):
        self.get_response = get_response

    def blocks(self, user) -> bool:
        raise NotImplementedError

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(self.open_prefixes)
                and self.blocks(user)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": bilingual(self.api_message)}, status=403)
            return redirect(self.page)
        return self.get_response(request)


class RequireTwoFactorMiddleware(_Gate):
    """A logged-in session that needs two factors but has not presented a TOTP code reaches only the enrolment
    page and logout; everything else redirects there (HTML) or answers 403 (API)."""

    page = "accounts:two_factor"
    api_message = _("Two-factor login required; log in with your one-time code.")

    def blocks(self, user) -> bool:
        return not user.is_verified() and needs_two_factors(user)


class ForcePasswordChangeMiddleware(_Gate):
    """After a password reset by the security administrator (or an account created with an initial password), the
    user reaches only the password-change page and logout until the password is changed."""

    open_prefixes = OPEN_PREFIXES + ("/accounts/password/", "/api/v1/auth/password/", "/api/v1/auth/logout/")
    page = "accounts:password"
    api_message = _("Password change required: change your password first.")

    def blocks(self, user) -> bool:
        return bool(getattr(user, "must_change_password", False))
