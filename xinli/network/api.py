"""Service network over /api/v1/network/: institutions, sites (with status), staff (with compliance), coverage."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id, query_year
from xinli.core.policy import NETWORK_MANAGE, REGIONS_VIEW
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit

from . import coverage, rules, selectors, services
from . import inspection as insp
from .models import (
    Course,
    Education,
    InspectionPlan,
    Institution,
    InstitutionKind,
    Profession,
    Rectification,
    Site,
    SiteKind,
    SiteStatus,
    Staff,
    Volunteer,
)


def _unit(pk) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if unit is None:
        raise field_error("org_unit", _("Org unit: not found; check the org unit id."))
    return unit


class InstitutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "name", "kind", "org_unit", "hospital_level", "psychiatric_department", "students", "psychology_teachers",
                  "employees", "above_size", "credit_code", "active"]


class InstitutionInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=100)
    kind = serializers.ChoiceField(label=_("kind"), choices=InstitutionKind.choices)
    org_unit = serializers.IntegerField(label=_("org unit"))
    hospital_level = serializers.ChoiceField(label=_("hospital level"), choices=["1", "2", "3"], required=False, allow_blank=True)
    psychiatric_department = serializers.BooleanField(label=_("psychiatric department or clinic"), required=False, default=False,
                                                      help_text="a general hospital with a psychiatric department or clinic (T18)")
    students = serializers.IntegerField(label=_("students"), min_value=0, required=False, allow_null=True)
    psychology_teachers = serializers.IntegerField(label=_("full-time psychology teachers"), min_value=0, required=False, allow_null=True)
    employees = serializers.IntegerField(label=_("employees"), min_value=0, required=False, allow_null=True)
    above_size = serializers.BooleanField(label=_("above designated size"), required=False, default=False)
    credit_code = serializers.CharField(label=_("unified social credit code"), max_length=18, required=False, allow_blank=True)


class InstitutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = Institution.objects.none()
    scope_model = Institution
    scope_field = "org_path"

    def get_serializer_class(self):
        return InstitutionInputSerializer if self.action == "create" else InstitutionSerializer

    def get_queryset(self):
        qs = selectors.visible_institutions(self.request.user)
        kind = self.request.query_params.get("kind")
        return qs.filter(kind=kind) if kind else qs

    @extend_schema(request=InstitutionInputSerializer, responses={201: InstitutionSerializer})
    def create(self, request, *args, **kwargs):
        s = InstitutionInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        unit = _unit(v.pop("org_unit"))
        return Response(InstitutionSerializer(services.create_institution(request.user, org_unit=unit, **v)).data, status=status.HTTP_201_CREATED)


class SiteSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = ["id", "name", "kind", "institution", "org_unit", "address", "hours", "phone", "capacity", "services",
                  "purchased", "status"]

    def get_status(self, obj) -> str | None:
        current = [s for s in obj.statuses.all() if s.end is None]
        return current[0].status if current else None


class SiteInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=100)
    kind = serializers.ChoiceField(label=_("kind"), choices=SiteKind.choices)
    org_unit = serializers.IntegerField(label=_("org unit"))
    institution = serializers.IntegerField(label=_("institution"), required=False, allow_null=True)
    opened_on = serializers.DateField(label=_("opened on"))
    address = serializers.CharField(label=_("address"), max_length=200, required=False, allow_blank=True)
    hours = serializers.CharField(label=_("opening hours"), max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(label=_("contact phone"), max_length=30, required=False, allow_blank=True)
    capacity = serializers.IntegerField(label=_("capacity (people per week)"), min_value=0, required=False, allow_null=True)
    latitude = serializers.DecimalField(label=_("latitude"), max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.DecimalField(label=_("longitude"), max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True)
    services = serializers.ListField(label=_("services offered"), child=serializers.CharField(max_length=40), required=False, max_length=20)
    purchased = serializers.BooleanField(label=_("purchased service"), required=False, default=False)


class SiteStatusInputSerializer(StrictSerializerMixin, serializers.Serializer):
    status = serializers.ChoiceField(label=_("status"), choices=SiteStatus.Status.choices)
    on = serializers.DateField(label=_("from"))
    note = serializers.CharField(label=_("note"), max_length=200, required=False, allow_blank=True)


@extend_schema(parameters=[OpenApiParameter("kind", str), OpenApiParameter("active", bool),
                           OpenApiParameter("near", str, description="lat,lng: the sites with coordinates, nearest first")])
class SiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = Site.objects.none()
    scope_model = Site
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": SiteInputSerializer, "status": SiteStatusInputSerializer}.get(self.action, SiteSerializer)

    def get_queryset(self):
        qs = selectors.visible_sites(self.request.user)
        p = self.request.query_params
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"])
        if p.get("active") in ("1", "true"):
            qs = qs.filter(statuses__end__isnull=True, statuses__status="active")
        return qs

    def list(self, request, *args, **kwargs):
        near = request.query_params.get("near", "")
        if not near:
            return super().list(request, *args, **kwargs)
        try:
            lat, lng = (float(x) for x in near.split(","))
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise ValueError
        except ValueError:
            raise field_error("near", _("Near: latitude,longitude in degrees, e.g. 36.07,120.38.")) from None
        sites = selectors.sites_near(self.get_queryset(), lat, lng, limit=50)
        rows = SiteSerializer(sites, many=True).data
        for row, site in zip(rows, sites, strict=True):
            row["distance_km"] = round(selectors.distance_km(lat, lng, float(site.latitude), float(site.longitude)), 2)
        return Response({"count": len(rows), "results": rows})

    @extend_schema(request=SiteInputSerializer, responses={201: SiteSerializer})
    def create(self, request, *args, **kwargs):
        s = SiteInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        unit = _unit(v.pop("org_unit"))
        if v.get("institution") is not None:
            v["institution"] = selectors.visible_institutions(request.user).filter(pk=v["institution"]).first()
            if v["institution"] is None:
                raise field_error("institution", _("Institution: not found in your area; check the institution id."))
        return Response(SiteSerializer(services.create_site(request.user, org_unit=unit, **v)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteStatusInputSerializer, responses={200: SiteSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        site = selectors.visible_sites(request.user).filter(pk=path_id(pk)).first()
        if site is None or not path_in_scope(request.user, NETWORK_MANAGE, site.org_path):
            raise Site.DoesNotExist
        s = SiteStatusInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.set_site_status(request.user, site, **s.validated_data)
        return Response(SiteSerializer(selectors.visible_sites(request.user).get(pk=site.pk)).data)


class StaffSerializer(serializers.ModelSerializer):
    qualified = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    supervision_hours = serializers.SerializerMethodField()
    certificates = serializers.SerializerMethodField()

    class Meta:
        model = Staff
        fields = ["id", "name", "profession", "education", "employer", "full_time", "org_unit", "active", "certificates",
                  "qualified", "problems", "supervision_hours"]

    def get_qualified(self, obj) -> bool | None:
        return rules.counsellor_qualified(obj, timezone.localdate()) if obj.profession == Profession.COUNSELLOR else None

    def get_problems(self, obj) -> list[str]:
        return rules.counsellor_problems(obj, timezone.localdate()) if obj.profession == Profession.COUNSELLOR else []

    def get_supervision_hours(self, obj) -> str:
        return str(sum((x.hours for x in obj.supervisions.all()), 0))

    def get_certificates(self, obj) -> list[dict]:
        return [{"kind": c.kind, "number": c.number, "issuer": c.issuer, "valid_from": c.valid_from, "valid_to": c.valid_to}
                for c in obj.certificates.all()]


class CertificateInputSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.CharField(label=_("kind"), max_length=16)
    number = serializers.CharField(label=_("certificate number"), max_length=40)
    issuer = serializers.CharField(label=_("issued by"), max_length=100)
    valid_from = serializers.DateField(label=_("valid from"))
    valid_to = serializers.DateField(label=_("valid until"), required=False, allow_null=True)


class StaffInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=50)
    phone = serializers.CharField(label=_("phone"), max_length=20, required=False, allow_blank=True)
    profession = serializers.ChoiceField(label=_("profession"), choices=Profession.choices)
    education = serializers.ChoiceField(label=_("education"), choices=Education.choices)
    org_unit = serializers.IntegerField(label=_("org unit"))
    employer = serializers.IntegerField(label=_("employer"), required=False, allow_null=True)
    full_time = serializers.BooleanField(label=_("full-time"), required=False, default=True)
    certificates = CertificateInputSerializer(label=_("certificates"), many=True, required=False)


class SupervisionInputSerializer(StrictSerializerMixin, serializers.Serializer):
    date = serializers.DateField(label=_("date"))
    hours = serializers.DecimalField(label=_("hours"), max_digits=4, decimal_places=1)
    supervisor = serializers.CharField(label=_("supervisor"), max_length=60)


@extend_schema(parameters=[OpenApiParameter("profession", str), OpenApiParameter("qualified", bool)])
class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The talent database: staff of the officer's area with their certificates, compliance flags and supervision
    received (``POST {id}/supervision/``)."""

    queryset = Staff.objects.none()
    scope_model = Staff
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": StaffInputSerializer, "supervision": SupervisionInputSerializer}.get(self.action, StaffSerializer)

    @extend_schema(request=SupervisionInputSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def supervision(self, request, pk=None):
        staff = self.get_queryset().filter(pk=path_id(pk)).first()
        if staff is None:
            raise Staff.DoesNotExist
        s = SupervisionInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        record = services.record_supervision(request.user, staff, **s.validated_data)
        return Response({"id": record.pk, "hours": str(record.hours)}, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        qs = selectors.visible_staff(self.request.user).prefetch_related("supervisions")
        if self.request.query_params.get("profession"):
            qs = qs.filter(profession=self.request.query_params["profession"])
        return qs.order_by("pk")

    def list(self, request, *args, **kwargs):
        qs = self.get_queryset()
        wanted = request.query_params.get("qualified")
        if wanted in ("1", "true", "0", "false"):
            # Qualification is evaluated (today's certificates), not stored: filter the counsellors in Python.
            today = timezone.localdate()
            keep = [s.pk for s in qs.filter(profession=Profession.COUNSELLOR) if rules.counsellor_qualified(s, today) == (wanted in ("1", "true"))]
            qs = qs.filter(pk__in=keep)
        page = self.paginate_queryset(qs)
        selectors.record_staff_listing(request.user, page)
        return self.get_paginated_response(StaffSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        staff = self.get_queryset().filter(pk=path_id(kwargs["pk"])).first()
        if staff is None:
            raise Staff.DoesNotExist
        selectors.record_staff_listing(request.user, [staff])
        return Response(StaffSerializer(staff).data)

    @extend_schema(request=StaffInputSerializer, responses={201: StaffSerializer})
    def create(self, request, *args, **kwargs):
        s = StaffInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        unit = _unit(v.pop("org_unit"))
        if v.get("employer") is not None:
            v["employer"] = selectors.visible_institutions(request.user).filter(pk=v["employer"]).first()
            if v["employer"] is None:
                raise field_error("employer", _("Employer: not found in your area; check the institution id."))
        v["certificates"] = [dict(c) for c in v.get("certificates", [])]
        return Response(StaffSerializer(services.create_staff(request.user, org_unit=unit, **v)).data, status=status.HTTP_201_CREATED)


class CoverageViewSet(viewsets.GenericViewSet):
    """Coverage of an org unit on a day (``?date=``, default today; ``?year=`` for 31 December of that year)."""

    queryset = OrgUnit.objects.none()
    scope_model = OrgUnit
    scope_field = "path"

    @extend_schema(parameters=[OpenApiParameter("date", datetime.date), OpenApiParameter("year", int)], responses={200: dict})
    def retrieve(self, request, pk=None):
        unit = OrgUnit.objects.filter(pk=path_id(pk)).first()
        if unit is None or not path_in_scope(request.user, REGIONS_VIEW, unit.path):
            raise OrgUnit.DoesNotExist
        today = timezone.localdate()
        try:
            if request.query_params.get("year"):
                day = coverage.year_day(query_year(request.query_params, default=today.year, low=1900, high=9999), today)
            else:
                day = datetime.date.fromisoformat(request.query_params.get("date") or today.isoformat())
        except ValueError:
            raise field_error("date", _("Date: use YYYY-MM-DD, or a year.")) from None
        out = coverage.compute(unit, day)
        return Response({"org_unit": unit.pk, "date": day.isoformat(), "targets": {
            code: {"covered": c.covered, "total": c.total, "rate": c.rate, "gaps": [str(g) if isinstance(g, Institution) else g.name for g in c.gaps],
                   **({"rule": c.rule} if c.rule else {})}
            for code, c in out.items()}})


# --- inspections, training, volunteers -------------------------------------------------------------------------


@extend_schema_serializer(component_name="InspectionPlan")
class PlanSerializer(serializers.ModelSerializer):
    checklist_items = serializers.JSONField(source="checklist.items", read_only=True)

    class Meta:
        model = InspectionPlan
        fields = ["id", "name", "org_unit", "start", "end", "checklist_items"]


@extend_schema_serializer(component_name="InspectionPlanInput")
class PlanInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=100)
    checklist = serializers.CharField(label=_("checklist"), max_length=100, required=False, help_text="a checklist name (default: the seeded one)")
    org_unit = serializers.IntegerField(label=_("scope"))
    start = serializers.DateField(label=_("from"))
    end = serializers.DateField(label=_("until"))


class FindingInputSerializer(StrictSerializerMixin, serializers.Serializer):
    item = serializers.CharField(label=_("checklist item"), max_length=20)
    severity = serializers.CharField(label=_("severity"), max_length=8)
    description = serializers.CharField(label=_("description"), max_length=500)
    deadline = serializers.DateField(label=_("deadline"))


class InspectionInputSerializer(StrictSerializerMixin, serializers.Serializer):
    institution = serializers.IntegerField(label=_("institution"))
    date = serializers.DateField(label=_("date"))
    results = serializers.DictField(label=_("results"), child=serializers.CharField(max_length=4))
    findings = FindingInputSerializer(label=_("findings"), many=True, required=False)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Inspection plans (督导检查) of the officer's area; ``POST {id}/inspections/`` records an inspection."""

    queryset = InspectionPlan.objects.none()
    scope_model = InspectionPlan
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": PlanInputSerializer, "inspections": InspectionInputSerializer}.get(self.action, PlanSerializer)

    def get_queryset(self):
        from xinli.core.scoping import scope_q

        return InspectionPlan.objects.filter(scope_q(self.request.user, NETWORK_MANAGE)).select_related("checklist")

    @extend_schema(request=PlanInputSerializer, responses={201: PlanSerializer})
    def create(self, request, *args, **kwargs):
        s = PlanInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        if v.get("checklist"):
            from .models import Checklist

            v["checklist"] = Checklist.objects.filter(name=v["checklist"]).first()
            if v["checklist"] is None:
                raise field_error("checklist", _("Checklist: no checklist of that name; load it with manage.py load_checklist."))
        return Response(PlanSerializer(insp.create_plan(request.user, org_unit=_unit(v.pop("org_unit")), **v)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InspectionInputSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def inspections(self, request, pk=None):
        plan = self.get_queryset().filter(pk=path_id(pk)).first()
        if plan is None:
            raise InspectionPlan.DoesNotExist
        s = InspectionInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        inst = selectors.visible_institutions(request.user).filter(pk=v["institution"]).first()
        if inst is None:
            raise field_error("institution", _("Institution: not found in your area; check the institution id."))
        done = insp.record_inspection(request.user, plan, inst, date=v["date"], results=dict(v["results"]),
                                      findings=[dict(f) for f in v.get("findings", [])])
        return Response({"id": done.pk, "score": str(done.score), "findings": done.findings.count()}, status=status.HTTP_201_CREATED)


class RectificationSerializer(serializers.ModelSerializer):
    institution = serializers.CharField(source="finding.inspection.institution.name", read_only=True)
    item = serializers.CharField(source="finding.item", read_only=True)
    severity = serializers.CharField(source="finding.severity", read_only=True)
    description = serializers.CharField(source="finding.description", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Rectification
        fields = ["id", "institution", "item", "severity", "description", "deadline", "state", "evidence", "closed_at", "overdue"]

    def get_overdue(self, obj) -> bool:
        return obj.overdue_on(timezone.localdate())


class EvidenceSerializer(StrictSerializerMixin, serializers.Serializer):
    evidence = serializers.CharField(label=_("evidence"), max_length=1000)


@extend_schema(parameters=[OpenApiParameter("overdue", bool), OpenApiParameter("state", str)])
class RectificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Rectification.objects.none()
    serializer_class = RectificationSerializer
    scope_model = Rectification
    scope_field = "org_path"

    def get_serializer_class(self):
        return EvidenceSerializer if self.action == "close" else RectificationSerializer

    def get_queryset(self):
        from xinli.core.scoping import scope_q

        qs = Rectification.objects.filter(scope_q(self.request.user, NETWORK_MANAGE)).select_related("finding__inspection__institution")
        p = self.request.query_params
        if p.get("state"):
            qs = qs.filter(state=p["state"])
        if p.get("overdue") in ("1", "true"):
            qs = qs.filter(state="open", deadline__lt=timezone.localdate())
        return qs.order_by("deadline", "pk")

    @extend_schema(request=EvidenceSerializer, responses={200: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        rect = self.get_queryset().filter(pk=path_id(pk)).first()
        if rect is None:
            raise Rectification.DoesNotExist
        s = EvidenceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(RectificationSerializer(insp.close_rectification(request.user, rect, evidence=s.validated_data["evidence"])).data)


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "title", "provider", "hours", "org_unit"]


class CourseInputSerializer(StrictSerializerMixin, serializers.Serializer):
    title = serializers.CharField(label=_("title"), max_length=120)
    provider = serializers.CharField(label=_("provider"), max_length=100)
    hours = serializers.DecimalField(label=_("hours"), max_digits=5, decimal_places=1)
    org_unit = serializers.IntegerField(label=_("org unit"))


class AttendanceInputSerializer(StrictSerializerMixin, serializers.Serializer):
    staff = serializers.IntegerField(label=_("staff member"))
    date = serializers.DateField(label=_("date"))
    completed = serializers.BooleanField(label=_("completed"), required=False, default=True)
    certificate = serializers.CharField(label=_("certificate number"), max_length=40, required=False, allow_blank=True)


class CourseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Training courses; ``POST {id}/attendance/`` records a staff member's attendance."""

    queryset = Course.objects.none()
    scope_model = Course
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": CourseInputSerializer, "attendance": AttendanceInputSerializer}.get(self.action, CourseSerializer)

    def get_queryset(self):
        from xinli.core.scoping import scope_q

        return Course.objects.filter(scope_q(self.request.user, NETWORK_MANAGE))

    @extend_schema(request=CourseInputSerializer, responses={201: CourseSerializer})
    def create(self, request, *args, **kwargs):
        s = CourseInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        return Response(CourseSerializer(services.create_course(request.user, org_unit=_unit(v.pop("org_unit")), **v)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AttendanceInputSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        course = self.get_queryset().filter(pk=path_id(pk)).first()
        if course is None:
            raise Course.DoesNotExist
        s = AttendanceInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        staff = selectors.visible_staff(request.user).filter(pk=v.pop("staff")).first()
        if staff is None:
            raise field_error("staff", _("Staff member: not found in your area."))
        att = services.record_attendance(request.user, course, staff, **v)
        return Response({"id": att.pk, "hours": str(att.hours)}, status=status.HTTP_201_CREATED)


class VolunteerSerializer(serializers.ModelSerializer):
    service_hours = serializers.SerializerMethodField()

    class Meta:
        model = Volunteer
        fields = ["id", "name", "org_unit", "recruited_on", "trained", "commendations", "active", "service_hours"]

    def get_service_hours(self, obj) -> str:
        return str(sum((s.hours for s in obj.services.all()), 0))


class VolunteerInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=50)
    phone = serializers.CharField(label=_("phone"), max_length=20, required=False, allow_blank=True)
    org_unit = serializers.IntegerField(label=_("org unit"))
    recruited_on = serializers.DateField(label=_("recruited on"))
    trained = serializers.BooleanField(label=_("trained"), required=False, default=False)


class ServiceLogSerializer(StrictSerializerMixin, serializers.Serializer):
    date = serializers.DateField(label=_("date"))
    hours = serializers.DecimalField(label=_("hours"), max_digits=5, decimal_places=1)
    activity = serializers.CharField(label=_("activity"), max_length=120)


class CommendationSerializer(StrictSerializerMixin, serializers.Serializer):
    date = serializers.DateField(label=_("date"))
    title = serializers.CharField(label=_("title"), max_length=100)


class VolunteerViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Volunteers (names encrypted); ``POST {id}/services/`` logs service hours, ``POST {id}/commend/`` records a
    commendation."""

    queryset = Volunteer.objects.none()
    scope_model = Volunteer
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": VolunteerInputSerializer, "services": ServiceLogSerializer,
                "commend": CommendationSerializer}.get(self.action, VolunteerSerializer)

    @extend_schema(request=CommendationSerializer, responses={200: VolunteerSerializer})
    @action(detail=True, methods=["post"])
    def commend(self, request, pk=None):
        volunteer = self.get_queryset().filter(pk=path_id(pk)).first()
        if volunteer is None:
            raise Volunteer.DoesNotExist
        s = CommendationSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(VolunteerSerializer(services.commend_volunteer(request.user, volunteer, **s.validated_data)).data)

    def get_queryset(self):
        from xinli.core.scoping import scope_q

        return Volunteer.objects.filter(scope_q(self.request.user, NETWORK_MANAGE)).prefetch_related("services")

    @extend_schema(request=VolunteerInputSerializer, responses={201: VolunteerSerializer})
    def create(self, request, *args, **kwargs):
        s = VolunteerInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        return Response(VolunteerSerializer(services.create_volunteer(request.user, org_unit=_unit(v.pop("org_unit")), **v)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceLogSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def services(self, request, pk=None):
        volunteer = self.get_queryset().filter(pk=path_id(pk)).first()
        if volunteer is None:
            raise Volunteer.DoesNotExist
        s = ServiceLogSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        log = services.log_volunteer_service(request.user, volunteer, **s.validated_data)
        return Response({"id": log.pk, "hours": str(log.hours)}, status=status.HTTP_201_CREATED)
