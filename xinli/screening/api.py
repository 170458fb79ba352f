from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from xinli.archives import selectors as person_selectors
from xinli.archives.models import Person
from xinli.core import ratelimit
from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id, query_id
from xinli.core.openapi import ApiErrorSerializer

from . import fhir, selectors, services
from .models import Assessment, Mode, Participant


class AssessmentInputSerializer(StrictSerializerMixin, serializers.Serializer):
    scale = serializers.CharField(label=_("instrument"), max_length=32)
    person = serializers.IntegerField(label=_("person"), required=False, allow_null=True)
    answers = serializers.JSONField(label=_("answers"))
    mode = serializers.ChoiceField(label=_("mode"), choices=[Mode.SELF, Mode.STAFF], required=False)
    sex = serializers.ChoiceField(label=_("sex"), choices=["male", "female"], required=False)
    idempotency_key = serializers.CharField(label=_("idempotency key"), max_length=64, required=False)


class AssessmentSerializer(serializers.ModelSerializer):
    band_label = serializers.SerializerMethodField()
    critical_items = serializers.ListField(read_only=True)
    answers = serializers.DictField(read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "scale", "scale_version", "mode", "person", "total", "raw_total", "band", "band_label",
                  "severity", "subscales", "critical_items", "flags", "prorated", "answers", "taken_at"]

    def get_band_label(self, obj) -> dict:
        return {"zh-hans": services.band_label(obj, "zh-hans"), "en": services.band_label(obj, "en")}


class FhirImportSerializer(StrictSerializerMixin, serializers.Serializer):
    resource = serializers.JSONField(label=_("FHIR QuestionnaireResponse"))
    person = serializers.IntegerField(label=_("person"), required=False, allow_null=True)
    idempotency_key = serializers.CharField(label=_("idempotency key"), max_length=64, required=False)


def idempotency_key(request, validated: dict) -> str | None:
    """The client's idempotency key: the ``idempotency_key`` body field, else the ``Idempotency-Key`` header (the
    usual HTTP convention; at most 64 characters). A retry with the same key never creates a second record."""
    key = validated.get("idempotency_key") or request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > 64:
        raise field_error("Idempotency-Key", _("Idempotency-Key header: at most 64 characters; send a shorter key, e.g. a UUID."))
    return key


def _person_or_error(user, pk):
    if pk is None:
        return None
    try:
        return person_selectors.get_person(user, pk, purpose="screening")
    except Person.DoesNotExist:
        raise field_error("person", _("Person: not found in your area; check the person id.")) from None


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Administer an instrument and read results. A retry with the same ``idempotency_key`` returns the first
    record instead of creating a second one."""

    queryset = Assessment.objects.none()
    scope_model = Assessment
    scope_field = "org_path"
    unscoped_actions = {"questionnaire"}  # instrument definitions: no person data

    def get_serializer_class(self):
        if self.action == "fhir_import":
            return FhirImportSerializer
        return AssessmentInputSerializer if self.action == "create" else AssessmentSerializer

    def get_queryset(self):
        qs = selectors.visible_assessments(self.request.user)
        person = query_id(self.request.query_params, "person")
        if person is not None:
            qs = qs.filter(person_id=person)
        return qs

    def retrieve(self, request, *args, **kwargs):
        return Response(AssessmentSerializer(selectors.get_assessment(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(responses={201: AssessmentSerializer, 200: AssessmentSerializer})
    def create(self, request, *args, **kwargs):
        s = AssessmentInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        person = _person_or_error(request.user, v.get("person"))
        mode = v.get("mode") or (Mode.STAFF if person else Mode.SELF)
        assessment, created = services.administer(request.user, scale=v["scale"], answers=v["answers"], person=person,
                                                  mode=mode, sex=v.get("sex"), idempotency_key=idempotency_key(request, v))
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def fhir(self, request, pk=None):
        """FHIR R4 Bundle: the QuestionnaireResponse and the Observation of the total."""
        return Response(selectors.fhir_export(request.user, path_id(pk)))

    @extend_schema(request=FhirImportSerializer, responses={201: AssessmentSerializer})
    @action(detail=False, methods=["post"], url_path="fhir-import")
    def fhir_import(self, request):
        """Import a FHIR QuestionnaireResponse; a stated total that disagrees with its items is rejected."""
        s = FhirImportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        person = _person_or_error(request.user, v.get("person"))
        assessment, created = services.import_fhir_response(request.user, v["resource"], person=person,
                                                            idempotency_key=idempotency_key(request, v))
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def questionnaire(self, request):
        """The FHIR R4 Questionnaire of an instrument: ``?scale=phq9``."""
        from xinli.scales import definitions

        code = request.query_params.get("scale", "")
        if code not in definitions.registry():
            raise field_error("scale", _("Instrument: unknown code; see GET /api/v1/assessments/questionnaire/?scale=phq9."))
        return Response(fhir.questionnaire(code))


class SubmissionSerializer(StrictSerializerMixin, serializers.Serializer):
    code = serializers.CharField(label=_("participant code"), max_length=20)
    responses = serializers.DictField(label=_("answers by instrument"), child=serializers.JSONField())
    idempotency_key = serializers.CharField(label=_("idempotency key"), max_length=64, required=False)


class CampaignSubmissionView(viewsets.ViewSet):
    """A campaign participant submits every instrument of the campaign with their one-time code (no account)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    scope_model = Participant
    scope_field = "org_path"

    @extend_schema(request=SubmissionSerializer,
                   responses={201: dict, 200: dict,
                              429: OpenApiResponse(ApiErrorSerializer, description="Too many wrong codes from this address.")})
    def create(self, request):
        from . import campaigns

        s = SubmissionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        retry_after = ratelimit.exhausted("code", request)  # wrong codes are counted per address, as on the pages
        if retry_after:
            return ratelimit.too_many(request, retry_after, api=True)
        try:
            stored, created = campaigns.submit(s.validated_data["code"], s.validated_data["responses"],
                                               idempotency_key=idempotency_key(request, s.validated_data))
        except ValidationError as exc:
            if "code" in getattr(exc, "error_dict", {}):
                ratelimit.check("code", request)
            raise
        # The participant sees no score here: follow-up is the counsellor's job. Urgent answers get the hotline.
        urgent = any(a.critical or a.severity >= 3 for a in stored)
        return Response({"saved": len(stored), "urgent": urgent, "hotline": "12356" if urgent else None},
                        status=201 if created else 200)
