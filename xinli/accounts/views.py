"""Login (password + TOTP), two-factor enrolment, logout, and the security administrator's page."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from xinli.core import audit
from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual
from xinli.core.policy import ACCOUNTS_MANAGE, SECURITY_MANAGE
from xinli.core.ratelimit import rate_limited
from xinli.core.scoping import has_capability, path_in_scope
from xinli.regions.selectors import visible_units

from . import selectors, services
from .forms import AssignmentForm, LoginForm, PasswordChangeForm, TokenForm, UserCreateForm


def lockout_response(request, credentials, *args, **kwargs):
    """django-axes calls this when a locked account tries again."""
    message = bilingual(_("Account locked after repeated failed logins; try again later or ask the security administrator."))
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": message}, status=403)
    return render(request, "accounts/login.html", {"form": LoginForm(), "error": message}, status=403)


@sensitive_post_parameters("password", "otp")  # error reports never show them
@rate_limited("login")
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
        if result.retry_after:
            response = render(request, "accounts/login.html", {"form": form, "error": error, "next": request.GET.get("next", "")}, status=429)
            response["Retry-After"] = str(result.retry_after)
            return response
    return render(request, "accounts/login.html", {"form": form, "error": error, "next": request.GET.get("next", "")},
                  status=403 if error else 200)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(request.user, audit.Action.LOGOUT, obj=request.user)
    logout(request)
    return redirect("accounts:login")


@sensitive_post_parameters("current_password", "new_password", "new_password2", "otp")
@rate_limited("login")
@login_required
def password_view(request):
    """Every user: change the password (current password and second factor again); after a reset, the only page."""
    user = request.user
    form = PasswordChangeForm(request.POST if request.method == "POST" else None, with_otp=services.confirmed_device(user) is not None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.change_password(user, current=d["current_password"], new=d["new_password"], otp=d.get("otp", ""))
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            update_session_auth_hash(request, user)  # this session stays; the others end
            messages.success(request, bilingual(_("Password changed; your other sessions and API tokens have ended.")))
            return redirect("home")
    return render(request, "accounts/password.html", {"form": form, "forced": user.must_change_password},
                  status=400 if form.errors else 200)


@login_required
def tokens_view(request):
    """Every user: their API tokens (never the keys), and revoke one or all."""
    user = request.user
    if request.method == "POST":
        if request.POST.get("action") == "revoke_all":
            services.revoke_tokens(user, user, reason="by_owner")
        else:
            token = selectors.own_tokens(user).filter(pk=form_pk(request.POST.get("token"))).first()
            if token is None:
                raise Http404
            services.revoke_token(user, token)
        messages.success(request, bilingual(_("API token revoked.")))
        return redirect("accounts:tokens")
    return render(request, "accounts/tokens.html", {"tokens": selectors.own_tokens(user)[:100], "now": timezone.now()})


@sensitive_post_parameters("token")
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
    """Security administrator: locked accounts, two-factor resets, role requests to approve, the overseeing
    administrators' accounts. No person data here."""
    actor = request.user
    if not has_capability(actor, SECURITY_MANAGE):
        raise Http404
    denied = ""
    temporary = None
    if request.method == "POST":
        action = request.POST.get("action")
        username = request.POST.get("username", "")
        try:
            if action == "unlock":
                services.unlock_account(actor, username)
                messages.success(request, bilingual(_("Account unlocked.")))
            elif action == "reset_2fa":
                services.reset_two_factor(actor, _managed(actor, username))
                messages.success(request, bilingual(_("Two-factor login reset; the user enrols again at next login.")))
            elif action in ("approve", "reject"):
                assignment = selectors.pending_requests(actor).filter(pk=form_pk(request.POST.get("assignment"))).first()
                if assignment is None:
                    raise Http404
                services.decide_role_request(actor, assignment, action == "approve")
                messages.success(request, bilingual(_("Role granted.") if action == "approve" else _("Role request rejected.")))
            elif action == "revoke":
                assignment = selectors.assignments_in_scope(actor, SECURITY_MANAGE).filter(pk=form_pk(request.POST.get("assignment"))).first()
                if assignment is None:
                    raise Http404
                services.revoke_assignment(actor, assignment)
                messages.success(request, bilingual(_("Role revoked.")))
            elif action in ("disable", "enable"):
                services.set_active(actor, _managed(actor, username), action == "enable")
            elif action == "revoke_tokens":
                count = services.revoke_tokens(actor, _managed(actor, username), reason="by_security_admin")
                messages.success(request, bilingual(_("{count} API tokens revoked."), count=count))
            elif action == "reset_password":
                target = _managed(actor, username)
                # Shown once on this answer (never put in the session or a message cookie).
                temporary = {"username": target.username, "password": services.reset_password(actor, target)}
        except PermissionDenied as exc:
            denied = str(exc) or bilingual(_("Not allowed."))
        else:
            if temporary is None:
                return redirect("accounts:security")
    return render(request, "accounts/security.html", {
        "locked": selectors.locked_accounts(),
        "users": _with_actions(actor, selectors.users_in_scope(actor, SECURITY_MANAGE)[:200]),
        "requests": selectors.pending_requests(actor).select_related("user", "org_unit", "granted_by")[:200],
        "denied": denied, "temporary": temporary,
    }, status=403 if denied else 200)


