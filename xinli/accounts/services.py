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
from xinli.core.policy import (
    ACCOUNTS_MANAGE,
    GRANTS,
    PERSON_CAPABILITIES,
    SECURITY_MANAGE,
    Role,
    role_needs_two_factors,
)
from xinli.core.scoping import has_capability, path_in_scope

from . import throttle
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
    retry_after: int = 0  # the per-username delay (accounts.throttle): seconds to wait


def check_login(request, username: str, password: str, otp: str = "") -> LoginResult:
    """Password (with lockout by django-axes) and, where required, the TOTP code. A wrong code counts as a failed
    login. Lockout is per (username, address); many failures for one username from anywhere only delay the next
    attempt (``accounts.throttle``). Every outcome is audited."""
    wait = throttle.wait_seconds(username)
    if wait:
        audit.record(None, audit.Action.LOGIN_FAILED, object_type="accounts.user", object_id=username[:64], outcome="delayed")
        return LoginResult(None, error=bilingual(_("Too many failed logins for this account; wait {seconds} seconds and try again."), seconds=wait),
                           retry_after=wait)
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        throttle.record_failure(username)
        audit.record(None, audit.Action.LOGIN_FAILED, object_type="accounts.user", object_id=username[:64], outcome="locked")
        return LoginResult(None, error=bilingual(_("Account locked after repeated failed logins; try again later or ask the security administrator.")), locked=True)
    if user is None:
        throttle.record_failure(username)
        audit.record(None, audit.Action.LOGIN_FAILED, object_type="accounts.user", object_id=username[:64], outcome="failed")
        return LoginResult(None, error=bilingual(_("Username or password is wrong; check them and retry.")))
    device = None
    if needs_two_factors(user):
        device = confirmed_device(user)
        if device is not None:
            token = (otp or "").strip().replace(" ", "")
            if not token or not device.verify_token(token):
                user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
                throttle.record_failure(username)
                audit.record(user, audit.Action.LOGIN_FAILED, obj=user, outcome="bad_otp")
                return LoginResult(None, error=bilingual(_("One-time code: missing or wrong; enter the 6 digits shown by your authenticator app.")))
    throttle.clear(username)
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


def _check_password(password: str, user: User, field: str) -> None:
    """The complexity rules (AUTH_PASSWORD_VALIDATORS), their messages attached to ``field``."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def create_user(*, username: str, password: str, display_name: str = "", assignments=(), actor=None, is_demo: bool = False,
                email: str = "", mobile: str = "") -> User:
    """Create a user with role assignments [(org_unit, role), ...]. The actor must hold ``accounts.manage`` over
    every unit (seeding passes no actor). ``email`` and ``mobile`` receive alert notifications."""
    if User.objects.filter(username=username).exists():
        raise field_error("username", _("Username: already taken; choose another."), code="unique")
    # An initial password chosen by an administrator is changed by its owner at first login.
    user = User(username=username, display_name=display_name, is_demo=is_demo, email=email, mobile=mobile or None,
                must_change_password=actor is not None)
    _check_password(password, user, "password")
    with transaction.atomic():
        user.set_password(password)
        user.save()
        for unit, role, *department in assignments:  # (unit, role) or (unit, role, department)
            grant_role(user, unit, role, actor=actor, department=department[0] if department else None)
        audit.record(actor, audit.Action.CREATE, obj=user, detail={"roles": [a[1] for a in assignments]})
    return user


# --- Three-administrator separation (MLPS 2.0 三员分立; docs/security.md "Administrator separation") ---------------
# The system administrator manages accounts and the roles that read no person data. A role that reads person data,
# or the security / audit administrator role, is only *requested* by a system administrator; it takes effect when a
# security administrator approves it. No administrator changes its own roles or account status; no account holds a
# person-data role together with an administrator role, or two different administrator roles; the system
# administrator does not touch the security or audit administrator's account or roles.
OVERSEER_ROLES = frozenset({Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


def reads_person_data(role: str) -> bool:
    """True when ``role``'s capabilities (xinli.core.policy.GRANTS) read or write person-level data."""
    grant = GRANTS.get(role)
    return grant is not None and bool(grant.capabilities & PERSON_CAPABILITIES)


