"""Archive API: persons, consents and duplicate ID-number requests. Serializers only parse; services validate and
write; selectors scope and audit reads."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xinli.core.api import StrictSerializerMixin
from xinli.core.i18n import field_error
from xinli.core.ids import path_id, query_id
from xinli.core.policy import ARCHIVES_EDIT, ARCHIVES_MERGE
from xinli.core.scoping import has_capability
from xinli.regions.models import OrgUnit

from . import duplicates, merge, selectors, services, transfers
from .models import (
    EDITABLE_STATUSES,
    Consent,
    ConsentGiver,
    ConsentPurpose,
    DuplicateRequest,
    LegalBasis,
    Person,
    PersonMerge,
    PossibleDuplicate,
    Sex,
    Tag,
    Transfer,
    TransferItem,
)


class ConsentInputSerializer(StrictSerializerMixin, serializers.Serializer):
    purpose = serializers.ChoiceField(label=_("purpose"), choices=ConsentPurpose.choices)
    legal_basis = serializers.ChoiceField(label=_("legal basis"), choices=LegalBasis.choices, required=False)
    given_by = serializers.ChoiceField(label=_("given by"), choices=ConsentGiver.choices, required=False)
    guardian_name = serializers.CharField(label=_("guardian name"), max_length=50, required=False, allow_blank=True)
    guardian_relation = serializers.CharField(label=_("guardian relation"), max_length=30, required=False, allow_blank=True)
    given_at = serializers.DateField(label=_("date given"), required=False)


class ConsentSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = ["id", "person", "purpose", "legal_basis", "given_by", "guardian_name", "guardian_relation",
                  "given_at", "withdrawn_at", "active", "recorded_at"]


class ConsentCreateSerializer(ConsentInputSerializer):
    person = serializers.IntegerField(label=_("person"))


class PersonWriteSerializer(StrictSerializerMixin, serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=50)
    id_number = serializers.CharField(label=_("resident ID number"), max_length=25, required=False, allow_blank=True, allow_null=True)
    sex = serializers.ChoiceField(label=_("sex"), choices=Sex.choices, required=False)
    birth_date = serializers.DateField(label=_("birth date"), required=False, allow_null=True)
    phone = serializers.CharField(label=_("phone"), max_length=20, required=False, allow_blank=True, allow_null=True)
    address = serializers.CharField(label=_("address"), max_length=200, required=False, allow_blank=True, allow_null=True)
    org_unit = serializers.IntegerField(label=_("residence org unit"))
    status = serializers.ChoiceField(label=_("status"), choices=EDITABLE_STATUSES, required=False)
    tags = serializers.ListField(label=_("population tags"), child=serializers.ChoiceField(choices=Tag.choices), required=False, max_length=30)
    consents = ConsentInputSerializer(label=_("consents"), many=True, required=False)
    version = serializers.IntegerField(label=_("version"), required=False, help_text=_("the version you read; a stale version is refused"))


class PersonListSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "id_number", "sex", "birth_year", "phone", "org_unit", "org_unit_name", "status"]


class PersonSerializer(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    tags = serializers.SerializerMethodField()
    consents = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "id_number", "sex", "birth_date", "phone", "address", "org_unit", "org_unit_name",
                  "status", "tags", "consents", "version", "created_at", "updated_at"]

    def get_tags(self, obj) -> list[str]:
        return [t.tag for t in selectors.person_tags(obj)]

    def get_consents(self, obj) -> list[dict]:
        return ConsentSerializer(selectors.person_consents(obj), many=True).data


class MergeCompareSerializer(serializers.Serializer):  # documentation of the comparison's shape
    a = serializers.IntegerField()
    b = serializers.IntegerField()
    fields = serializers.ListField(child=serializers.DictField())
    tags = serializers.DictField()
    consents = serializers.DictField()
    counts = serializers.ListField(child=serializers.DictField())


def compare_body(a, b) -> dict:
    data = selectors.compare_persons(a, b)
    return {
        "a": a.pk, "b": b.pk,
        "fields": [{"field": f["field"], "label": str(f["label"]), "a": f["a"], "b": f["b"], "differs": f["differs"]}
                   for f in data["fields"]],
        "tags": {str(pk): [{"tag": t["tag"], "label": str(t["label"]), "since": t["since"]} for t in rows]
                 for pk, rows in data["tags"].items()},
        "consents": {str(pk): ConsentSerializer(rows, many=True).data for pk, rows in data["consents"].items()},
        "counts": [{"kind": c["kind"], "label": str(c["label"]), "a": c["a"], "b": c["b"]} for c in data["counts"]],
    }


def _person_data(validated: dict) -> dict:
    data = {k: v for k, v in validated.items() if k not in ("tags", "consents", "version")}
    if "org_unit" in data:
        data["org_unit"] = services.lookup_unit(data["org_unit"])
    return data


@extend_schema(parameters=[
    OpenApiParameter("q", str, description="ID number, phone, pinyin initials, full pinyin or whole name"),
    OpenApiParameter("id_number", str, description="exact resident ID number"),
    OpenApiParameter("org_unit", int), OpenApiParameter("tag", str), OpenApiParameter("status", str),
    OpenApiParameter("purpose", str, description="purpose of this access, recorded in the audit log"),
])
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Residents in the user's area. Every person returned is recorded in the audit log."""

    queryset = Person.objects.none()
    scope_model = Person
    scope_field = "org_path"

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return PersonWriteSerializer
        return PersonListSerializer if self.action == "list" else PersonSerializer

    def _purpose(self) -> str:
        return (self.request.query_params.get("purpose") or self.request.headers.get("X-Purpose") or "")[:60]

    def audit_purpose(self) -> str:  # the purpose the pagination's list audit records (xinli.core.listing)
        return self._purpose()

    def get_queryset(self):
        params = self.request.query_params
        unit = None
        if params.get("org_unit"):
            unit = OrgUnit.objects.filter(pk=query_id(params, "org_unit")).first()
            if unit is None:
                return Person.objects.none()
        return selectors.search_persons(self.request.user, q=params.get("q", ""), id_number=params.get("id_number", ""),
                                        org_unit=unit, tag=params.get("tag", ""), status=params.get("status", ""))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PersonListSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        person = selectors.get_person(request.user, path_id(kwargs["pk"]), purpose=self._purpose())
        return Response(PersonSerializer(person).data)

    @extend_schema(responses={201: PersonSerializer})
    def create(self, request, *args, **kwargs):
        serializer = PersonWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        saved = services.register_person(request.user, _person_data(v), tags=v.get("tags", []), consents=v.get("consents", []))
        body = PersonSerializer(saved.person).data
        body["warnings"] = saved.warnings
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PersonSerializer})
    def update(self, request, *args, partial=False, **kwargs):
        person = selectors.get_person_for_edit(request.user, path_id(kwargs["pk"]))
        serializer = PersonWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        from django.db import transaction

        services.check_new_id_number(request.user, person, _person_data(v))  # outside: a duplicate request stays
        with transaction.atomic():
            saved = services.update_person(request.user, person, _person_data(v), expected_version=v.get("version"))
            if "tags" in v:
                services.set_tags(request.user, person, v["tags"])
        body = PersonSerializer(saved.person).data
        body["warnings"] = saved.warnings
        return Response(body)


    @extend_schema(parameters=[OpenApiParameter("with", int, required=True, description="the other record's id")],
                   responses={200: MergeCompareSerializer})
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        """Two records of the same resident side by side (issue 17): every field, active population tags, consents,
        and the number of linked rows of each kind a merge moves. For holders of ``archives.merge`` and
        ``archives.edit`` over both; both reads are audited (purpose "merge")."""
        other = query_id(request.query_params, "with")
        first = path_id(pk)
        if other is None:
            from xinli.core.i18n import field_error

            if not selectors.mergeable_persons(request.user).filter(pk=first).exists():
                raise Person.DoesNotExist  # outside the area: the 404, before saying anything about the query

            raise field_error("with", _("Other record: required; give the id of the record to compare with."))
        a, b = selectors.persons_for_merge(request.user, first, other)  # Person.DoesNotExist: the JSON 404
        return Response(compare_body(a, b))


