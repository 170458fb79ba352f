"""Exchange with an external 综治/网格化 platform (issue 19 part 5): signed requests both ways.

**Signature.** Each request carries ``X-Xinli-Partner`` (the partner's key id), ``X-Xinli-Timestamp`` (Unix seconds),
``X-Xinli-Nonce`` (8–64 characters, letters, digits, ``-`` and ``_``, never reused) and ``X-Xinli-Signature``: the
hex HMAC-SM3, under the shared secret, of ``METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n SM3-HEX(BODY)``. A request more
than ``SKEW`` seconds from the server's clock, with a nonce already seen, an unknown or inactive partner, or a
signature that does not match is refused and changes nothing. Messages Xinli pushes to the partner are signed the
same way with Xinli's side of the same secret (the partner verifies with it).

**Inbound**: a work order (``receive_order``), idempotent by the sender's id: sent twice, the same order comes back.
**Outbound**: the outbox (``ExchangeMessage``) — the result of an order the partner sent when it is completed,
returned or closed; and, to every partner whose area holds the household, the persons-at-risk events (a household
visit that found one of the plan's risk signs: ``risk_event``) and the disputes (``dispute``) the grid workers record
(``queue_visit``) — written in the transaction of the change and delivered by the queue (``deliver``) with retries.
An event names the person by a reference of its own for that partner (HMAC-SM3 of the record's id under the shared
secret: stable, so repeated events link up, and meaningless elsewhere) and adds only the person fields the partner is
declared to receive (``ExchangePartner.person_fields``; none by default), each such push audited as an export of the
person. Free text (the situation, the parties to a dispute) never leaves."""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.crypto import hmac_sm3_hex, sm3_hex
from xinli.core.i18n import field_error
from xinli.regions.models import Department, OrgUnit

from . import services
from .models import (
    PERSON_FIELDS,
    ExchangeMessage,
    ExchangeNonce,
    ExchangePartner,
    HouseholdVisit,
    OrderKind,
    WorkOrder,
)

SKEW = 300  # seconds a request's timestamp may differ from the server's clock
NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HEADERS = ("X-Xinli-Partner", "X-Xinli-Timestamp", "X-Xinli-Nonce", "X-Xinli-Signature")
MAX_ATTEMPTS = 8


class SignatureError(Exception):
    """The request is not from a known partner, is stale or replayed, or its signature does not match."""

    def __init__(self, message, status: int = 401):
        super().__init__(message)
        self.message, self.status = message, status


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, timestamp, nonce, sm3_hex(body)]).encode("utf-8")


