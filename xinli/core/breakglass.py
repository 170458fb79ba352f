"""Break the glass (紧急调阅): time-limited access to confidential details a role does not normally see — a written
reason, a fixed number of hours, an audit entry the audit administrator sees. One mechanism for every module:
counselling notes (``counselling.BreakGlass``) and SMD clinical details (``smd.BreakGlass``); each module keeps its
own grant table (a foreign key to what is opened) and decides who may ask."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit
from .i18n import field_error

HOURS = 4
MIN_REASON = 10


def open_grant(actor, grant_model, *, obj, person, reason: str, **target):
    """Create ``grant_model(user=actor, reason, granted_at, expires_at, **target)`` and audit it, or raise a field
    error on ``reason`` (nothing written)."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise field_error("reason", _("Reason: explain the emergency (at least 10 characters); it is recorded."))
    now = timezone.now()
    with transaction.atomic():
        grant = grant_model.objects.create(user=actor, reason=reason[:300], granted_at=now,
                                           expires_at=now + datetime.timedelta(hours=HOURS), **target)
        audit.record(actor, audit.Action.BREAK_GLASS, obj=obj, person=person, purpose=reason[:60],
                     detail={"expires_at": grant.expires_at.isoformat()})
    return grant


def active(grants):
    """The grants of a queryset still open now."""
    return grants.filter(expires_at__gt=timezone.now())
