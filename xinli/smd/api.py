"""SMD register over /api/v1/smd/: patients (clinical or basic view by role), follow-ups, emergencies, team,
support records, worklist, indicators."""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xinli.accounts.models import User
from xinli.archives import selectors as person_selectors
from xinli.archives.models import Person
from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id, query_year
from xinli.core.listing import audit_rows
from xinli.core.policy import INDICATORS_VIEW, SMD_VIEW
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit
from xinli.regions.parameters import small_cell_threshold

from . import indicators, selectors, services
from .models import (
    Adherence,
    BreakGlass,
    Classification,
    Diagnosis,
    Emergency,
    FollowUp,
    Mode,
    Patient,
    Residence,
    Source,
    Status,
    Support,
    Task,
    TeamMember,
    TeamRole,
    Trigger,
)


class BasicPatientSerializer(serializers.ModelSerializer):
    """What a case-team member (police liaison, community worker) needs — no clinical details."""

    name = serializers.CharField(source="person.name", read_only=True)
    address = serializers.CharField(source="person.address", read_only=True, allow_null=True)
    doctor_name = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["id", "name", "address", "risk", "doctor", "doctor_name", "status"]

    def get_doctor_name(self, obj) -> str:
        return str(obj.doctor) if obj.doctor_id else ""


class PatientSerializer(BasicPatientSerializer):
    class Meta:
        model = Patient
        fields = ["id", "person", "name", "address", "diagnosis", "diagnosed_by", "diagnosed_on", "source", "registered_on",
                  "status", "status_reason", "status_on", "residence", "guardian_name", "guardian_phone", "consent_community",
                  "consent_on", "poor", "insured", "management_level", "doctor", "doctor_name", "classification", "risk",
                  "last_follow_up"]


class RegisterSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"))
    diagnosis = serializers.ChoiceField(label=_("diagnosis"), choices=Diagnosis.choices)
    diagnosed_by = serializers.CharField(label=_("diagnosing institution"), max_length=100)
    diagnosed_on = serializers.DateField(label=_("diagnosed on"))
    source = serializers.ChoiceField(label=_("registration source"), choices=Source.choices)
    registered_on = serializers.DateField(label=_("registered on"), required=False)
    residence = serializers.ChoiceField(label=_("residence"), choices=Residence.choices, required=False, default=Residence.HOME)
    guardian_name = serializers.CharField(label=_("guardian"), max_length=50, required=False, allow_blank=True)
    guardian_phone = serializers.CharField(label=_("guardian's phone"), max_length=20, required=False, allow_blank=True)
    consent_community = serializers.BooleanField(label=_("consents to community management"), required=False, default=False)
    consent_on = serializers.DateField(label=_("consent date"), required=False, allow_null=True)
    poor = serializers.BooleanField(label=_("registered as poor"), required=False, default=False)
    insured = serializers.BooleanField(label=_("medical insurance"), required=False, default=True)
    management_level = serializers.IntegerField(label=_("case-management level"), min_value=1, max_value=3, required=False, default=1)


@extend_schema_serializer(component_name="SmdFollowUp")
class FollowUpSerializer(serializers.ModelSerializer):
    medications = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        exclude = ["org_path", "patient"]

    def get_medications(self, obj) -> list:
        try:
            return json.loads(obj.medications) if obj.medications else []
        except ValueError:
            return [obj.medications]


