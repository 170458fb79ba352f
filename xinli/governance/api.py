"""The exchange API with an external 综治/网格化 platform (issue 19 part 5; signing and rules in ``exchange``):

* ``POST /api/v1/exchange/orders/`` — a work order from the partner (idempotent by its ``id``): 201 with the order,
  200 with the same order when that ``id`` was received before;
* ``GET /api/v1/exchange/orders/<id>/`` — the state, result and history of an order the partner sent.

No session or token: each request is signed (HMAC-SM3) by the partner; bad signatures, stale timestamps and replayed
nonces are refused (401 / 409) before anything is read or written. Results are also pushed to the partner."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from xinli.core.i18n import bilingual

from . import exchange
from .models import WorkOrder

SIGNATURE_HEADERS = [
    OpenApiParameter(h, str, OpenApiParameter.HEADER, required=True, description=d) for h, d in (
        ("X-Xinli-Partner", "the partner's key id"), ("X-Xinli-Timestamp", "Unix seconds; within 5 minutes of the server's clock"),
        ("X-Xinli-Nonce", "8–64 of A–Z a–z 0–9 - _; never reused"),
        ("X-Xinli-Signature", "hex HMAC-SM3 under the shared secret of METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSM3-HEX(BODY)"))]


class OrderInSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64, help_text="the sender's id of the order (idempotency key)")
    kind = serializers.CharField(max_length=30, help_text="a work-order kind code, e.g. citizen_hotline, dispute_mediation")
    title = serializers.CharField(max_length=100, help_text="what is needed, without the person's name")
    description = serializers.CharField(max_length=2000, required=False)
    org_unit_code = serializers.CharField(max_length=12, help_text="12-digit code of the unit where it happens")
    department = serializers.CharField(max_length=30, required=False, help_text="a department code, to override the kind's")


class OrderStatusSerializer(serializers.Serializer):
    id = serializers.CharField()
    order = serializers.IntegerField()
    state = serializers.ChoiceField(choices=WorkOrder.State.choices)
    office = serializers.CharField()
    department = serializers.CharField()
    accept_due = serializers.DateTimeField()
    complete_due = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField(allow_null=True)
    satisfaction = serializers.IntegerField(allow_null=True)
    events = serializers.ListField(child=serializers.DictField())


EXAMPLE = OpenApiExample("a 12345 citizen-hotline order", request_only=True, value={
    "id": "12345-2026-000123", "kind": "citizen_hotline", "title": "独居老人生活困难，请求帮助",
    "description": "来电人反映邻居独居老人近期情绪低落、生活困难。", "org_unit_code": "370202001001", "department": "civil_affairs"})
STATUS_EXAMPLE = OpenApiExample("an order in progress", response_only=True, value={
    "id": "12345-2026-000123", "order": 42, "state": "accepted", "office": "福黄街道民政办", "department": "civil_affairs",
    "accept_due": "2026-12-06T10:00:00+08:00", "complete_due": "2026-12-21T10:00:00+08:00",
    "accepted_at": "2026-12-05T15:20:00+08:00", "done_at": None, "result": None, "satisfaction": None,
    "events": [{"kind": "dispatched", "at": "2026-12-05T10:00:00+08:00"}, {"kind": "accepted", "at": "2026-12-05T15:20:00+08:00"}]})


class Refused(APIException):
    """A request without a valid partner signature (401), or a replay (409): answered before anything is read."""

    def __init__(self, error: exchange.SignatureError):
        super().__init__(bilingual(error.message))
        self.status_code = error.status


class _Signed(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    unscoped_actions = {"post", "get"}  # signed by a partner and confined to its area (xinli/governance/exchange.py)

    def initial(self, request, *args, **kwargs):
        """Every method, before anything else (also one the view does not answer): the partner's signature."""
        super().initial(request, *args, **kwargs)
        try:
            self.partner = exchange.verify(request.headers, request.method, request.path, request.body)
        except exchange.SignatureError as exc:
            raise Refused(exc) from None


