"""Users, their role assignments (org unit × role), and API tokens."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.crypto import sm3_hex
from xinli.core.fields import EncryptedTextField
from xinli.core.policy import Role


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    mobile = EncryptedTextField(_("mobile phone"), help_text=_("for alert text messages"))
    is_demo = models.BooleanField(
        _("demo account"), default=False,
        help_text=_("May skip two-factor login, but only while XINLI_DEMO=1."),
    )
    must_change_password = models.BooleanField(
        _("must change password"), default=False,
        help_text=_("Set by a password reset: the user changes the password before anything else."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    def active_assignments(self) -> list[Assignment]:
        cached = self.__dict__.get("_xinli_assignments")
        if cached is None:
            cached = list(self.assignments.filter(active=True).select_related("org_unit"))
            self.__dict__["_xinli_assignments"] = cached
        return cached

    def roles(self) -> set[str]:
        return {a.role for a in self.active_assignments()}


class Assignment(models.Model):
    """A role held over one org unit (and everything below it)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="assignments")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    # The department office a department role works for (issue 19): required for department staff, else empty.
    department = models.ForeignKey("regions.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Three-administrator separation: a role that reads person data, requested by a system administrator, waits
    # (active=False, pending=True) until a security administrator approves it.
    pending = models.BooleanField(_("awaiting approval"), default=False)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "org_unit", "role"], name="assignment_unique")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} @ {self.org_unit.name}"


class ApiToken(models.Model):
    """An API token. Only the SM3 hash of the key is stored; the key is shown once when issued."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(20)

    @staticmethod
    def hash_key(key: str) -> str:
        return sm3_hex(key.encode("utf-8"))
