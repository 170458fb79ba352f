"""Hotline over /api/v1/hotline/: lines (with KPIs and call-detail-record import) and calls."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.response import Response

from xinli.archives import selectors as person_selectors
from xinli.archives.models import Person
from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id, query_id
from xinli.core.uploads import size_problem, upload_problem

from . import selectors, services
from .models import PROBLEM_TYPES, Action, Call, Category, Kind, Line, Seat, Transfer


class CsvParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF streams the body here without DATA_UPLOAD_MAX_MEMORY_SIZE: read at most one byte past the upload limit.
        data = stream.read(settings.XINLI_MAX_UPLOAD_BYTES + 1)
        if problem := size_problem(len(data)):
            raise DjangoValidationError({"file": [problem]})
        return data.decode("utf-8-sig", errors="replace")


class LineSerializer(serializers.ModelSerializer):
    seats = serializers.SlugRelatedField(many=True, read_only=True, slug_field="label")

    class Meta:
        model = Line
        fields = ["id", "name", "number", "org_unit", "hours_per_day", "days_per_week", "open_24_7", "records_calls", "seats"]

    open_24_7 = serializers.BooleanField(read_only=True, help_text="open 24 hours a day, 7 days a week (indicator T08)")


class LineInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=60)
    number = serializers.CharField(label=_("number"), max_length=20, required=False, default="12356")
    org_unit = serializers.IntegerField(label=_("org unit"))
    hours_per_day = serializers.IntegerField(label=_("service hours per day"), required=False, default=24)
    days_per_week = serializers.IntegerField(label=_("service days per week"), required=False, default=7)
    records_calls = serializers.BooleanField(label=_("calls are recorded"), required=False, default=True)
    seats = serializers.IntegerField(label=_("seats"), required=False, default=2)


class ServiceTimeSerializer(StrictSerializerMixin, serializers.Serializer):
    hours_per_day = serializers.IntegerField(label=_("service hours per day"), required=False)
    days_per_week = serializers.IntegerField(label=_("service days per week"), required=False)


class CallInputSerializer(StrictSerializerMixin, serializers.Serializer):
    line = serializers.IntegerField(label=_("hotline"))
    seat = serializers.IntegerField(label=_("seat"), required=False, allow_null=True)
    started_at = serializers.DateTimeField(label=_("call started"), required=False)
    answered_at = serializers.DateTimeField(label=_("answered"), required=False, allow_null=True)
    ended_at = serializers.DateTimeField(label=_("ended"), required=False, allow_null=True)
    caller_phone = serializers.CharField(label=_("caller's number"), max_length=20, required=False, allow_blank=True)
    person = serializers.IntegerField(label=_("person"), required=False, allow_null=True)
    consent_to_link = serializers.BooleanField(label=_("caller consents to linking the archive"), required=False, default=False)
    recording_notice = serializers.BooleanField(label=_("caller told the call is recorded"), required=False, default=False)
    kind = serializers.ChoiceField(label=_("kind"), choices=Kind.choices, required=False, default=Kind.NORMAL)
    category = serializers.ChoiceField(label=_("category"), choices=Category.choices, required=False, default=Category.GENERAL)
    problem_types = serializers.ListField(label=_("problem types"), child=serializers.CharField(max_length=20), required=False, max_length=10)
    ideation = serializers.IntegerField(label=_("suicidal ideation (0–10)"), min_value=0, max_value=10, required=False, default=0)
    hopelessness = serializers.IntegerField(label=_("hopelessness (0–10)"), min_value=0, max_value=10, required=False, default=0)
    has_plan = serializers.BooleanField(label=_("has a plan"), required=False, default=False)
    has_means = serializers.BooleanField(label=_("has access to means"), required=False, default=False)
    prior_attempt = serializers.BooleanField(label=_("prior attempt"), required=False, default=False)
    intoxicated = serializers.BooleanField(label=_("intoxicated now"), required=False, default=False)
    action = serializers.ChoiceField(label=_("action"), choices=Action.choices, required=False, default=Action.COUNSELLING)
    transfer_to = serializers.ChoiceField(label=_("transferred to"), choices=Transfer.choices, required=False, allow_blank=True)
    transfer_at = serializers.DateTimeField(label=_("transfer time"), required=False, allow_null=True)
    transfer_reference = serializers.CharField(label=_("transfer reference number"), max_length=40, required=False, allow_blank=True)
    notes = serializers.CharField(label=_("notes"), max_length=5000, required=False, allow_blank=True)
    follow_up_plan = serializers.CharField(label=_("follow-up plan"), max_length=2000, required=False, allow_blank=True)
    follow_up_due = serializers.DateField(label=_("follow up by"), required=False, allow_null=True)


class CallUpdateSerializer(CallInputSerializer):
    line = None
    person = None
    consent_to_link = None
    caller_phone = None
    started_at = None


class FollowUpSerializer(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(label=_("note"), max_length=2000, required=False, allow_blank=True)


class CallSerializer(serializers.ModelSerializer):
    line_name = serializers.CharField(source="line.name", read_only=True)
    counsellor_name = serializers.CharField(source="counsellor.__str__", read_only=True, default="")
    follow_up_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Call
        fields = ["id", "line", "line_name", "seat", "counsellor", "counsellor_name", "started_at", "answered_at", "ended_at",
                  "person", "recording_notice", "kind", "category", "problem_types", "ideation", "hopelessness",
                  "has_plan", "has_means", "prior_attempt", "intoxicated", "risk", "action", "transfer_to", "transfer_at",
                  "transfer_reference", "notes", "follow_up_plan", "follow_up_due", "follow_up_done_at", "follow_up_open",
                  "handed_over_at", "alert"]


class LineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Hotlines of the caller's region, with daily KPIs and the import of the telephone system's records; hotline
    supervisors create lines (with their seats) and change a line's service time (``PATCH``: hours a day, days a
    week)."""

    queryset = Line.objects.none()
    serializer_class = LineSerializer
    scope_model = Line
    scope_field = "org_path"

    def get_queryset(self):
        return selectors.visible_lines(self.request.user).prefetch_related("seats")

    def get_serializer_class(self):
        return {"create": LineInputSerializer, "partial_update": ServiceTimeSerializer}.get(self.action, LineSerializer)

    @extend_schema(request=ServiceTimeSerializer, responses={200: LineSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change the service time: ``hours_per_day`` (1–24) and ``days_per_week`` (1–7); a value left out keeps
        its current one. Hotline supervisors over the line's unit."""
        line = self.get_queryset().filter(pk=path_id(kwargs["pk"])).first()
        if line is None:
            raise Line.DoesNotExist
        s = ServiceTimeSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        line = services.set_service_time(request.user, line, hours_per_day=v.get("hours_per_day", line.hours_per_day),
                                         days_per_week=v.get("days_per_week", line.days_per_week))
        return Response(LineSerializer(line).data)

    @extend_schema(request=LineInputSerializer, responses={201: LineSerializer})
    def create(self, request, *args, **kwargs):
        from xinli.regions.models import OrgUnit

        s = LineInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        v["org_unit"] = OrgUnit.objects.filter(pk=v["org_unit"]).first()
        if v["org_unit"] is None:
            raise field_error("org_unit", _("Org unit: not found; check the org unit id."))
        return Response(LineSerializer(services.create_line(request.user, **v)).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("from", datetime.date), OpenApiParameter("to", datetime.date)], responses={200: dict})
    @action(detail=True, methods=["get"])
    def kpis(self, request, pk=None):
        """Per day: offered, answered, answer and abandonment rates, average speed of answer (s), high-risk share,
        follow-up completion of high-risk callers. Default: the last 7 days."""
        line = self.get_object()
        date_from, date_to = services.kpi_range(request.query_params.get("from"), request.query_params.get("to"),
                                                timezone.localdate())
        return Response({"line": line.pk, "days": [k.as_dict() for k in services.kpis(line, date_from, date_to)]})

    @extend_schema(request={"text/csv": str}, responses={201: dict, 400: dict})
    @action(detail=True, methods=["post"], url_path="cdr-import", parser_classes=[MultiPartParser, FormParser, CsvParser])
    def cdr_import(self, request, pk=None):
        """Upload a CSV of call-detail records (``file`` form field, or the CSV as the body with Content-Type text/csv)."""
        line = self.get_object()
        data = request.data
        if isinstance(data, str):
            text = data
        elif data.get("file") is not None and hasattr(data["file"], "read"):
            if upload_problem(data["file"]):
                raise DjangoValidationError({"file": [upload_problem(data["file"])]})
            text = data["file"].read().decode("utf-8-sig", errors="replace")
        else:
            raise field_error("file", _("File: upload the CSV as the form field 'file' or send it as text/csv."))
        report = services.import_cdr(request.user, line, text)
        if not report.ok:
            return Response({"file": [f"line {n}: {m}" for n, m in report.errors]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": report.created, "unchanged": report.unchanged}, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[OpenApiParameter("open_high_risk", bool), OpenApiParameter("line", int)])
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Call records of the caller's region. Registering a medium- or higher-risk call raises an alert."""

    queryset = Call.objects.none()
    serializer_class = CallSerializer
    scope_model = Call
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": CallInputSerializer, "partial_update": CallUpdateSerializer,
                "follow_up": FollowUpSerializer}.get(self.action, CallSerializer)

    def get_queryset(self):
        p = self.request.query_params
        qs = selectors.visible_calls(self.request.user)
        if p.get("open_high_risk") in ("1", "true"):
            qs = selectors.open_high_risk(self.request.user)
        line_id = query_id(p, "line")
        if line_id is not None:
            qs = qs.filter(line_id=line_id)
        return qs

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        selectors.record_call_listing(request.user, page)
        return self.get_paginated_response(CallSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(CallSerializer(selectors.get_call(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(request=CallInputSerializer, responses={201: CallSerializer})
    def create(self, request, *args, **kwargs):
        s = CallInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        line = selectors.visible_lines(request.user).filter(pk=v.pop("line")).first()
        if line is None:
            raise field_error("line", _("Hotline: not found in your area; check the line id."))
        if v.get("seat") is not None:
            v["seat"] = Seat.objects.filter(pk=v["seat"], line=line).first()
            if v["seat"] is None:
                raise field_error("seat", _("Seat: not a seat of this hotline."))
        if v.get("person") is not None:
            try:
                v["person"] = person_selectors.get_person(request.user, v["person"], purpose="hotline")
            except Person.DoesNotExist:
                raise field_error("person", _("Person: not found in your area; check the person id.")) from None
        call = services.record_call(request.user, line, v)
        return Response(CallSerializer(call).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CallUpdateSerializer, responses={200: CallSerializer})
    def partial_update(self, request, *args, **kwargs):
        call = selectors.visible_calls(request.user).filter(pk=path_id(kwargs["pk"])).first()
        if call is None:
            raise Call.DoesNotExist
        s = CallUpdateSerializer(data=request.data, partial=True)  # only what was sent; no defaults
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        if "seat" in v and v["seat"] is not None:
            v["seat"] = Seat.objects.filter(pk=v["seat"], line=call.line).first()
            if v["seat"] is None:
                raise field_error("seat", _("Seat: not a seat of this hotline."))
        return Response(CallSerializer(services.update_call(request.user, call, v)).data)

    @extend_schema(parameters=[OpenApiParameter("phone", str, description="the caller's number; without it the list is empty")],
                   responses={200: CallSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def previous(self, request):
        """Earlier calls from the same number (repeat-caller recognition), newest first."""
        return Response(CallSerializer(selectors.previous_calls(request.user, request.query_params.get("phone", "")), many=True).data)

    @extend_schema(request=FollowUpSerializer, responses={200: CallSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        """Record that the high-risk caller was followed up."""
        call = selectors.visible_calls(request.user).filter(pk=path_id(pk)).first()
        if call is None:
            raise Call.DoesNotExist
        s = FollowUpSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(CallSerializer(services.complete_follow_up(request.user, call, s.validated_data.get("note", ""))).data)


__all__ = ["LineViewSet", "CallViewSet", "PROBLEM_TYPES"]
