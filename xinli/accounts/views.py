"""Login (password + TOTP), two-factor enrolment, logout, and the security administrator's page."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from xinli.core import audit
from xinli.core.i18n import bilingual
from xinli.core.scoping import has_capability

from . import selectors, services
from .forms import LoginForm, TokenForm
from .policy import SECURITY_MANAGE


def lockout_response(request, credentials, *args, **kwargs):
    """django-axes calls this when a locked account tries again."""
    message = bilingual(_("Account locked after repeated failed logins; try again later or ask the security administrator."))
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": message}, status=403)
    return render(request, "accounts/login.html", {"form": LoginForm(), "error": message}, status=403)


def login_view(request):
    form = LoginForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = services.check_login(request, form.cleaned_data["username"], form.cleaned_data["password"], form.cleaned_data["otp"])
        if result.user is not None:
            login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
            if result.device is not None:
                otp_login(request, result.device)
            audit.record(result.user, audit.Action.LOGIN, obj=result.user)
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = ""
            return redirect(target or "home")
        error = result.error
    return render(request, "accounts/login.html", {"form": form, "error": error, "next": request.GET.get("next", "")},
                  status=403 if error else 200)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(request.user, audit.Action.LOGOUT, obj=request.user)
    logout(request)
    return redirect("accounts:login")


@login_required
def two_factor_view(request):
    """Enrol an authenticator app (first time) or present a code for this session."""
    user = request.user
    if user.is_verified() or not services.needs_two_factors(user):
        return redirect("home")
    device = services.confirmed_device(user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if device is not None:
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["token"].strip()):
                otp_login(request, device)
                return redirect("home")
            form.add_error("token", bilingual(_("One-time code: wrong; enter the 6 digits shown now.")))
        return render(request, "accounts/two_factor.html", {"form": form, "enrol": False})
    pending_id = request.session.get("totp_pending")
    pending = user.totpdevice_set.filter(pk=pending_id, confirmed=False).first() if pending_id else None
    if pending is None:
        pending = services.start_totp_enrolment(user)
        request.session["totp_pending"] = pending.pk
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_enrolment(user, pending, form.cleaned_data["token"]):
            otp_login(request, pending)
            request.session.pop("totp_pending", None)
            messages.success(request, bilingual(_("Two-factor login is set up.")))
            return redirect("home")
        form.add_error("token", bilingual(_("One-time code: wrong; scan the code again and enter the 6 digits shown.")))
    svg = io.BytesIO()
    qrcode.make(pending.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(svg)
    secret = pending.bin_key.hex()
    return render(request, "accounts/two_factor.html", {
        "form": form, "enrol": True, "qr_svg": svg.getvalue().decode(), "secret": secret,
    })


@login_required
def security_view(request):
    """Security administrator: locked accounts and two-factor resets. No person data here."""
    if not has_capability(request.user, SECURITY_MANAGE):
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        username = request.POST.get("username", "")
        if action == "unlock":
            services.unlock_account(request.user, username)
            messages.success(request, bilingual(_("Account unlocked.")))
        elif action == "reset_2fa":
            target = selectors.managed_user(request.user, username)
            if target is None:
                raise Http404
            services.reset_two_factor(request.user, target)
            messages.success(request, bilingual(_("Two-factor login reset; the user enrols again at next login.")))
        return redirect("accounts:security")
    return render(request, "accounts/security.html", {
        "locked": selectors.locked_accounts(),
        "users": selectors.users_in_scope(request.user, SECURITY_MANAGE)[:200],
    })


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