def is_administrator_role(role: str) -> bool:
    grant = GRANTS.get(role)
    return grant is not None and grant.administrator


def needs_approval(role: str) -> bool:
    """Roles a system administrator may only request: person-data roles and the overseeing administrators."""
    return reads_person_data(role) or role in OVERSEER_ROLES


def _held_roles(user: User, *, include_pending: bool = True) -> set[str]:
    rows = Assignment.objects.filter(user=user)
    rows = rows.filter(active=True) | rows.filter(pending=True) if include_pending else rows.filter(active=True)
    return set(rows.values_list("role", flat=True))


def _deny(message):
    raise PermissionDenied(bilingual(message))


def _check_role_mix(user: User, role: str) -> None:
    """``user`` may hold ``role`` next to its other (active or requested) roles."""
    held = _held_roles(user) - {role}
    if reads_person_data(role) and any(is_administrator_role(r) for r in held):
        _deny(_("An administrator account cannot hold a role that reads personal data (three-administrator separation)."))
    if is_administrator_role(role) and any(reads_person_data(r) for r in held):
        _deny(_("An account that reads personal data cannot also be an administrator (three-administrator separation)."))
    if is_administrator_role(role) and any(is_administrator_role(r) for r in held):
        _deny(_("An account holds only one kind of administrator role (three-administrator separation)."))


def _check_not_self(actor, user: User) -> None:
    if actor is not None and actor.pk == user.pk:
        _deny(_("You cannot change your own roles or account status; ask another administrator."))


def _check_not_overseer(actor, user: User) -> None:
    """The system administrator does not change the security or audit administrator's account or roles."""
    if _held_roles(user) & OVERSEER_ROLES:
        _deny(_("The security and audit administrators' accounts and roles are managed by the security administrator."))


def grant_role(user: User, unit, role: str, *, actor=None, department=None) -> Assignment:
    """Give ``user`` ``role`` over ``unit``. With an actor (a system administrator) a role that reads person data or
    an overseeing administrator role becomes a pending request for the security administrator; other roles take
    effect at once. Seeding passes no actor and skips the checks. ``department``: the department a department-staff
    role works for (required for that role, refused for the others)."""
    if role not in Role.values:
        raise field_error("role", _("Role: unknown role; pick one of the listed roles."))
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise field_error("department", _("Department: required for department staff; pick the department the person works for."),
                          code="required")
    if role != Role.DEPARTMENT_STAFF:
        department = None
    pending = False
    if actor is not None:
        if not path_in_scope(actor, ACCOUNTS_MANAGE, unit.path):
            raise PermissionDenied
        _check_not_self(actor, user)
        _check_not_overseer(actor, user)
        pending = needs_approval(role)
    _check_role_mix(user, role)
    existing = Assignment.objects.filter(user=user, org_unit=unit, role=role, active=True).first()
    if existing is not None:
        return existing
    assignment, _created = Assignment.objects.update_or_create(
        user=user, org_unit=unit, role=role,
        defaults={"active": not pending, "pending": pending, "granted_by": actor, "approved_by": None, "granted_at": timezone.now(),
                  "department": department},
    )
    user.__dict__.pop("_xinli_assignments", None)
    user.__dict__.pop("_xinli_scope_cache", None)
    if actor is not None:
        audit.record(actor, audit.Action.SECURITY, obj=assignment,
                     detail={"role": role, "org_unit": unit.code, "requested" if pending else "granted": True})
    return assignment


