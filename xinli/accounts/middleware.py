from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from xinli.core.i18n import bilingual

from .services import needs_two_factors

OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/i18n/", "/static/")


class RequireTwoFactorMiddleware:
    """A logged-in session that needs two factors but has not presented a TOTP code reaches only the enrolment
    page and logout; everything else redirects there (HTML) or answers 403 (API)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and needs_two_factors(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": bilingual(_("Two-factor login required; log in with your one-time code."))}, status=403)
            return redirect("accounts:two_factor")
        return self.get_response(request)


PASSWORD_OPEN_PREFIXES = OPEN_PREFIXES + ("/accounts/password/", "/api/v1/auth/password/", "/api/v1/auth/logout/")


class ForcePasswordChangeMiddleware:
    """After a password reset by the security administrator (or an account created with an initial password), the
    user reaches only the password-change page and logout until the password is changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(PASSWORD_OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": bilingual(_("Password change required: change your password first."))}, status=403)
            return redirect("accounts:password")
        return self.get_response(request)