class FollowUpInputSerializer(StrictSerializerMixin, serializers.Serializer):
    date = serializers.DateField(label=_("date"))
    mode = serializers.ChoiceField(label=_("mode"), choices=Mode.choices)
    lost_reason = serializers.CharField(label=_("lost to follow-up"), max_length=14, required=False, allow_blank=True)
    death_date = serializers.DateField(label=_("date of death"), required=False, allow_null=True)
    death_cause = serializers.CharField(label=_("cause of death"), max_length=100, required=False, allow_blank=True)
    risk = serializers.IntegerField(label=_("risk level (0–5)"), required=False, allow_null=True)
    symptoms = serializers.ListField(label=_("symptoms"), child=serializers.CharField(max_length=20), required=False, max_length=12)
    psychotic_symptoms_obvious = serializers.BooleanField(label=_("obvious psychotic symptoms"), required=False, default=False)
    insight = serializers.CharField(label=_("insight"), max_length=8, required=False, allow_blank=True)
    sleep = serializers.CharField(label=_("sleep"), max_length=4, required=False, allow_blank=True)
    diet = serializers.CharField(label=_("diet"), max_length=4, required=False, allow_blank=True)
    social_function = serializers.DictField(label=_("social function"), child=serializers.CharField(max_length=4), required=False)
    incidents = serializers.DictField(label=_("incidents since last visit"), child=serializers.IntegerField(min_value=0, max_value=999), required=False)
    locked = serializers.ChoiceField(label=_("locked up"), choices=["none", "locked", "released"], required=False, allow_blank=True)
    hospitalised = serializers.ChoiceField(label=_("hospitalisation"), choices=["none", "past", "current"], required=False, allow_blank=True)
    labs = serializers.CharField(label=_("laboratory tests"), max_length=2000, required=False, allow_blank=True)
    adherence = serializers.ChoiceField(label=_("medication adherence"), choices=Adherence.choices, required=False, allow_blank=True)
    acute_adverse_reaction = serializers.BooleanField(label=_("acute adverse drug reaction"), required=False, default=False)
    adverse_reaction = serializers.CharField(label=_("adverse reactions"), max_length=2000, required=False, allow_blank=True)
    serious_physical_illness = serializers.BooleanField(label=_("serious physical illness"), required=False, default=False)
    effect = serializers.ChoiceField(label=_("treatment effect"), choices=["cured", "improved", "unchanged", "worse"], required=False, allow_blank=True)
    referral_reason = serializers.CharField(label=_("referral reason"), max_length=2000, required=False, allow_blank=True)
    referral_institution = serializers.CharField(label=_("referred to"), max_length=100, required=False, allow_blank=True)
    referral_department = serializers.CharField(label=_("department"), max_length=60, required=False, allow_blank=True)
    medications = serializers.ListField(label=_("medications"), child=serializers.DictField(child=serializers.CharField(max_length=60)), required=False, max_length=20)
    rehabilitation = serializers.ListField(label=_("rehabilitation measures"), child=serializers.CharField(max_length=60), required=False, max_length=10)


class EmergencySerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Emergency
        fields = ["id", "trigger", "occurred_at", "actions", "police", "ambulance", "outcome", "completed_at", "overdue", "alert"]


class EmergencyInputSerializer(StrictSerializerMixin, serializers.Serializer):
    trigger = serializers.ChoiceField(label=_("trigger"), choices=Trigger.choices)
    occurred_at = serializers.DateTimeField(label=_("occurred"))
    actions = serializers.CharField(label=_("actions taken"), max_length=5000, required=False, allow_blank=True)
    outcome = serializers.CharField(label=_("outcome"), max_length=5000, required=False, allow_blank=True)
    police = serializers.BooleanField(label=_("police involved"), required=False, default=False)
    ambulance = serializers.BooleanField(label=_("120 involved"), required=False, default=False)


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "role", "user", "name", "phone"]


