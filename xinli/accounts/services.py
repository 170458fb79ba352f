"""Writes to accounts: users, assignments, tokens, and the login checks shared by the web form and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinli.core import audit
from xinli.core.i18n import bilingual, field_error
from xinli.core.policy import ACCOUNTS_MANAGE, Role, role_needs_two_factors
from xinli.core.scoping import path_in_scope

from .models import ApiToken, Assignment, User


def needs_two_factors(user) -> bool:
    """True when ``user`` must present a TOTP code: the setting is on, a role needs it, and the user is not a demo
    account on a demo instance."""
    if not settings.XINLI_REQUIRE_2FA:
        return False
    if settings.XINLI_DEMO and getattr(user, "is_demo", False):
        return False
    return any(role_needs_two_factors(a.role) for a in user.active_assignments())


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@dataclass
class LoginResult:
    user: User | None
    device: TOTPDevice | None = None
    error: str = ""
    locked: bool = False


def check_login(request, username: str, password: str, otp: str = "") -> LoginResult:
    """Password (with lockout by django-axes) and, where required, the TOTP code. A wrong code counts as a failed
    login. Every outcome is audited."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        audit.record(None, audit.Action.LOGIN_FAILED, object_type="accounts.user", object_id=username[:64], outcome="locked")
        return LoginResult(None, error=bilingual(_("Account locked after repeated failed logins; try again later or ask the security administrator.")), locked=True)
    if user is None:
        audit.record(None, audit.Action.LOGIN_FAILED, object_type="accounts.user", object_id=username[:64], outcome="failed")
        return LoginResult(None, error=bilingual(_("Username or password is wrong; check them and retry.")))
    device = None
    if needs_two_factors(user):
        device = confirmed_device(user)
        if device is not None:
            token = (otp or "").strip().replace(" ", "")
            if not token or not device.verify_token(token):
                user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
                audit.record(user, audit.Action.LOGIN_FAILED, obj=user, outcome="bad_otp")
                return LoginResult(None, error=bilingual(_("One-time code: missing or wrong; enter the 6 digits shown by your authenticator app.")))
    return LoginResult(user, device)


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new API token for ``user``; returns the key (shown once) and the stored row."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8],
        expires_at=timezone.now() + timedelta(hours=settings.XINLI_API_TOKEN_HOURS),
    )
    audit.record(user, audit.Action.TOKEN, obj=token)
    return key, token


def create_user(*, username: str, password: str, display_name: str = "", assignments=(), actor=None, is_demo: bool = False,
                email: str = "", mobile: str = "") -> User:
    """Create a user with role assignments [(org_unit, role), ...]. The actor must hold ``accounts.manage`` over
    every unit (seeding passes no actor). ``email`` and ``mobile`` receive alert notifications."""
    if User.objects.filter(username=username).exists():
        raise field_error("username", _("Username: already taken; choose another."), code="unique")
    user = User(username=username, display_name=display_name, is_demo=is_demo, email=email, mobile=mobile or None)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save()
        for unit, role in assignments:
            grant_role(user, unit, role, actor=actor)
        audit.record(actor, audit.Action.CREATE, obj=user, detail={"roles": [r for _, r in assignments]})
    return user


def grant_role(user: User, unit, role: str, *, actor=None) -> Assignment:
    if role not in Role.values:
        raise field_error("role", _("Role: unknown role; pick one of the listed roles."))
    if actor is not None and not path_in_scope(actor, ACCOUNTS_MANAGE, unit.path):
        raise PermissionDenied
    assignment, _created = Assignment.objects.update_or_create(
        user=user, org_unit=unit, role=role, defaults={"active": True, "granted_by": actor}
    )
    user.__dict__.pop("_xinli_assignments", None)
    user.__dict__.pop("_xinli_scope_cache", None)
    if actor is not None:
        audit.record(actor, audit.Action.SECURITY, obj=assignment, detail={"role": role, "org_unit": unit.code})
    return assignment


def unlock_account(actor, username: str) -> None:
    """Security administrator: clear the lockout of ``username``."""
    from axes.utils import reset

    reset(username=username)
    audit.record(actor, audit.Action.SECURITY, object_type="accounts.user", object_id=username[:64], detail={"unlock": True})


def reset_two_factor(actor, user: User) -> None:
    """Security administrator: remove a user's TOTP devices so they enrol again at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor, audit.Action.SECURITY, obj=user, detail={"reset_2fa": True})


def start_totp_enrolment(user: User) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def confirm_totp_enrolment(user: User, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token((token or "").strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(user, audit.Action.SECURITY, obj=user, detail={"totp_enrolled": True})
    return True


def revoke_assignment(actor, assignment: Assignment) -> None:
    """System administrator: end a role assignment inside their area."""
    if not path_in_scope(actor, ACCOUNTS_MANAGE, assignment.org_unit.path):
        raise PermissionDenied
    with transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk).update(active=False)
        audit.record(actor, audit.Action.SECURITY, obj=assignment, detail={"revoked": assignment.role, "org_unit": assignment.org_unit.code})


def set_active(actor, user: User, active: bool) -> None:
    """System administrator: disable or re-enable an account (accounts are never deleted: the audit log names them)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        audit.record(actor, audit.Action.SECURITY, obj=user, detail={"active": active})