class ExchangeOrdersView(_Signed):
    @extend_schema(operation_id="exchange_order_receive", parameters=SIGNATURE_HEADERS, request=OrderInSerializer,
                   examples=[EXAMPLE, STATUS_EXAMPLE],
                   responses={201: OrderStatusSerializer, 200: OrderStatusSerializer,
                              400: OpenApiResponse(description="a field is missing or wrong: {field: [message in Chinese / English]}"),
                              401: OpenApiResponse(description="unknown partner, stale timestamp or bad signature"),
                              409: OpenApiResponse(description="the nonce was used before (a replay)")})
    def post(self, request):
        partner = self.partner
        try:
            data = json.loads(request.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            return Response({"detail": bilingual(_BODY)}, status=400)
        order, created = exchange.receive_order(partner, data)
        order = WorkOrder.objects.select_related("office", "department").get(pk=order.pk)
        return Response(exchange.order_status(order), status=201 if created else 200)


class ExchangeOrderView(_Signed):
    @extend_schema(operation_id="exchange_order_status", parameters=SIGNATURE_HEADERS, examples=[STATUS_EXAMPLE],
                   responses={200: OrderStatusSerializer, 404: OpenApiResponse(description="no order of yours with this id")})
    def get(self, request, sender_id: str):
        partner = self.partner
        order = WorkOrder.objects.select_related("office", "department").filter(external_id=f"{partner.key_id}:{sender_id}").first()
        if order is None:
            return Response({"detail": bilingual(_NOT_FOUND)}, status=404)
        return Response(exchange.order_status(order))


_BODY = _("Request body: not valid JSON; send a JSON object.")
_NOT_FOUND = _("Not found, or outside your area.")


# --- what Xinli pushes to a partner (documented as ``x-webhooks``: the schema is OpenAPI 3.0) -----------------------

_PERSON = {"type": "object", "required": ["ref"], "properties": {
    "ref": {"type": "string", "description": "HMAC-SM3 of the record's id under the shared secret (32 hex): stable for this partner"},
    **{k: {"type": "string", "nullable": True, "description": "only when declared for the partner (exchange_partner --person-fields)"}
       for k in ("name", "sex", "birth_date", "phone", "address", "id_number")}}}
_VISIT = {"visit": {"type": "integer"}, "org_unit_code": {"type": "string"}, "grid_code": {"type": "string"},
          "visited_on": {"type": "string", "format": "date"}, "person": _PERSON}
PUSH_MESSAGES = {
    "order_status": ("The state of an order the partner sent (accepted, returned, completed, closed)",
                     {"type": "object", "description": "as GET /api/v1/exchange/orders/{id}/ returns it"},
                     STATUS_EXAMPLE.value),
    "risk_event": ("A household visit found one of the pilot plan's risk signs (persons at risk)",
                   {"type": "object", "properties": {"id": {"type": "string"}, **_VISIT,
                                                     "risk_signs": {"type": "array", "items": {"type": "string", "enum": [
                                                         "conflict", "frustration", "imbalance", "abnormal_behaviour", "paranoid"]}},
                                                     "tags": {"type": "array", "items": {"type": "string"}},
                                                     "plan_opened": {"type": "boolean"}, "alert": {"type": "boolean"}}},
                   {"id": "visit-17-risk", "visit": 17, "org_unit_code": "370202001001", "grid_code": "370202001001-01",
                    "visited_on": "2026-12-05", "person": {"ref": "5f0c6e3b9a1d47c28e4b7a60d2c9f813"},
                    "risk_signs": ["conflict", "imbalance"], "tags": ["conflict_distress"], "plan_opened": True, "alert": False}),
    "dispute": ("A household visit recorded a dispute (矛盾纠纷) and its mediation",
                {"type": "object", "properties": {"id": {"type": "string"}, **_VISIT,
                                                  "dispute_type": {"type": "string"}, "mediation": {"type": "string", "nullable": True},
                                                  "mediator": {"type": "string", "nullable": True}, "referred": {"type": "boolean"}}},
                {"id": "visit-17-dispute", "visit": 17, "org_unit_code": "370202001001", "grid_code": "370202001001-01",
                 "visited_on": "2026-12-05", "person": {"ref": "5f0c6e3b9a1d47c28e4b7a60d2c9f813"}, "dispute_type": "family",
                 "mediation": "mediating", "mediator": "王调解员", "referred": False}),
}


def add_push_messages(result, generator, request, public):
    """drf-spectacular post-processing hook: the messages Xinli POSTs, signed, to a partner's push address."""
    hooks = {}
    for kind, (summary, data, example) in PUSH_MESSAGES.items():
        body = {"type": "object", "required": ["kind", "message", "data"], "properties": {
            "kind": {"type": "string", "enum": [kind]}, "message": {"type": "integer", "description": "outbox id"}, "data": data}}
        hooks[kind] = {"post": {
            "summary": summary, "operationId": f"exchange_push_{kind}",
            "description": "Sent to the partner's push address with the four X-Xinli-* signature headers (Xinli's side of "
                           "the shared secret); retried until a 2xx answer (docs/governance.md).",
            "requestBody": {"content": {"application/json": {"schema": body, "example": {"kind": kind, "message": 1, "data": example}}}},
            "responses": {"200": {"description": "received"}}}}
    result["x-webhooks"] = hooks
    return result