def decide_role_request(actor, assignment: Assignment, approve: bool) -> None:
    """Security administrator: approve or reject a pending role request inside their area (not one for themselves,
    nor one they requested)."""
    if not assignment.pending or not path_in_scope(actor, SECURITY_MANAGE, assignment.org_unit.path):
        raise PermissionDenied
    _check_not_self(actor, assignment.user)
    if assignment.granted_by_id == actor.pk:
        _deny(_("A role request is approved by another administrator than the one who made it."))
    with transaction.atomic():
        if approve:
            _check_role_mix(assignment.user, assignment.role)
        Assignment.objects.filter(pk=assignment.pk).update(active=approve, pending=False, approved_by=actor if approve else None)
        audit.record(actor, audit.Action.SECURITY, obj=assignment,
                     detail={"role": assignment.role, "org_unit": assignment.org_unit.code, "approved" if approve else "rejected": True})


def unlock_account(actor, username: str) -> None:
    """Security administrator: clear the lockout of ``username``."""
    from axes.utils import reset

    reset(username=username)  # every address's lockout for this username
    throttle.clear(username)
    audit.record(actor, audit.Action.SECURITY, object_type="accounts.user", object_id=username[:64], detail={"unlock": True})


def reset_two_factor(actor, user: User) -> None:
    """Security administrator: remove a user's TOTP devices so they enrol again at next login (not their own: a
    stolen session must not be able to replace its owner's second factor)."""
    _check_security_over(actor, user)
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


def _check_revoke(actor, assignment: Assignment) -> None:
    target = assignment.user
    _check_not_self(actor, target)
    path = assignment.org_unit.path
    if path_in_scope(actor, ACCOUNTS_MANAGE, path):
        _check_not_overseer(actor, target)
    elif path_in_scope(actor, SECURITY_MANAGE, path):
        if not needs_approval(assignment.role):
            _deny(_("This role is ended by the system administrator."))
    else:
        raise PermissionDenied


def revoke_assignment(actor, assignment: Assignment) -> None:
    """End a role assignment (or withdraw a pending request). The system administrator ends any role except on its
    own account and on the security / audit administrators' accounts; the security administrator ends roles that
    need its approval (person-data and overseeing roles), except its own."""
    _check_revoke(actor, assignment)
    with transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk).update(active=False, pending=False)
        audit.record(actor, audit.Action.SECURITY, obj=assignment, detail={"revoked": assignment.role, "org_unit": assignment.org_unit.code})


def _check_set_active(actor, user: User) -> None:
    _check_not_self(actor, user)
    overseer = bool(_held_roles(user) & OVERSEER_ROLES)
    if overseer and not has_capability(actor, SECURITY_MANAGE):
        _check_not_overseer(actor, user)
    if not overseer and not has_capability(actor, ACCOUNTS_MANAGE):
        _deny(_("Accounts other than the security and audit administrators' are managed by the system administrator."))


def set_active(actor, user: User, active: bool) -> None:
    """Disable or re-enable an account (accounts are never deleted: the audit log names them). The security
    administrator does this for security and audit administrators' accounts, the system administrator for every
    other account; nobody for their own."""
    _check_set_active(actor, user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        if not active:
            ApiToken.objects.filter(user=user, revoked=False).update(revoked=True, revoked_at=timezone.now())
        audit.record(actor, audit.Action.SECURITY, obj=user, detail={"active": active})


# --- Tokens and passwords (docs/security.md "Tokens and passwords") -------------------------------------------------
def revoke_token(actor, token: ApiToken) -> None:
    """End one API token: its owner's own, or any user's by the security administrator (the caller scopes it)."""
    if token.user_id != actor.pk and not path_in_scope_of_user(actor, SECURITY_MANAGE, token.user):
        raise PermissionDenied
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True, revoked_at=timezone.now())
        audit.record(actor, audit.Action.SECURITY, obj=token, detail={"token_revoked": token.prefix, "user": token.user.username})


def _check_revoke_tokens(actor, user: User) -> None:
    if actor is not None and actor.pk != user.pk and not path_in_scope_of_user(actor, SECURITY_MANAGE, user):
        raise PermissionDenied