class TeamInputSerializer(StrictSerializerMixin, serializers.Serializer):
    role = serializers.ChoiceField(label=_("role"), choices=TeamRole.choices)
    name = serializers.CharField(label=_("name"), max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(label=_("phone"), max_length=20, required=False, allow_blank=True)


class SupportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Support
        fields = ["id", "kind", "start", "end", "institution", "primary_care", "note"]


class SupportInputSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(label=_("kind"), choices=Support.Kind.choices)
    start = serializers.DateField(label=_("date"))
    end = serializers.DateField(label=_("until"), required=False, allow_null=True)
    institution = serializers.CharField(label=_("institution"), max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(label=_("note"), max_length=2000, required=False, allow_blank=True)
    primary_care = serializers.BooleanField(label=_("by a primary-care institution"), required=False, default=False,
                                            help_text="given by a primary-care institution (基层医疗卫生机构): what T17 counts")


class StatusInputSerializer(StrictSerializerMixin, serializers.Serializer):
    status = serializers.ChoiceField(label=_("status"), choices=Status.choices)
    reason = serializers.CharField(label=_("reason"), max_length=200, required=False, allow_blank=True)
    on = serializers.DateField(label=_("status since"), required=False, allow_null=True)


class DoctorInputSerializer(StrictSerializerMixin, serializers.Serializer):
    doctor = serializers.IntegerField(label=_("responsible doctor"), min_value=1)


class BreakGlassInputSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(label=_("reason"), max_length=300)


@extend_schema_serializer(component_name="SmdBreakGlass")
class BreakGlassSerializer(serializers.ModelSerializer):
    class Meta:
        model = BreakGlass
        fields = ["id", "patient", "reason", "granted_at", "expires_at"]


INPUTS = {"break_glass": BreakGlassInputSerializer, "create": RegisterSerializer, "follow_ups": FollowUpInputSerializer, "emergencies": EmergencyInputSerializer,
          "team": TeamInputSerializer, "support": SupportInputSerializer, "status": StatusInputSerializer, "doctor": DoctorInputSerializer}


@extend_schema(parameters=[
    OpenApiParameter("classification", str, enum=Classification.values), OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("follow_up", str, enum=selectors.FOLLOW_UP_STATES,
                     description="due (this week), overdue, never (no completed follow-up), not_this_year"),
    OpenApiParameter("risk", int, description="risk level 0–5"), OpenApiParameter("diagnosis", str, enum=Diagnosis.values),
    OpenApiParameter("q", str, description="name or ID number (the archive's scoped search)")])
class PatientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Patients in the user's area. Treating roles see clinical details; case-team roles only name, address, risk level
    and the responsible doctor. Every patient returned is an audited read."""

    queryset = Patient.objects.none()
    scope_model = Patient
    scope_field = "org_path"

    def get_serializer_class(self):
        return INPUTS.get(self.action, PatientSerializer)

    def get_queryset(self):
        p = self.request.query_params  # values checked against the declared parameters (xinli.core.query)
        return selectors.patient_list(self.request.user, follow_up=p.get("follow_up", ""), classification=p.get("classification", ""),
                                      risk=int(p["risk"]) if p.get("risk") else None, diagnosis=p.get("diagnosis", ""),
                                      q=p.get("q", ""), status=p.get("status", ""))

    def _serialize(self, patient, clinical: bool):
        return (PatientSerializer if clinical else BasicPatientSerializer)(patient).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        broken = selectors.glass_broken(request.user)
        return self.get_paginated_response([self._serialize(p, selectors.may_see_clinical(request.user, p, broken)) for p in page])

    def retrieve(self, request, *args, **kwargs):
        patient, clinical = selectors.get_patient(request.user, path_id(kwargs["pk"]))
        return Response(self._serialize(patient, clinical))

    def _clinical(self, pk) -> Patient:
        patient = selectors.clinical_patients(self.request.user).filter(pk=path_id(pk)).first()
        if patient is None:
            raise Patient.DoesNotExist
        return patient

    @extend_schema(request=RegisterSerializer, responses={201: PatientSerializer})
    def create(self, request, *args, **kwargs):
        s = RegisterSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        try:
            person = person_selectors.get_person(request.user, v.pop("person"), purpose="smd register")
        except Person.DoesNotExist:
            raise field_error("person", _("Person: not found in your area; check the person id.")) from None
        return Response(PatientSerializer(services.register_patient(request.user, person, v)).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses={200: FollowUpSerializer(many=True)})
    @extend_schema(methods=["post"], request=FollowUpInputSerializer, responses={201: FollowUpSerializer})
    @action(detail=True, methods=["get", "post"], url_path="follow-ups")
    def follow_ups(self, request, pk=None):
        if request.method == "GET":  # treating roles, or a case-team member who broke the glass
            patient, clinical = selectors.get_patient(request.user, path_id(pk))
            if not clinical:
                raise Patient.DoesNotExist
            return Response(FollowUpSerializer(selectors.follow_ups(patient), many=True).data)
        patient = self._clinical(pk)
        s = FollowUpInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(FollowUpSerializer(services.record_follow_up(request.user, patient, s.validated_data)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=BreakGlassInputSerializer, responses={201: BreakGlassSerializer})
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request, pk=None):
        """A case-team member opens the patient's clinical details for four hours, read only, with a recorded reason."""
        patient = selectors.visible_patients(request.user).filter(pk=path_id(pk)).first()
        if patient is None:
            raise Patient.DoesNotExist
        s = BreakGlassInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(BreakGlassSerializer(services.break_glass(request.user, patient, reason=s.validated_data["reason"])).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=DoctorInputSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def doctor(self, request, pk=None):
        """Make another user the responsible doctor: someone who follows up patients of the patient's area."""
        patient = self._clinical(pk)
        s = DoctorInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        doctor = User.objects.filter(pk=s.validated_data["doctor"]).first()
        return Response(PatientSerializer(services.assign_doctor(request.user, patient, doctor)).data)

    @extend_schema(request=EmergencyInputSerializer, responses={201: EmergencySerializer})
    @action(detail=True, methods=["post"])
    def emergencies(self, request, pk=None):
        patient = self._clinical(pk)
        s = EmergencyInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        em = services.record_emergency(request.user, patient, complete=bool(v.get("actions") and v.get("outcome")), **v)
        return Response(EmergencySerializer(em).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamInputSerializer, responses={201: TeamMemberSerializer})
    @action(detail=True, methods=["post"])
    def team(self, request, pk=None):
        patient = self._clinical(pk)
        s = TeamInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(TeamMemberSerializer(services.add_team_member(request.user, patient, **s.validated_data)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=SupportInputSerializer, responses={201: SupportSerializer})
    @action(detail=True, methods=["post"])
    def support(self, request, pk=None):
        patient = self._clinical(pk)
        s = SupportInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(SupportSerializer(services.add_support(request.user, patient, **s.validated_data)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=StatusInputSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        patient = self._clinical(pk)
        s = StatusInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(PatientSerializer(services.change_status(request.user, patient, **s.validated_data)).data)


class TaskSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="patient.person.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "patient", "name", "due", "state", "overdue"]

    def get_overdue(self, obj) -> bool:
        return obj.state == Task.State.DUE and obj.due < timezone.localdate()


class WorklistViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The doctor's worklist: follow-ups due this week and overdue ones (``?overdue=1`` for overdue only)."""

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    scope_model = Task
    scope_field = "org_path"
    pagination_class = None  # the whole worklist in one answer: {"count": n, "results": [...]}
    schema_list_is_object = True

    @extend_schema(parameters=[OpenApiParameter("overdue", bool, description="overdue follow-ups only")],
                   responses={200: inline_serializer("Worklist", {"count": serializers.IntegerField(),
                                                                  "results": TaskSerializer(many=True)})})
    def list(self, request, *args, **kwargs):
        w = selectors.worklist(request.user)
        rows = w["overdue"] if request.query_params.get("overdue") in ("1", "true") else w["overdue"] + w["due"]
        audit_rows(request.user, Task, rows)  # not paginated: the list hook called directly
        return Response({"count": len(rows), "results": TaskSerializer(rows, many=True).data})


class IndicatorViewSet(viewsets.GenericViewSet):
    """SMD indicators of an org unit for a year (``GET /api/v1/smd/indicators/{org unit id}/?year=``)."""

    queryset = OrgUnit.objects.none()
    scope_model = OrgUnit
    scope_field = "path"

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses={200: dict})
    def retrieve(self, request, pk=None):
        unit = OrgUnit.objects.filter(pk=path_id(pk)).first()
        if unit is None or not (path_in_scope(request.user, INDICATORS_VIEW, unit.path) or path_in_scope(request.user, SMD_VIEW, unit.path)):
            raise OrgUnit.DoesNotExist
        this_year = timezone.localdate().year
        year = query_year(request.query_params, default=this_year, high=this_year)
        user = request.user
        parent = unit.parent if unit.parent_id else None
        if path_in_scope(user, SMD_VIEW, unit.path) or parent is None or not (
                path_in_scope(user, INDICATORS_VIEW, parent.path) or path_in_scope(user, SMD_VIEW, parent.path)):
            k = indicators.compute([unit], year)[0]
            counts, rates, suppressed = k.for_reader(user)
        else:  # the unit is one of its parent's units below (a table with the parent's total): the same mask as the page
            family = [parent, *OrgUnit.objects.filter(parent=parent, valid_to__isnull=True).exclude(pk=unit.pk), unit]
            rows = indicators.compute(family, year)
            mask, _limits = indicators.protect(rows)
            k = rows[-1]
            counts, rates, suppressed = k.for_reader(user, mask[unit.pk])
        return Response({"org_unit": unit.pk, "year": year, "counts": counts, "rates": rates,
                         "suppressed": suppressed, "small_cell_threshold": small_cell_threshold(unit)})