def sign(secret: str, method: str, path: str, body: bytes, *, timestamp: str | None = None, nonce: str | None = None) -> dict:
    """The four headers of a signed request (what a partner's client, and Xinli's pusher, send)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(12)
    signature = hmac_sm3_hex(secret.encode("utf-8"), string_to_sign(method, path, timestamp, nonce, body))
    return dict(zip(HEADERS[1:], (timestamp, nonce, signature), strict=True))


def verify(headers, method: str, path: str, body: bytes) -> ExchangePartner:
    """The partner that signed this request, its nonce recorded; ``SignatureError`` otherwise (nothing recorded)."""
    import hmac

    key_id, timestamp, nonce, signature = (headers.get(h, "") for h in HEADERS)
    if not all((key_id, timestamp, nonce, signature)):
        raise SignatureError(_("Signature: the headers X-Xinli-Partner, X-Xinli-Timestamp, X-Xinli-Nonce and "
                               "X-Xinli-Signature are all required; sign the request as docs/governance.md describes."))
    partner = ExchangePartner.objects.filter(key_id=key_id, active=True).select_related("org_unit", "account").first()
    if partner is None:
        raise SignatureError(_("Signature: unknown or inactive partner; check X-Xinli-Partner."))
    if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > SKEW:
        raise SignatureError(_("Signature: the timestamp is more than 5 minutes from the server's clock; send the "
                               "current Unix time and check the client's clock."))
    if not NONCE.match(nonce):
        raise SignatureError(_("Signature: the nonce must be 8–64 letters, digits, - or _; send a new random one."))
    expected = hmac_sm3_hex(partner.secret.encode("utf-8"), string_to_sign(method, path, timestamp, nonce, body))
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureError(_("Signature: it does not match the request; sign METHOD, path, timestamp, nonce and the "
                               "SM3 of the body with the shared secret."))
    cutoff = timezone.now() - timezone.timedelta(seconds=2 * SKEW)
    ExchangeNonce.objects.filter(partner=partner, seen_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            ExchangeNonce.objects.create(partner=partner, nonce=nonce)
    except IntegrityError:
        raise SignatureError(_("Signature: this nonce was already used (a replayed request); send a new random nonce."),
                             status=409) from None
    return partner


def _text(data: dict, key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise field_error(key, _("{name}: required."), code="required", name=key)
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise field_error(key, _("{name}: text of at most {limit} characters."), name=key, limit=limit)
    return value.strip()


def receive_order(partner: ExchangePartner, data) -> tuple[WorkOrder, bool]:
    """Create the work order a partner sent (or find the one it sent before with the same ``id``): ``(order,
    created)``. Sent in the name of the partner's account, from the unit ``org_unit_code`` (inside the partner's
    area), to the nearest office of the kind's department — or of ``department`` when given."""
    if not isinstance(data, dict):
        raise field_error("body", _("Body: send a JSON object."))
    sender_id = _text(data, "id", 64, required=True)
    external_id = f"{partner.key_id}:{sender_id}"
    existing = WorkOrder.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing, False
    kind = OrderKind.objects.filter(code=_text(data, "kind", 30, required=True), active=True).select_related("department").first()
    if kind is None:
        raise field_error("kind", _("kind: unknown; use one of the kinds listed in docs/governance.md (e.g. citizen_hotline)."))
    unit = OrgUnit.objects.filter(code=_text(data, "org_unit_code", 12, required=True), valid_to__isnull=True).first()
    if unit is None or not unit.path.startswith(partner.org_unit.path):
        raise field_error("org_unit_code", _("org_unit_code: not a unit in your platform's area; send the 12-digit code "
                                             "of the village, community or township."))
    office = None
    if data.get("department"):
        department = Department.objects.filter(code=_text(data, "department", 30), active=True).first()
        if department is None:
            raise field_error("department", _("department: unknown code; leave it out to send to the kind's department."))
        from .selectors import covering_offices

        office = next(iter(covering_offices(unit, department)), None)
        if office is None:
            raise field_error("department", _("department: no office of {department} covers {unit}."),
                              department=department.label, unit=unit.name)
    try:
        with transaction.atomic():
            order = services.dispatch(partner.account, kind=kind, title=_text(data, "title", services.TITLE_MAX, required=True),
                                      description=_text(data, "description", services.TEXT_MAX), from_unit=unit,
                                      office=office, external_id=external_id)
    except PermissionDenied:
        raise field_error("org_unit_code", _("org_unit_code: the platform's account may not send orders for {unit}; ask "
                                             "the administrator to extend its role."), unit=unit.name) from None
    except IntegrityError:  # the same id sent twice at once: the other request created it
        return WorkOrder.objects.get(external_id=external_id), False
    return order, True


def order_status(order: WorkOrder) -> dict:
    """What a partner reads back about an order it sent: state, deadlines, result, satisfaction, history."""
    return {
        "id": order.external_id.split(":", 1)[1] if order.external_id else None, "order": order.pk,
        "state": order.state, "office": order.office.name, "department": order.department.code,
        "accept_due": order.accept_due.isoformat(), "complete_due": order.complete_due.isoformat(),
        "accepted_at": order.accepted_at.isoformat() if order.accepted_at else None,
        "done_at": order.done_at.isoformat() if order.done_at else None,
        "result": order.result or None, "satisfaction": order.satisfaction,
        "events": [{"kind": e.kind, "at": e.at.isoformat()} for e in order.events.all()],
    }


def queue_result(order: WorkOrder) -> ExchangeMessage | None:
    """Put an order's new state into the partner's outbox (in the caller's transaction); nothing for an order that
    no partner sent, or a partner without a push address."""
    if not order.external_id:
        return None
    partner = ExchangePartner.objects.filter(key_id=order.external_id.split(":", 1)[0], active=True).first()
    if partner is None or not partner.push_url:
        return None
    order = WorkOrder.objects.select_related("office", "department").get(pk=order.pk)
    message = ExchangeMessage.objects.create(partner=partner, kind="order_status", order=order,
                                             payload=json.dumps(order_status(order), ensure_ascii=False))
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def person_ref(partner: ExchangePartner, person_id: int) -> str:
    """The person's reference for ``partner``: stable for that partner, meaningless to anyone without its secret."""
    return hmac_sm3_hex(partner.secret.encode("utf-8"), f"xinli-person:{person_id}".encode())[:32]


def _person(partner: ExchangePartner, person) -> dict:
    out = {"ref": person_ref(partner, person.pk)}
    for key in partner.person_fields:
        if key not in PERSON_FIELDS:
            continue
        value = getattr(person, key)
        out[key] = value.isoformat() if hasattr(value, "isoformat") else (value or None)
    return out