def revoke_tokens(actor, user: User, *, keep: ApiToken | None = None, reason: str = "revoked") -> int:
    """End every live API token of ``user`` (but ``keep``); the security administrator for anyone in their area, a
    user for themselves."""
    _check_revoke_tokens(actor, user)
    rows = ApiToken.objects.filter(user=user, revoked=False)
    if keep is not None:
        rows = rows.exclude(pk=keep.pk)
    with transaction.atomic():
        count = rows.update(revoked=True, revoked_at=timezone.now())
        audit.record(actor, audit.Action.SECURITY, obj=user, detail={"tokens_revoked": count, "reason": reason})
    return count


def path_in_scope_of_user(actor, capability: str, user: User) -> bool:
    """``actor`` holds ``capability`` over one of ``user``'s org units (active assignments or requests)."""
    return any(path_in_scope(actor, capability, a.org_unit.path) for a in user.assignments.all())


def _check_security_over(actor, user: User) -> None:
    """The security administrator acts on the credentials of an account in their area, never on their own."""
    _check_not_self(actor, user)
    if not path_in_scope_of_user(actor, SECURITY_MANAGE, user):
        raise PermissionDenied


# What the account pages offer: exactly the actions these checks (the ones the services run) allow.
ACCOUNT_CHECKS = {"disable": _check_set_active, "reset_2fa": _check_security_over,
                  "reset_password": _check_security_over, "revoke_tokens": _check_revoke_tokens}


def _allowed(check, *args) -> bool:
    try:
        check(*args)
    except PermissionDenied:
        return False
    return True


def account_actions(actor, user: User) -> frozenset[str]:
    """The account actions ``actor`` may take on ``user`` ("disable" also stands for "enable")."""
    return frozenset(name for name, check in ACCOUNT_CHECKS.items() if _allowed(check, actor, user))


def may_revoke(actor, assignment: Assignment) -> bool:
    """``actor`` may end ``assignment`` (the check :func:`revoke_assignment` runs)."""
    return _allowed(_check_revoke, actor, assignment)


def change_password(user: User, *, current: str, new: str, otp: str = "", keep_token: ApiToken | None = None) -> None:
    """The user changes their own password: the current password and, when they have one, the second factor again;
    the new one passes the complexity rules. Every other API token is revoked (other web sessions end by themselves:
    Django checks the password hash on each request). Raises ValidationError naming the field; writes nothing then."""
    if not user.check_password(current or ""):
        audit.record(user, audit.Action.SECURITY, obj=user, outcome="failed", detail={"password_change": "wrong_current"})
        raise field_error("current_password", _("Current password: wrong; enter the password you logged in with."))
    device = confirmed_device(user)
    if device is not None and not device.verify_token((otp or "").strip().replace(" ", "")):
        audit.record(user, audit.Action.SECURITY, obj=user, outcome="failed", detail={"password_change": "bad_otp"})
        raise field_error("otp", _("One-time code: missing or wrong; enter the 6 digits shown by your authenticator app."))
    if new == current:
        raise field_error("new_password", _("New password: must differ from the current one."))
    _check_password(new, user, "new_password")
    with transaction.atomic():
        user.set_password(new)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        revoke_tokens(user, user, keep=keep_token, reason="password_changed")
        audit.record(user, audit.Action.SECURITY, obj=user, detail={"password_changed": True})


def temporary_password() -> str:
    """A random password that passes the complexity rules (upper, lower, digits, a symbol; 16 characters)."""
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(14))
        candidate = f"{body[:7]}-{body[7:]}!"
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
            return candidate


def reset_password(actor, user: User) -> str:
    """Security administrator: give ``user`` a temporary password (returned, shown once) that must be changed at the
    next login; every API token of the user is revoked, and their web sessions end."""
    _check_security_over(actor, user)
    password = temporary_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        ApiToken.objects.filter(user=user, revoked=False).update(revoked=True, revoked_at=timezone.now())
        audit.record(actor, audit.Action.SECURITY, obj=user, detail={"password_reset": True})
    return password


def logout_token(user: User, token: ApiToken) -> None:
    """API logout: the token presented ends."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, user=user).update(revoked=True, revoked_at=timezone.now())
        audit.record(user, audit.Action.LOGOUT, obj=token, detail={"token_revoked": token.prefix})