@extend_schema(parameters=[OpenApiParameter("person", int)])
class ConsentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Consent records (PIPL): purpose, legal basis, self or guardian, withdrawal."""

    queryset = Consent.objects.none()
    scope_model = Consent
    scope_field = "org_path"

    def get_serializer_class(self):
        return ConsentCreateSerializer if self.action == "create" else ConsentSerializer

    def get_queryset(self):
        qs = selectors.visible_consents(self.request.user)
        person = query_id(self.request.query_params, "person")
        if person is not None:
            qs = qs.filter(person_id=person)
        return qs.order_by("-id")

    def retrieve(self, request, *args, **kwargs):
        consent = self.get_object()
        return Response(ConsentSerializer(consent).data)

    @extend_schema(responses={201: ConsentSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ConsentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            person = selectors.get_person(request.user, data.pop("person"), purpose="consent")
        except Person.DoesNotExist:
            from xinli.core.i18n import field_error

            raise field_error("person", _("Person: not found in your area; check the person id.")) from None
        consent = services.record_consent(request.user, person, data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ConsentSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        consent = self.get_object()
        consent = services.withdraw_consent(request.user, consent)
        return Response(ConsentSerializer(consent).data)


class DuplicateRequestSerializer(serializers.ModelSerializer):
    """A duplicate ID-number request as its officers see it: who asked, where and when, and the record that holds
    the number (its id and unit, in the officer's area; ``null`` when no record there holds it any more)."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    requester_name = serializers.SerializerMethodField()
    existing_person = serializers.SerializerMethodField()
    existing_unit_name = serializers.SerializerMethodField()
    resolved_by_name = serializers.SerializerMethodField()

    class Meta:
        model = DuplicateRequest
        fields = ["id", "status", "unit", "unit_name", "requester", "requester_name", "created_at", "existing_person",
                  "existing_unit_name", "resolved_by", "resolved_by_name", "resolved_at", "note"]

    def _holder(self, obj):
        return (self.context.get("holders") or {}).get(obj.id_number_bidx)

    def get_requester_name(self, obj) -> str | None:
        return str(obj.requester) if obj.requester_id else None

    def get_existing_person(self, obj) -> int | None:
        holder = self._holder(obj)
        return holder.pk if holder is not None else None

    def get_existing_unit_name(self, obj) -> str | None:
        holder = self._holder(obj)
        return holder.org_unit.name if holder is not None else None

    def get_resolved_by_name(self, obj) -> str | None:
        return str(obj.resolved_by) if obj.resolved_by_id else None


class DuplicateResolveSerializer(StrictSerializerMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(label=_("decision"), choices=list(duplicates.OUTCOME_LABELS.items()))
    note = serializers.CharField(label=_("resolution note"), max_length=duplicates.NOTE_MAX)


@extend_schema(parameters=[OpenApiParameter(
    "status", str, enum=["open", "closed", *DuplicateRequest.Status.values],
    description="open (the default), closed (every other status) or one status")])
class DuplicateRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Duplicate ID-number requests (issue 15) for the officers of the common ancestor unit: someone entered an ID
    number the archive holds outside their area and was refused neutrally. Who asked never sees their own request.
    Closing one (``resolve``) needs a decision and a note; the requester gets a neutral inbox message."""

    queryset = DuplicateRequest.objects.none()
    serializer_class = DuplicateRequestSerializer
    scope_model = DuplicateRequest
    scope_field = "org_path"

    def get_serializer_class(self):
        return DuplicateResolveSerializer if self.action == "resolve" else DuplicateRequestSerializer

    def get_queryset(self):
        status_ = self.request.query_params.get("status", "open")
        if status_ not in ("open", "closed", *DuplicateRequest.Status.values):
            from xinli.core.i18n import field_error

            raise field_error("status", _("Status: use open, closed, transferred, resolved or rejected."))
        return selectors.duplicate_requests(self.request.user, status=status_)

    def _body(self, rows, many=False):
        holders = selectors.duplicate_holders(self.request.user, rows if many else [rows])
        return DuplicateRequestSerializer(rows, many=many, context={"holders": holders}).data

    def _get(self, pk) -> DuplicateRequest:
        return selectors.get_duplicate_request(self.request.user, path_id(pk))  # DoesNotExist: the JSON 404

    def list(self, request, *args, **kwargs):
        if not has_capability(request.user, ARCHIVES_EDIT):
            raise PermissionDenied  # the bilingual 403: this role does not resolve requests
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._body(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._body(self._get(kwargs["pk"])))

    @extend_schema(request=DuplicateResolveSerializer, responses={200: DuplicateRequestSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        dup = self._get(pk)
        serializer = DuplicateResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        dup = duplicates.resolve_duplicate_request(request.user, dup, outcome=v["outcome"], note=v["note"])
        return Response(self._body(dup))


# --- residents who move (issue 17) ---------------------------------------------------------------------------------

class TransferItemSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = TransferItem
        fields = ["kind", "label", "status", "moved_on"]

    def get_label(self, obj) -> str:
        return transfers.item_label(obj)


class TransferSerializer(serializers.ModelSerializer):
    """A transfer as the sending and receiving units see it: the person, both units, the state, the deadline and what
    arrives (each item's kind, its description in the reader's language and its own state)."""

    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = ["id", "person", "person_name", "from_unit", "from_unit_name", "to_unit", "to_unit_name", "status",
                  "opened_at", "accept_by", "overdue", "escalations", "escalated_to", "decided_at", "reason", "items"]

    def get_items(self, obj) -> list[dict]:
        rows = obj.items.exclude(status=TransferItem.Status.CANCELLED)
        return TransferItemSerializer(rows, many=True).data


class TransferReturnSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(label=_("reason for returning"), max_length=transfers.REASON_MAX)


@extend_schema(parameters=[
    OpenApiParameter("show", str, enum=["incoming", "outgoing"], description="incoming (the default) or outgoing"),
    OpenApiParameter("status", str, enum=["pending", "all"], description="pending (the default) or all")])
class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Residents who moved (issue 17): transfers into (``incoming``) or out of (``outgoing``) the caller's area.
    ``accept`` takes over the items the caller's capability covers over the receiving unit; ``return`` gives them back
    with a required reason. A transfer outside the caller's area answers 404."""

    queryset = Transfer.objects.none()
    serializer_class = TransferSerializer
    scope_model = Transfer
    scope_field = "to_path"

    def get_serializer_class(self):
        return TransferReturnSerializer if self.action == "return_" else TransferSerializer

    def get_queryset(self):
        query = self.request.query_params
        show, status_ = query.get("show", "incoming"), query.get("status", "pending")
        if show not in ("incoming", "outgoing"):
            raise field_error("show", _("Show: use incoming or outgoing."))
        if status_ not in ("pending", "all"):
            raise field_error("status", _("Status: use pending or all."))
        qs = transfers.outgoing(self.request.user) if show == "outgoing" else transfers.incoming(self.request.user)
        return qs.filter(status=Transfer.Status.PENDING) if status_ == "pending" else qs

    def _get(self, pk) -> Transfer:
        return transfers.get_transfer(self.request.user, path_id(pk))  # DoesNotExist: the JSON 404

    def list(self, request, *args, **kwargs):
        if not any(has_capability(request.user, c) for c in transfers.capabilities()):
            raise PermissionDenied
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TransferSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(TransferSerializer(self._get(kwargs["pk"])).data)

    @extend_schema(request=None, responses={200: TransferSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        t = self._get(pk)
        try:
            t = transfers.accept(request.user, t)
        except PermissionDenied:
            raise Transfer.DoesNotExist from None  # nothing here the caller may take: as if not there
        return Response(TransferSerializer(t).data)

    @extend_schema(request=TransferReturnSerializer, responses={200: TransferSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        t = self._get(pk)
        serializer = TransferReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            t = transfers.return_transfer(request.user, t, reason=serializer.validated_data["reason"])
        except PermissionDenied:
            raise Transfer.DoesNotExist from None
        return Response(TransferSerializer(t).data)
# --- possible duplicates and merges (issue 17) ----------------------------------------------------------------------

class PossibleDuplicateSerializer(serializers.ModelSerializer):
    """A pair of the review list: record numbers and units only (open the comparison to see the two records)."""

    person_a_unit = serializers.CharField(source="person_a.org_unit.name", read_only=True)
    person_b_unit = serializers.CharField(source="person_b.org_unit.name", read_only=True)

    class Meta:
        model = PossibleDuplicate
        fields = ["id", "person_a", "person_a_unit", "person_b", "person_b_unit", "same_name_birth", "same_phone", "state",
                  "created_at", "decided_by", "decided_at"]


@extend_schema(parameters=[OpenApiParameter("state", str, enum=["open", "closed", *PossibleDuplicate.State.values],
                                            description="open (the default), closed (merged or dismissed) or one state")])
class PossibleDuplicateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The possible-duplicates review list (issue 17): pairs of records with the same name and birth date or the same
    phone and different ID numbers, found through blind indexes. Compare a pair with ``persons/{id}/compare/?with=``,
    merge it with ``person-merges/`` or ``dismiss`` it. For holders of ``archives.merge`` over both records."""

    queryset = PossibleDuplicate.objects.none()
    serializer_class = PossibleDuplicateSerializer
    scope_model = PossibleDuplicate
    scope_field = "org_path"

    def get_queryset(self):
        state = self.request.query_params.get("state", "open")
        if state not in ("open", "closed", *PossibleDuplicate.State.values):
            from xinli.core.i18n import field_error

            raise field_error("state", _("State: use open, closed, merged or dismissed."))
        return selectors.possible_duplicates(self.request.user, state=state)

    def list(self, request, *args, **kwargs):
        if not has_capability(request.user, ARCHIVES_MERGE):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return Response(PossibleDuplicateSerializer(selectors.get_possible_duplicate(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(request=None, responses={200: PossibleDuplicateSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        pair = selectors.get_possible_duplicate(request.user, path_id(pk))
        duplicates.dismiss_possible_duplicate(request.user, pair)
        pair.refresh_from_db()
        return Response(PossibleDuplicateSerializer(pair).data)


class PersonMergeSerializer(serializers.ModelSerializer):
    moved = serializers.SerializerMethodField()
    undo_until = serializers.SerializerMethodField()

    class Meta:
        model = PersonMerge
        fields = ["id", "survivor", "merged", "merged_by", "merged_at", "moved", "undo_until", "undone_by", "undone_at"]

    def get_moved(self, obj) -> int:
        return len(obj.moved)

    def get_undo_until(self, obj):
        return merge.undo_deadline(obj)


class PersonMergeCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    survivor = serializers.IntegerField(label=_("surviving record"))
    merged = serializers.IntegerField(label=_("merged record"))


class PersonMergeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Merges of two records of the same resident (issue 17). ``create`` merges ``merged`` into ``survivor``: every
    linked row moves to the survivor, the other record is kept with status "merged"; a record each of which may exist
    only once per person (SMD register record, active plan) held by both is refused, naming them. ``undo`` restores
    exactly from the merge's audit entry, within 30 days, unless a moved row changed since. For holders of
    ``archives.merge`` and ``archives.edit`` over both records; compare first with ``persons/{id}/compare/?with=``."""

    queryset = PersonMerge.objects.none()
    serializer_class = PersonMergeSerializer
    scope_model = PersonMerge
    scope_field = "org_path"

    def get_serializer_class(self):
        return PersonMergeCreateSerializer if self.action == "create" else PersonMergeSerializer

    def get_queryset(self):
        return selectors.merges(self.request.user)

    def list(self, request, *args, **kwargs):
        if not has_capability(request.user, ARCHIVES_MERGE):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return Response(PersonMergeSerializer(selectors.get_merge(request.user, path_id(kwargs["pk"]))).data)

    @extend_schema(request=PersonMergeCreateSerializer, responses={201: PersonMergeSerializer})
    def create(self, request, *args, **kwargs):
        if not has_capability(request.user, ARCHIVES_MERGE):
            raise PermissionDenied
        serializer = PersonMergeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        survivor, merged = selectors.persons_for_merge(request.user, v["survivor"], v["merged"])  # 404 outside
        record = merge.merge_persons(request.user, survivor, merged)
        return Response(PersonMergeSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PersonMergeSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        record = selectors.get_merge(request.user, path_id(pk))
        return Response(PersonMergeSerializer(merge.undo_merge(request.user, record)).data)