def _with_actions(actor, users):
    """The users with what the page may offer on each (``u.actions``, ``a.revocable`` on each prefetched assignment):
    an action the services would refuse is not shown."""
    users = list(users)
    for u in users:
        # One's own tokens and password are on /accounts/tokens/ and /accounts/password/, not on these pages.
        u.actions = frozenset() if u.pk == actor.pk else services.account_actions(actor, u)
        for a in u.assignments.all():
            a.revocable = services.may_revoke(actor, a)
    return users


def _managed(actor, username):
    target = selectors.managed_user(actor, username)
    if target is None:
        raise Http404
    return target


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def _manageable_units(user):
    return [u for u in visible_units(user).order_by("path") if path_in_scope(user, ACCOUNTS_MANAGE, u.path)]


@sensitive_post_parameters("password")
@login_required
def users_view(request):
    """System administrator: accounts and role assignments in their area; create, assign (roles that read person
    data are requests for the security administrator), revoke, disable."""
    actor = request.user
    if not has_capability(actor, ACCOUNTS_MANAGE):
        raise Http404
    units = _manageable_units(actor)
    form = UserCreateForm(request.POST if request.POST.get("action") == "create" else None, units=units)
    assign_form = AssignmentForm(request.POST if request.POST.get("action") == "assign" else None, units=units)
    denied = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create" and form.is_valid():
                d = form.cleaned_data
                unit = next((u for u in units if u.pk == d["org_unit"]), None)
                try:
                    services.create_user(username=d["username"], password=d["password"], display_name=d["display_name"],
                                         assignments=[(unit, d["role"], d["department"])], actor=actor)
                except ValidationError as exc:
                    form.add_service_error(exc)
                else:
                    messages.success(request, bilingual(_("Account created.")))
                    _say_pending(request, d["role"])
                    return redirect("accounts:users")
            elif action == "assign" and assign_form.is_valid():
                target = selectors.users_in_scope(actor, ACCOUNTS_MANAGE).filter(username=request.POST.get("username")).first()
                unit = next((u for u in units if u.pk == assign_form.cleaned_data["org_unit"]), None)
                if target is None or unit is None:
                    raise Http404
                try:
                    assignment = services.grant_role(target, unit, assign_form.cleaned_data["role"], actor=actor,
                                                     department=assign_form.cleaned_data["department"])
                except ValidationError as exc:
                    assign_form.add_service_error(exc)
                else:
                    if assignment.pending:
                        _say_pending(request, assignment.role)
                    else:
                        messages.success(request, bilingual(_("Role granted.")))
                    return redirect("accounts:users")
            elif action == "revoke":
                assignment = selectors.assignments_in_scope(actor).filter(pk=form_pk(request.POST.get("assignment"))).first()
                if assignment is None:
                    raise Http404
                services.revoke_assignment(actor, assignment)
                messages.success(request, bilingual(_("Role revoked.")))
                return redirect("accounts:users")
            elif action in ("disable", "enable"):
                target = selectors.users_in_scope(actor, ACCOUNTS_MANAGE).filter(username=request.POST.get("username")).first()
                if target is None:
                    raise Http404
                services.set_active(actor, target, action == "enable")
                return redirect("accounts:users")
        except PermissionDenied as exc:
            denied = str(exc) or bilingual(_("Not allowed."))
    return render(request, "accounts/users.html", {
        "users": _with_actions(actor, selectors.users_in_scope(actor, ACCOUNTS_MANAGE)[:500]), "form": form, "assign_form": assign_form,
        "denied": denied,
    }, status=403 if denied else 400 if (form.errors or assign_form.errors) else 200)


def _say_pending(request, role):
    if services.needs_approval(role):
        messages.info(request, bilingual(_("Role requested: it takes effect when the security administrator approves it.")))
