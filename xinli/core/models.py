"""Shared kernel models: the append-only, SM3-chained audit log."""

from __future__ import annotations

import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .crypto import sm3_hex

GENESIS_HASH = "0" * 64


class PersonScopedModel(models.Model):
    """Base of every person-scoped row: where it sits in the org tree (``org_path``, what scoping filters on) and its
    county (``county_code``, the distribution column, docs/scaling.md). Set both with ``place_under``, never by hand.

    A subclass may redeclare a field to keep its historical options (verbose name, index, blank)."""

    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    county_code = models.CharField(max_length=6, editable=False, db_index=True)

    class Meta:
        abstract = True

    def place_under(self, where):
        """Put the row under ``where``: an ``OrgUnit`` (its ``path`` and ``county_code``), or another placed row — a
        row about a person goes under the person's unit (``place_under(person)``), a patient's follow-up under the
        patient's. Returns the row, so ``Model(...).place_under(unit)`` can be saved or bulk-created."""
        path = getattr(where, "org_path", None)
        self.org_path = path if path is not None else where.path
        self.county_code = where.county_code
        return self


class AuditQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("audit entries are append-only")

    def update(self, **kwargs):
        raise PermissionError("audit entries are append-only")


class AuditEntry(models.Model):
    """One audited event.

    A request appends an entry with one INSERT (``id`` from the database, no lock). The sealer
    (``xinli.core.audit.seal``, every minute and before every verification) then gives each new entry, in ``id``
    order, its place in one gapless chain: ``seq``, ``prev_hash`` and ``hash = SM3(prev_hash || canonical JSON)``.
    Content columns can never change; the database lets only the three chain columns be set, once.
    """

    class Action(models.TextChoices):
        READ = "read", _("read")
        SEARCH = "search", _("search")
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        LOGIN = "login", _("log in")
        LOGIN_FAILED = "login_failed", _("failed log in")
        LOGOUT = "logout", _("log out")
        TOKEN = "token", _("API token issued")
        SECURITY = "security", _("security change")
        EXPORT = "export", _("export")
        BREAK_GLASS = "break_glass", _("break the glass")
        SYSTEM = "system", _("system")

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    person_id = models.BigIntegerField(_("person id"), null=True, blank=True, db_index=True)
    org_path = models.CharField(_("org path"), max_length=255, blank=True)
    view = models.CharField(_("view"), max_length=120, blank=True)
    purpose = models.CharField(_("purpose"), max_length=60, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, default="success")
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"),
        ]

    def canonical(self) -> bytes:
        body = {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "person_id": self.person_id,
            "org_path": self.org_path,
            "view": self.view,
            "purpose": self.purpose,
            "outcome": self.outcome,
            "ip": self.ip,
            "detail": self.detail,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def compute_hash(self) -> str:
        return sm3_hex(self.prev_hash.encode("ascii") + self.canonical())

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class AuditHead(models.Model):
    """The single row that serialises sealing (locked with SELECT ... FOR UPDATE by the sealer only)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)


class AuditCheckpoint(models.Model):
    """The end of the chain as a verification found it intact: nightly verification goes on from the latest
    checkpoint (the entries since, and the checkpoint entry's hash unchanged); a full verification from the first
    entry runs weekly. The checkpoint's hash is printed so that it can also be kept outside the database."""

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    full = models.BooleanField(default=False)  # a verification from the first entry
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-seq", "-id"]
