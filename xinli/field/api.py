"""The field app's API (docs/field.md): devices, the task pack, instrument definitions and the sync.

A device names itself in the ``X-Field-Device`` header (its public id). A revoked device, or one whose account was
disabled, gets ``410`` with ``code: device_revoked`` and ``wipe: true`` on its next pack or sync call — also when
the disabled account's token no longer authenticates — so the client wipes its store."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import bilingual, field_error
from xinli.core.policy import FIELD_SYNC, SECURITY_MANAGE
from xinli.core.query import check_query_values
from xinli.core.scoping import has_capability

from . import selectors, services
from .models import Device, ScheduledVisit

DEVICE_HEADER = "X-Field-Device"


class DeviceSerializer(serializers.ModelSerializer):
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = ["id", "public_id", "label", "registered_at", "last_sync_at", "revoked", "revoked_at", "wipe_sent_at"]

    def get_revoked(self, obj) -> bool:
        return obj.revoked_at is not None


class DeviceInputSerializer(StrictSerializerMixin, serializers.Serializer):
    label = serializers.CharField(label=_("device name"), max_length=60)


class ItemSerializer(StrictSerializerMixin, serializers.Serializer):
    client_id = serializers.UUIDField(label=_("client id"))
    kind = serializers.ChoiceField(label=_("kind"), choices=services.KINDS)
    device_time = serializers.DateTimeField(label=_("device time"))
    base_version = serializers.CharField(label=_("record version"), max_length=64, required=False, allow_blank=True)
    payload = serializers.DictField(label=_("form"))


class ReadSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"), min_value=1)
    device_time = serializers.DateTimeField(label=_("device time"))
    view = serializers.ChoiceField(label=_("screen"), choices=["today", "form"], required=False)


class SyncSerializer(StrictSerializerMixin, serializers.Serializer):
    items = serializers.ListField(label=_("queued forms"), child=ItemSerializer(), min_length=0, max_length=services.MAX_ITEMS)
    reads = serializers.ListField(label=_("persons shown offline"), child=ReadSerializer(), required=False, max_length=2000)

    def validate_items(self, items):
        seen = set()
        for item in items:
            if item["client_id"] in seen:
                raise serializers.ValidationError(bilingual(_("Queued forms: client id {id} appears twice; send each form once."),
                                                            id=item["client_id"]), code="duplicate")
            seen.add(item["client_id"])
        return items

    def validate(self, attrs):
        if not attrs["items"] and not attrs.get("reads"):
            raise serializers.ValidationError({"items": [bilingual(_("Queued forms: send at least one form (or the persons shown offline)."))]},
                                              code="min_length")
        return attrs


def device_revoked_response() -> Response:
    return Response({"code": "device_revoked", "wipe": True,
                     "detail": bilingual(_("This device was revoked or its account disabled: the app erases its data on this "
                                           "device now. Ask the security administrator if this is unexpected."))},
                    status=status.HTTP_410_GONE)


def _device_from_header(request) -> Device | None:
    raw = request.headers.get(DEVICE_HEADER, "")
    try:
        public_id = uuid.UUID(raw)
    except (ValueError, TypeError, AttributeError):
        return None
    return Device.objects.filter(public_id=public_id).select_related("user").first()


class DeviceCallView(APIView):
    """A pack or sync call: authenticated, ``field.sync`` held, and made from the caller's own active device."""

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            device = _device_from_header(request)
            if device is not None and not device.active:
                services.tell_wipe(device)
                raise services.DeviceRevoked from None
            raise

    def handle_exception(self, exc):
        if isinstance(exc, services.DeviceRevoked):
            return device_revoked_response()
        return super().handle_exception(exc)

    def device(self, request) -> Device:
        if not has_capability(request.user, FIELD_SYNC):
            raise PermissionDenied
        if not request.headers.get(DEVICE_HEADER):
            raise field_error("device", _("Device: send the device id in the X-Field-Device header."))
        return services.check_device(_device_from_header(request), request.user)


DEVICE_PARAM = OpenApiParameter(DEVICE_HEADER, str, OpenApiParameter.HEADER, required=True, description="the device's public id")


class PackView(DeviceCallView):
    @extend_schema(parameters=[DEVICE_PARAM, OpenApiParameter("days", int, description="1–14, default 7")],
                   responses={200: dict, 410: dict}, operation_id="field_pack")
    def get(self, request):
        """The caller's task pack: tasks due within ``days`` (overdue included) in order of urgency, and the persons
        in them (each read audited, purpose ``field_pack``)."""
        check_query_values(request, {"days": int}, minimum=1)
        days = int(request.query_params.get("days") or selectors.DEFAULT_DAYS)
        if days > selectors.MAX_DAYS:
            raise field_error("days", _("Days: at most {max}."), max=selectors.MAX_DAYS)
        device = self.device(request)
        body = selectors.pack(request.user, device, days=days)
        response = Response(body)
        response["ETag"] = '"' + selectors.version(*[t["version"] for t in body["tasks"]], *[p["version"] for p in body["persons"]]) + '"'
        return response


class InstrumentsView(APIView):
    @extend_schema(responses={200: dict}, operation_id="field_instruments")
    def get(self, request):
        """Every instrument's JSON definition (shipped and imported) for the client-side scorer; no person data."""
        if not has_capability(request.user, FIELD_SYNC):
            raise PermissionDenied
        return Response({"instruments": selectors.instruments()})


