"""Counselling over /api/v1/counselling/: cases (notes only for those who may read them), sessions, plans, referrals."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xinli.archives import selectors as person_selectors
from xinli.archives.models import Person
from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id
from xinli.core.policy import ARCHIVES_EDIT, COUNSELLING_WORK
from xinli.core.scoping import scope_q

from . import selectors, services
from .models import Case, Plan, Referral


def _person(user, pk, purpose):
    try:
        return person_selectors.get_person(user, pk, purpose=purpose)
    except Person.DoesNotExist:
        raise field_error("person", _("Person: not found in your area; check the person id.")) from None


class CaseSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "person", "person_name", "counsellor", "supervisor", "state", "opened_at", "closed_at"]


class CaseInputSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"))
    reason = serializers.CharField(label=_("reason for counselling"), max_length=2000)


class SessionInputSerializer(StrictSerializerMixin, serializers.Serializer):
    date = serializers.DateField(label=_("date"))
    minutes = serializers.IntegerField(label=_("minutes"))
    notes = serializers.CharField(label=_("confidential notes"), max_length=10000, required=False, allow_blank=True)
    signs_of_disorder = serializers.BooleanField(label=_("signs of a mental disorder"), required=False, default=False)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Counselling cases of the area. ``GET {id}/`` includes the sessions; their notes are null unless the caller is
    the counsellor, the supervisor or holds a break-the-glass grant. ``POST {id}/sessions/`` adds a session (the
    counsellor); the answer says whether to refer."""

    queryset = Case.objects.none()
    scope_model = Case
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": CaseInputSerializer, "sessions": SessionInputSerializer}.get(self.action, CaseSerializer)

    def get_queryset(self):
        return selectors.visible_cases(self.request.user).order_by("-opened_at")

    def retrieve(self, request, *args, **kwargs):
        case, sessions = selectors.get_case(request.user, path_id(kwargs["pk"]))
        body = CaseSerializer(case).data
        body["sessions"] = [{"id": s.id, "date": s.date, "minutes": s.minutes, "notes": s.notes, "signs_of_disorder": s.signs_of_disorder}
                            for s in sessions]
        return Response(body)

    @extend_schema(request=CaseInputSerializer, responses={201: CaseSerializer})
    def create(self, request, *args, **kwargs):
        s = CaseInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        person = _person(request.user, s.validated_data["person"], "counselling")
        return Response(CaseSerializer(services.open_case(request.user, person, reason=s.validated_data["reason"])).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=SessionInputSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def sessions(self, request, pk=None):
        case = self.get_queryset().filter(pk=path_id(pk)).first()
        if case is None:
            raise Case.DoesNotExist
        s = SessionInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        session, prompt = services.add_session(request.user, case, **s.validated_data)
        return Response({"id": session.pk, "refer": prompt}, status=status.HTTP_201_CREATED)


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "person", "goals", "interventions", "partners", "worker", "review_on", "state", "created_at"]


class PlanInputSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"))
    goals = serializers.CharField(label=_("goals"), max_length=2000)
    interventions = serializers.CharField(label=_("interventions"), max_length=2000)
    partners = serializers.ListField(label=_("partners"), child=serializers.CharField(max_length=12), required=False, max_length=3)
    review_on = serializers.DateField(label=_("review on"))


class PlanViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Personalised plans for special-population residents of the area."""

    queryset = Plan.objects.none()
    scope_model = Plan
    scope_field = "org_path"

    def get_serializer_class(self):
        return PlanInputSerializer if self.action == "create" else PlanSerializer

    def get_queryset(self):
        user = self.request.user
        return Plan.objects.filter(scope_q(user, COUNSELLING_WORK) | scope_q(user, ARCHIVES_EDIT)).order_by("review_on", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().select_related("person"))
        return self.get_paginated_response(PlanSerializer(page, many=True).data)

    @extend_schema(request=PlanInputSerializer, responses={201: PlanSerializer})
    def create(self, request, *args, **kwargs):
        s = PlanInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        person = _person(request.user, v.pop("person"), "personalised plan")
        return Response(PlanSerializer(services.create_plan(request.user, person, **v)).data, status=status.HTTP_201_CREATED)


class ReferralSerializer(serializers.ModelSerializer):
    turnaround_hours = serializers.FloatField(read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "person", "to_institution", "back", "reason", "urgency", "state", "sent_at", "received_at", "reply",
                  "replied_at", "turnaround_hours"]


class ReferralInputSerializer(StrictSerializerMixin, serializers.Serializer):
    person = serializers.IntegerField(label=_("person"))
    institution = serializers.IntegerField(label=_("institution"))
    reason = serializers.CharField(label=_("reason"), max_length=2000)
    urgency = serializers.ChoiceField(label=_("urgency"), choices=Referral.Urgency.choices, required=False, default="routine")
    documents = serializers.CharField(label=_("documents"), max_length=5000, required=False, allow_blank=True)
    back = serializers.BooleanField(label=_("back-referral (green channel)"), required=False, default=False)


class ReplySerializer(StrictSerializerMixin, serializers.Serializer):
    reply = serializers.CharField(label=_("reply"), max_length=5000)


class ReferralViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Referrals sent from, or received in, the caller's area; ``POST {id}/receive/`` and ``{id}/reply/`` for the
    receiving side."""

    queryset = Referral.objects.none()
    scope_model = Referral
    scope_field = "org_path"

    def get_serializer_class(self):
        return {"create": ReferralInputSerializer, "reply": ReplySerializer}.get(self.action, ReferralSerializer)

    def get_queryset(self):
        return selectors.visible_referrals(self.request.user).order_by("-sent_at")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReferralSerializer(page, many=True).data)

    @extend_schema(request=ReferralInputSerializer, responses={201: ReferralSerializer})
    def create(self, request, *args, **kwargs):
        from xinli.network.models import Institution

        s = ReferralInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = dict(s.validated_data)
        person = _person(request.user, v.pop("person"), "referral")
        inst = Institution.objects.filter(pk=v.pop("institution")).first()
        if inst is None:
            raise field_error("institution", _("Institution: choose the hospital."))
        return Response(ReferralSerializer(services.refer(request.user, person, institution=inst, **v)).data, status=status.HTTP_201_CREATED)

    def _mine(self, pk) -> Referral:
        ref = self.get_queryset().filter(pk=path_id(pk)).first()
        if ref is None:
            raise Referral.DoesNotExist
        return ref

    @extend_schema(request=None, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        return Response(ReferralSerializer(services.receive(request.user, self._mine(pk))).data)

    @extend_schema(request=ReplySerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        ref = self._mine(pk)
        s = ReplySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(ReferralSerializer(services.reply(request.user, ref, text=s.validated_data["reply"])).data)
