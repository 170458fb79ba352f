"""Alerts and the user's notifications over /api/v1/. Serializers parse; services write; selectors scope."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xinli.archives import selectors as person_selectors
from xinli.archives.models import Person
from xinli.core import audit
from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id, query_id
from xinli.regions.models import OrgUnit

from . import crisis, selectors, services, teams, texts
from .models import (
    AffectedPerson,
    Alert,
    CrisisAction,
    CrisisCase,
    CrisisEvent,
    CrisisTeam,
    CrisisTeamMember,
    FollowUp,
    Level,
    Notification,
    OnCallShift,
    Outcome,
    Profession,
    Source,
    State,
)


class AlertSerializer(serializers.ModelSerializer):
    person_name = serializers.SerializerMethodField()
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    summary = serializers.SerializerMethodField(help_text="the summary in the request's language")
    summary_i18n = serializers.SerializerMethodField(help_text="the summary in Chinese and in English")

    class Meta:
        model = Alert
        fields = ["id", "level", "source", "cause", "summary", "summary_i18n", "person", "person_name", "assessment", "campaign",
                  "org_unit", "org_unit_name", "owner_unit", "owner_unit_name", "state", "created_at", "ack_due_at",
                  "contact_due_at", "overdue", "escalations", "merged", "acknowledged_at", "intervention_at",
                  "closed_at", "outcome"]

    def get_person_name(self, obj) -> str | None:
        return obj.person.name if obj.person_id else None

    def get_summary(self, obj) -> str:
        return obj.summary_text()

    def get_summary_i18n(self, obj) -> dict[str, str]:
        return {"zh-hans": obj.summary_text("zh-hans"), "en": obj.summary_text("en")}


class ReportSerializer(StrictSerializerMixin, serializers.Serializer):
    level = serializers.ChoiceField(label=_("level"), choices=Level.choices, required=False, default=Level.ORANGE)
    summary = serializers.CharField(label=_("summary"), max_length=1000)
    person = serializers.IntegerField(label=_("person"), required=False, allow_null=True)
    org_unit = serializers.IntegerField(label=_("org unit"), required=False, allow_null=True)
    emergency = serializers.BooleanField(label=_("emergency"), required=False, default=False)


class CloseSerializer(StrictSerializerMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    note = serializers.CharField(label=_("note"), max_length=2000, required=False, allow_blank=True)


class EmptySerializer(StrictSerializerMixin, serializers.Serializer):
    pass


@extend_schema(parameters=[
    OpenApiParameter("level", str, enum=Level.values), OpenApiParameter("state", str, enum=State.values),
    OpenApiParameter("source", str, enum=Source.values), OpenApiParameter("overdue", bool),
    OpenApiParameter("open", bool, description="exclude closed alerts"), OpenApiParameter("person", int),
])
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Risk alerts in the user's area, most pressing deadline first. Acting on an alert needs ``alerts.work`` over
    the resident's place in the tree; reporting one needs ``alerts.report``."""

    queryset = Alert.objects.none()
    serializer_class = AlertSerializer
    scope_model = Alert
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": ReportSerializer, "close": CloseSerializer,
                "acknowledge": EmptySerializer, "start": EmptySerializer}.get(self.action, AlertSerializer)

    def get_queryset(self):
        p = self.request.query_params
        qs = selectors.filter_alerts(selectors.visible_alerts(self.request.user), level=p.get("level", ""),
                                     state=p.get("state", ""), source=p.get("source", ""),
                                     overdue=p.get("overdue") in ("1", "true"), open_only=p.get("open") in ("1", "true"))
        person_id = query_id(p, "person")
        if person_id is not None:
            qs = qs.filter(person_id=person_id)
        return qs

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().order_by("ack_due_at", "pk"))
        return self.get_paginated_response(AlertSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(AlertSerializer(selectors.get_alert(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(request=ReportSerializer, responses={201: AlertSerializer})
    def create(self, request, *args, **kwargs):
        s = ReportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        person = unit = None
        if v.get("person") is not None:
            try:
                person = person_selectors.get_person(request.user, v["person"], purpose="alert report")
            except Person.DoesNotExist:
                raise field_error("person", _("Person: not found in your area; check the person id.")) from None
        elif v.get("org_unit") is not None:
            unit = OrgUnit.objects.filter(pk=v["org_unit"]).first()
            if unit is None:
                raise field_error("org_unit", _("Org unit: not found; check the org unit id."))
        alert = services.report(request.user, level=v["level"], summary=v["summary"], person=person, org_unit=unit,
                                emergency=v["emergency"])
        return Response(AlertSerializer(alert).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Take the alert: stops the escalation clock."""
        return Response(AlertSerializer(services.acknowledge(request.user, path_id(pk))).data)

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Record that the intervention has begun (after acknowledging)."""
        return Response(AlertSerializer(services.start_intervention(request.user, path_id(pk))).data)

    @extend_schema(request=CloseSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close with an outcome (required) and an optional confidential note."""
        if not selectors.workable_alerts(request.user).filter(pk=path_id(pk)).exists():
            raise Alert.DoesNotExist  # out of scope answers 404 before the body is looked at
        s = CloseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        alert = services.close(request.user, path_id(pk), outcome=s.validated_data["outcome"],
                               note=s.validated_data.get("note", ""))
        return Response(AlertSerializer(alert).data)


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "alert", "created_at", "read_at"]

    def get_text(self, obj) -> str:
        return texts.render(obj.kind, obj.params)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own inbox (``?unread=1`` for unread only); nobody else's is reachable."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    scope_model = Notification
    scope_field = "recipient_id"

    def get_queryset(self):
        qs = selectors.inbox(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        return Response(NotificationSerializer(services.mark_read(request.user, path_id(pk))).data)


# --- crisis intervention -------------------------------------------------------------------------------------------

class CrisisActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CrisisAction
        fields = ["id", "kind", "at", "actor", "note"]


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "case", "affected", "due", "done_at", "done_by", "note"]


class CrisisCaseSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    actions = CrisisActionSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = CrisisCase
        fields = ["id", "person", "person_name", "alert", "state", "opened_at", "assessment", "safety_plan",
                  "high_risk", "closed_at", "closing_summary", "actions", "follow_ups"]


@extend_schema_serializer(component_name="CrisisCaseInput")
class CaseInputSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"))
    assessment = serializers.CharField(label=_("risk assessment"), max_length=5000)
    safety_plan = serializers.CharField(label=_("safety plan"), max_length=5000, required=False, allow_blank=True)
    alert = serializers.IntegerField(label=_("alert"), required=False, allow_null=True)


class ActionInputSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(label=_("kind"), choices=CrisisAction.Kind.choices)
    note = serializers.CharField(label=_("note"), max_length=5000, required=False, allow_blank=True)


class CaseCloseSerializer(StrictSerializerMixin, serializers.Serializer):
    summary = serializers.CharField(label=_("closing summary"), max_length=5000)
    high_risk = serializers.BooleanField(label=_("high risk"))


class NoteSerializer(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(label=_("note"), max_length=2000, required=False, allow_blank=True)


def _scoped(qs, pk):
    obj = qs.filter(pk=path_id(pk)).first()
    if obj is None:
        raise Alert.DoesNotExist
    return obj


class CrisisCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Crisis cases of persons in the crisis team's area: assessment, safety plan, actions, closing, follow-ups."""

    queryset = CrisisCase.objects.none()
    serializer_class = CrisisCaseSerializer
    scope_model = CrisisCase
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": CaseInputSerializer, "actions": ActionInputSerializer, "close": CaseCloseSerializer}.get(self.action, CrisisCaseSerializer)

    def get_queryset(self):
        return selectors.visible_cases(self.request.user).prefetch_related("actions", "follow_ups")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().order_by("-opened_at", "-pk"))
        return self.get_paginated_response(CrisisCaseSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(CrisisCaseSerializer(selectors.get_case(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(request=CaseInputSerializer, responses={201: CrisisCaseSerializer})
    def create(self, request, *args, **kwargs):
        s = CaseInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        try:
            person = person_selectors.get_person(request.user, v["person"], purpose="crisis intervention")
        except Person.DoesNotExist:
            raise field_error("person", _("Person: not found in your area; check the person id.")) from None
        alert = None
        if v.get("alert") is not None:
            alert = selectors.workable_alerts(request.user).filter(pk=v["alert"]).first()
            if alert is None:
                raise field_error("alert", _("Alert: not found in your area; check the alert id."))
        case = crisis.open_case(request.user, person, assessment=v["assessment"], safety_plan=v.get("safety_plan", ""), alert=alert)
        return Response(CrisisCaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionInputSerializer, responses={201: CrisisActionSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        case = _scoped(selectors.visible_cases(request.user), pk)
        s = ActionInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        act = crisis.add_action(request.user, case, kind=s.validated_data["kind"], note=s.validated_data.get("note", ""))
        return Response(CrisisActionSerializer(act).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseCloseSerializer, responses={200: CrisisCaseSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        case = _scoped(selectors.visible_cases(request.user), pk)
        s = CaseCloseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        case = crisis.close_case(request.user, case, summary=s.validated_data["summary"], high_risk=s.validated_data["high_risk"])
        return Response(CrisisCaseSerializer(case).data)


class AffectedSerializer(serializers.ModelSerializer):
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = AffectedPerson
        fields = ["id", "person", "label", "risk", "assigned_to", "follow_ups"]


class CrisisEventSerializer(serializers.ModelSerializer):
    affected = AffectedSerializer(many=True, read_only=True)

    class Meta:
        model = CrisisEvent
        fields = ["id", "name", "kind", "org_unit", "occurred_at", "description", "state", "team", "affected"]


class EventInputSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=100)
    kind = serializers.ChoiceField(label=_("kind"), choices=CrisisEvent.Kind.choices)
    org_unit = serializers.IntegerField(label=_("org unit"))
    occurred_at = serializers.DateTimeField(label=_("occurred"))
    description = serializers.CharField(label=_("description"), max_length=5000, required=False, allow_blank=True)


class AffectedInputSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"), required=False, allow_null=True)
    label = serializers.CharField(label=_("name or description"), max_length=100, required=False, allow_blank=True)
    risk = serializers.ChoiceField(label=_("risk level"), choices=["low", "medium", "high"], required=False, default="low")


class EventStateSerializer(StrictSerializerMixin, serializers.Serializer):
    state = serializers.ChoiceField(label=_("state"), choices=CrisisEvent.State.choices)


class CrisisEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Group crises (disasters, incidents): affected people and their follow-up schedule during recovery."""

    queryset = CrisisEvent.objects.none()
    serializer_class = CrisisEventSerializer
    scope_model = CrisisEvent
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": EventInputSerializer, "affected": AffectedInputSerializer, "state": EventStateSerializer}.get(self.action, CrisisEventSerializer)

    def get_queryset(self):
        return selectors.visible_events(self.request.user).prefetch_related("affected__person", "affected__follow_ups", "team")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().order_by("-occurred_at", "-pk"))
        return self.get_paginated_response(CrisisEventSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        event = _scoped(self.get_queryset(), kwargs["pk"])
        selectors.record_event_reads(request.user, [event], action=audit.Action.READ)
        return Response(CrisisEventSerializer(event).data)

    @extend_schema(request=EventInputSerializer, responses={201: CrisisEventSerializer})
    def create(self, request, *args, **kwargs):
        s = EventInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        unit = OrgUnit.objects.filter(pk=v["org_unit"]).first()
        if unit is None:
            raise field_error("org_unit", _("Org unit: not found; check the org unit id."))
        event = crisis.create_event(request.user, name=v["name"], kind=v["kind"], org_unit=unit,
                                    occurred_at=v["occurred_at"], description=v.get("description", ""))
        return Response(CrisisEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AffectedInputSerializer, responses={201: AffectedSerializer})
    @action(detail=True, methods=["post"])
    def affected(self, request, pk=None):
        event = _scoped(selectors.visible_events(request.user), pk)
        s = AffectedInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        person = None
        if v.get("person") is not None:
            try:
                person = person_selectors.get_person(request.user, v["person"], purpose="group crisis")
            except Person.DoesNotExist:
                raise field_error("person", _("Person: not found in your area; check the person id.")) from None
        affected = crisis.add_affected(request.user, event, person=person, label=v.get("label", ""), risk=v["risk"])
        return Response(AffectedSerializer(affected).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EventStateSerializer, responses={200: CrisisEventSerializer})
    @action(detail=True, methods=["post"])
    def state(self, request, pk=None):
        event = _scoped(selectors.visible_events(request.user), pk)
        s = EventStateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(CrisisEventSerializer(crisis.set_event_state(request.user, event, s.validated_data["state"])).data)


@extend_schema(parameters=[OpenApiParameter("due", bool, description="only those due today or earlier and not done")])
class FollowUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Follow-ups of closed high-risk crisis cases and of people affected by group crises."""

    queryset = FollowUp.objects.none()
    serializer_class = FollowUpSerializer
    scope_model = FollowUp
    scope_field = "org_path"

    def get_serializer_class(self):
        return NoteSerializer if self.action == "done" else FollowUpSerializer

    def get_queryset(self):
        return selectors.visible_follow_ups(self.request.user, due_only=self.request.query_params.get("due") in ("1", "true"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().order_by("due", "pk"))
        return self.get_paginated_response(FollowUpSerializer(page, many=True).data)

    @extend_schema(request=NoteSerializer, responses={200: FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        follow_up = _scoped(selectors.visible_follow_ups(request.user), pk)
        s = NoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(FollowUpSerializer(crisis.complete_follow_up(request.user, follow_up, s.validated_data.get("note", ""))).data)


# --- the crisis team register (teams.py; indicator T08) --------------------------------------------------------------

def _readiness(team, day) -> dict:
    """A team's T08 readiness on ``day``: members against the minimum, the leader, the shifts covering the day, and
    the reasons it does not count — in the request's language (``reasons``) and in both (``reasons_i18n``)."""
    from django.utils.translation import override

    from .indicators import team_status

    status_ = team_status(team, day)
    reasons = {}
    for lang in ("zh-hans", "en"):
        with override(lang):
            reasons[lang] = status_.reasons
    return {"date": day.isoformat(), "members": len(status_.members), "minimum": status_.minimum,
            "leader": status_.leader.pk if status_.leader else None, "on_call": [s.pk for s in status_.on_call],
            "ready": status_.ready, "reasons": status_.reasons, "reasons_i18n": reasons}


class CrisisTeamMemberSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True, help_text="the platform user's name, or the outside person's")
    profession_label = serializers.CharField(source="get_profession_display", read_only=True)

    class Meta:
        model = CrisisTeamMember
        fields = ["id", "user", "display_name", "name", "phone", "profession", "profession_label", "leader", "since", "until"]


class OnCallShiftSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnCallShift
        fields = ["id", "member", "start", "end"]


class CrisisTeamSerializer(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    readiness = serializers.SerializerMethodField(help_text="T08 readiness today")

    class Meta:
        model = CrisisTeam
        fields = ["id", "org_unit", "org_unit_name", "name", "active", "readiness"]

    def get_readiness(self, obj) -> dict:
        from django.utils import timezone

        return _readiness(obj, timezone.localdate())


class CrisisTeamDetailSerializer(CrisisTeamSerializer):
    members = serializers.SerializerMethodField(help_text="current members")
    shifts = serializers.SerializerMethodField(help_text="shifts from yesterday to 30 days ahead")

    class Meta(CrisisTeamSerializer.Meta):
        fields = [*CrisisTeamSerializer.Meta.fields, "members", "shifts"]

    def get_members(self, obj) -> list[dict]:
        return CrisisTeamMemberSerializer(selectors.current_members(obj), many=True).data

    def get_shifts(self, obj) -> list[dict]:
        import datetime

        from django.utils import timezone

        now = timezone.now()
        return OnCallShiftSerializer(selectors.rota(obj, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)), many=True).data


class CrisisTeamInputSerializer(StrictSerializerMixin, serializers.Serializer):
    org_unit = serializers.IntegerField(label=_("org unit"))
    name = serializers.CharField(label=_("team name"), max_length=100)


class CrisisTeamUpdateSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("team name"), max_length=100, required=False)
    active = serializers.BooleanField(label=_("in service"), required=False)


class CrisisMemberInputSerializer(StrictSerializerMixin, serializers.Serializer):
    user = serializers.IntegerField(label=_("platform user"), required=False, allow_null=True)
    name = serializers.CharField(label=_("name"), max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(label=_("phone"), max_length=20, required=False, allow_blank=True)
    profession = serializers.ChoiceField(label=_("profession"), choices=Profession.choices)
    leader = serializers.BooleanField(label=_("team leader"), required=False, default=False)
    since = serializers.DateField(label=_("member since"), required=False, allow_null=True)


class CrisisMemberRefSerializer(StrictSerializerMixin, serializers.Serializer):
    member = serializers.IntegerField(label=_("member"))


class OnCallShiftInputSerializer(StrictSerializerMixin, serializers.Serializer):
    member = serializers.IntegerField(label=_("member"))
    start = serializers.DateTimeField(label=_("start"))
    end = serializers.DateTimeField(label=_("end"))


class OnCallShiftRefSerializer(StrictSerializerMixin, serializers.Serializer):
    shift = serializers.IntegerField(label=_("shift"))


@extend_schema(parameters=[OpenApiParameter("active", bool, description="only teams in service")])
class CrisisTeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Registered crisis intervention teams (indicator T08): the health officers over a team's unit
    (``network.manage``) register and change it — members (a platform user, or an outside person with name and
    phone), the leader, the on-call rota; its current members read it. Each team carries its T08 readiness today."""

    queryset = CrisisTeam.objects.none()
    serializer_class = CrisisTeamSerializer
    scope_model = CrisisTeam
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": CrisisTeamInputSerializer, "partial_update": CrisisTeamUpdateSerializer, "members": CrisisMemberInputSerializer,
                "remove_member": CrisisMemberRefSerializer, "leader": CrisisMemberRefSerializer, "shifts": OnCallShiftInputSerializer,
                "remove_shift": OnCallShiftRefSerializer, "retrieve": CrisisTeamDetailSerializer}.get(self.action, CrisisTeamSerializer)

    def get_queryset(self):
        qs = selectors.visible_teams(self.request.user)
        if self.request.query_params.get("active") in ("1", "true"):
            qs = qs.filter(active=True)
        return qs

    def _team(self, pk):
        return _scoped(selectors.visible_teams(self.request.user), pk)

    def _detail(self, team):
        team.refresh_from_db()
        return CrisisTeamDetailSerializer(team).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().order_by("org_path", "name", "pk"))
        return self.get_paginated_response(CrisisTeamSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(CrisisTeamDetailSerializer(selectors.get_team(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(request=CrisisTeamInputSerializer, responses={201: CrisisTeamDetailSerializer})
    def create(self, request, *args, **kwargs):
        s = CrisisTeamInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        unit = OrgUnit.objects.filter(pk=s.validated_data["org_unit"]).first()
        if unit is None or not teams.may_manage(request.user, unit):
            raise field_error("org_unit", _("Org unit: not found in your area; check the org unit id."))
        team = teams.create_team(request.user, org_unit=unit, name=s.validated_data["name"])
        return Response(self._detail(team), status=status.HTTP_201_CREATED)

    @extend_schema(request=CrisisTeamUpdateSerializer, responses={200: CrisisTeamDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Rename the team, or take it out of service (``active: false``: it no longer counts for T08) and back."""
        team = self._team(kwargs["pk"])
        s = CrisisTeamUpdateSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        team = teams.update_team(request.user, team, name=s.validated_data.get("name"), active=s.validated_data.get("active"))
        return Response(self._detail(team))

    @extend_schema(request=CrisisMemberInputSerializer, responses={201: CrisisTeamMemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """Add a member: ``user`` (a platform user with a role at or below the team's unit), or an outside person's
        ``name`` and ``phone``; ``profession``; ``leader`` makes the member the leader; ``since`` (default today)."""
        from xinli.accounts.models import User

        team = self._team(pk)
        s = CrisisMemberInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        user = None
        if v.get("user") is not None:
            user = User.objects.filter(pk=v["user"]).first()
            if user is None:
                raise field_error("user", _("Platform user: not an active user with a role at or below the team's unit; choose from the list."))
        member = teams.add_member(request.user, team, user=user, name=v.get("name", ""), phone=v.get("phone", ""),
                                  profession=v["profession"], leader=v["leader"], since=v.get("since"))
        return Response(CrisisTeamMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CrisisMemberRefSerializer, responses={200: CrisisTeamDetailSerializer})
    @action(detail=True, methods=["post"], url_path="remove-member")
    def remove_member(self, request, pk=None):
        """End a membership today; the member's shifts not yet begun are removed."""
        team = self._team(pk)
        s = CrisisMemberRefSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        teams.remove_member(request.user, team, s.validated_data["member"])
        return Response(self._detail(team))

    @extend_schema(request=CrisisMemberRefSerializer, responses={200: CrisisTeamDetailSerializer})
    @action(detail=True, methods=["post"])
    def leader(self, request, pk=None):
        """Make a current member the leader."""
        team = self._team(pk)
        s = CrisisMemberRefSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        teams.set_leader(request.user, team, s.validated_data["member"])
        return Response(self._detail(team))

    @extend_schema(request=OnCallShiftInputSerializer, responses={201: OnCallShiftSerializer})
    @action(detail=True, methods=["post"])
    def shifts(self, request, pk=None):
        """Put a current member on call from ``start`` to ``end`` (ISO 8601; the end after the start, at most 7 days,
        not overlapping another shift of the member)."""
        team = self._team(pk)
        s = OnCallShiftInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        shift = teams.add_shift(request.user, team, member=v["member"], start=v["start"], end=v["end"])
        return Response(OnCallShiftSerializer(shift).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OnCallShiftRefSerializer, responses={200: CrisisTeamDetailSerializer})
    @action(detail=True, methods=["post"], url_path="remove-shift")
    def remove_shift(self, request, pk=None):
        team = self._team(pk)
        s = OnCallShiftRefSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        teams.remove_shift(request.user, team, s.validated_data["shift"])
        return Response(self._detail(team))

    @extend_schema(parameters=[OpenApiParameter("date", datetime.date, description="the day (default today)")],
                   responses={200: dict})
    @action(detail=True, methods=["get"])
    def readiness(self, request, pk=None):
        """The team's T08 readiness on ``date``: members against the minimum, leader, shifts covering the day, reasons."""
        from django.utils import timezone

        team = self._team(pk)
        text = request.query_params.get("date")
        day = timezone.localdate()
        if text not in (None, ""):
            try:
                day = datetime.date.fromisoformat(text)
            except ValueError:
                raise field_error("date", _("Date: a day as YYYY-MM-DD, e.g. 2026-03-01.")) from None
        return Response(_readiness(team, day))