class SyncView(DeviceCallView):
    @extend_schema(parameters=[DEVICE_PARAM], request=SyncSerializer, responses={200: dict, 410: dict}, operation_id="field_sync")
    def post(self, request):
        """Apply the device's queued forms in order; one outcome per item: ``stored`` (with the server's result),
        ``conflict`` (the entry kept as a note on the record) or ``refused`` (the fields to fix; nothing written)."""
        device = self.device(request)
        serializer = SyncSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.sync(request.user, device, serializer.validated_data["items"], serializer.validated_data.get("reads", []))
        return Response({"server_time": services.timezone.now().isoformat(), "items": results})


class DeviceViewSet(viewsets.GenericViewSet):
    """The caller's own devices (list, register); the security administrator lists a user's devices
    (``?user=<username>``) and revokes one."""

    serializer_class = DeviceSerializer
    pagination_class = None  # a user has a handful of devices: the list is never paged
    queryset = Device.objects.none()
    scope_model = Device
    scope_field = "user"

    def get_queryset(self):
        return selectors.own_devices(self.request.user)

    @extend_schema(parameters=[OpenApiParameter("user", str, description="security administrator: that user's devices")],
                   responses={200: DeviceSerializer(many=True)})
    def list(self, request):
        username = request.query_params.get("user", "")
        if username:
            from xinli.accounts.selectors import managed_user

            if not has_capability(request.user, SECURITY_MANAGE):
                raise PermissionDenied
            target = managed_user(request.user, username)
            if target is None:
                raise exceptions.NotFound
            rows = selectors.devices_of(target)
        else:
            rows = self.get_queryset()
        return Response(DeviceSerializer(rows[:200], many=True).data)

    @extend_schema(request=DeviceInputSerializer, responses={201: DeviceSerializer})
    def create(self, request):
        serializer = DeviceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = services.register_device(request.user, label=serializer.validated_data["label"])
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DeviceSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        from xinli.accounts.selectors import users_in_scope

        if not has_capability(request.user, SECURITY_MANAGE):
            raise PermissionDenied
        device = Device.objects.filter(pk=pk, user__in=users_in_scope(request.user, SECURITY_MANAGE)).select_related("user").first()
        if device is None:
            raise exceptions.NotFound
        return Response(DeviceSerializer(services.revoke_device(request.user, device)).data)




class ScheduledVisitSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    scheduled_by = serializers.SerializerMethodField()
    assigned_to = serializers.SerializerMethodField()
    org_unit_path = serializers.CharField(source="org_path", read_only=True)

    class Meta:
        model = ScheduledVisit
        fields = ["id", "person", "person_name", "org_unit_path", "visit_on", "purpose", "state", "scheduled_by", "assigned_to",
                  "created_at", "done_at", "done_note"]

    @staticmethod
    def _name(user):
        return (user.display_name or user.username) if user else None

    def get_scheduled_by(self, obj) -> str | None:
        return self._name(obj.scheduled_by)

    def get_assigned_to(self, obj) -> str | None:
        return self._name(obj.assigned_to)


class ScheduledVisitViewSet(viewsets.GenericViewSet):
    """Scheduled home visits in the caller's area (``field.sync``): ``?person=<id>``, ``?state=open|done|cancelled``,
    ``?mine=1`` (scheduled by or assigned to the caller). Each person listed is read-audited. Scheduling and completing
    go through the sync (``schedule_visit``, ``home_visit_note``); an open visit is cancelled here."""

    serializer_class = ScheduledVisitSerializer
    queryset = ScheduledVisit.objects.none()
    scope_model = ScheduledVisit
    scope_field = "org_path"

    def audit_purpose(self) -> str:
        return "scheduled_visits"

    def get_queryset(self):
        return selectors.visible_visits(self.request.user)

    @extend_schema(parameters=[OpenApiParameter("person", int), OpenApiParameter("state", str), OpenApiParameter("mine", int)],
                   responses={200: ScheduledVisitSerializer(many=True)})
    def list(self, request):
        if not has_capability(request.user, FIELD_SYNC):
            raise PermissionDenied
        check_query_values(request, {"person": int, "mine": int}, minimum=0)
        rows = self.get_queryset()
        if request.query_params.get("person"):
            rows = rows.filter(person_id=int(request.query_params["person"]))
        state = request.query_params.get("state", "")
        if state:
            if state not in ScheduledVisit.State.values:
                raise field_error("state", _("State: open, done or cancelled."))
            rows = rows.filter(state=state)
        if request.query_params.get("mine") == "1":
            from django.db.models import Q

            rows = rows.filter(Q(scheduled_by=request.user) | Q(assigned_to=request.user))
        page = self.paginate_queryset(rows.order_by("visit_on", "id"))
        return self.get_paginated_response(ScheduledVisitSerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: ScheduledVisitSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        visit = self.get_queryset().filter(pk=pk).first() if str(pk).isdigit() else None
        if visit is None or not has_capability(request.user, FIELD_SYNC):
            raise exceptions.NotFound
        visit = services.cancel_visit(request.user, visit)
        from xinli.core import audit

        audit.record_person_reads(request.user, [visit.person], purpose="scheduled_visits")
        return Response(ScheduledVisitSerializer(visit).data)