def visit_events(visit: HouseholdVisit, partner: ExchangePartner) -> list[tuple[str, dict]]:
    """(kind, payload) of what a household visit reports to ``partner``: a persons-at-risk event when it found risk
    signs, a dispute when it recorded one (codes as in docs/governance.md; no free text)."""
    base = {"visit": visit.pk, "org_unit_code": visit.grid.org_unit.code, "grid_code": visit.grid.code,
            "visited_on": visit.visited_on.isoformat(), "person": _person(partner, visit.person)}
    out = []
    if visit.risk_signs:
        actions = visit.actions or {}
        out.append(("risk_event", {**base, "id": f"visit-{visit.pk}-risk", "risk_signs": list(visit.risk_signs),
                                   "tags": actions.get("tags", []), "plan_opened": bool((actions.get("plan") or {}).get("opened")),
                                   "alert": bool(actions.get("alert"))}))
    if visit.dispute_type:
        out.append(("dispute", {**base, "id": f"visit-{visit.pk}-dispute", "dispute_type": visit.dispute_type,
                                "mediation": visit.mediation or None, "mediator": visit.mediator or None,
                                "referred": bool((visit.actions or {}).get("orders")) and visit.mediation == "refer"}))
    return out


def queue_visit(actor, visit: HouseholdVisit) -> list[ExchangeMessage]:
    """Put a household visit's events into the outbox of every active partner with a push address whose area holds
    the visit (in the caller's transaction); audited as an export of the person where person fields go out."""
    messages = []
    partners = [p for p in ExchangePartner.objects.filter(active=True).exclude(push_url="").select_related("org_unit")
                if visit.org_path.startswith(p.org_unit.path)]
    for partner in partners:
        events = visit_events(visit, partner)
        for kind, payload in events:
            message = ExchangeMessage.objects.create(partner=partner, kind=kind, payload=json.dumps(payload, ensure_ascii=False))
            transaction.on_commit(lambda pk=message.pk: _enqueue(pk))
            messages.append(message)
        shared = [f for f in partner.person_fields if f in PERSON_FIELDS]
        if events and shared:
            audit.record(actor, audit.Action.EXPORT, obj=visit, person=visit.person, purpose="exchange",
                         detail={"partner": partner.key_id, "person_fields": shared, "messages": len(events)})
    return messages


def _enqueue(pk: int) -> None:
    from .tasks import push_exchange_message

    try:
        push_exchange_message(pk)
    except Exception:  # noqa: BLE001 — the queue is down: the periodic task sends it later
        pass


def deliver(pk: int, *, timeout: float = 10.0) -> ExchangeMessage:
    """Send one outbox message to its partner (signed); on failure count the attempt (failed after ``MAX_ATTEMPTS``)."""
    message = ExchangeMessage.objects.select_related("partner").get(pk=pk)
    if message.status != ExchangeMessage.Status.PENDING:
        return message
    partner = message.partner
    body = json.dumps({"kind": message.kind, "message": message.pk, "data": json.loads(message.payload)},
                      ensure_ascii=False).encode("utf-8")
    path = urllib.parse.urlsplit(partner.push_url).path or "/"
    headers = {"Content-Type": "application/json", "X-Xinli-Partner": partner.key_id,
               **sign(partner.secret, "POST", path, body)}
    request = urllib.request.Request(partner.push_url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — an http(s) URL set by the operator
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        ok, error = False, str(exc)[:200]
    attempts = message.attempts + 1
    if ok:
        ExchangeMessage.objects.filter(pk=pk).update(status=ExchangeMessage.Status.SENT, sent_at=timezone.now(), attempts=attempts,
                                                     last_error="")
    else:
        ExchangeMessage.objects.filter(pk=pk).update(attempts=attempts, last_error=error,
                                                     status=ExchangeMessage.Status.FAILED if attempts >= MAX_ATTEMPTS else message.status)
    message.refresh_from_db()
    return message


def pending_messages(limit: int = 200) -> list[int]:
    return list(ExchangeMessage.objects.filter(status=ExchangeMessage.Status.PENDING).order_by("pk").values_list("pk", flat=True)[:limit])


def register_partner(*, key_id: str, name: str, org_unit: OrgUnit, account, push_url: str = "",
                     person_fields=()) -> tuple[ExchangePartner, str]:
    """A new partner and its secret (shown once to the operator, who gives it to the partner)."""
    if ExchangePartner.objects.filter(key_id=key_id).exists():
        raise ValidationError({"key_id": ValidationError(f"partner {key_id} exists")})
    secret = new_secret()
    partner = ExchangePartner.objects.create(key_id=key_id, name=name, secret=secret, org_unit=org_unit, account=account,
                                             push_url=push_url, person_fields=list(person_fields))
    return partner, secret
