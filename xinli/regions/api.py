from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xinli.core.ids import query_id

from . import selectors
from .models import OrgUnit


class OrgUnitSerializer(serializers.ModelSerializer):
    has_children = serializers.SerializerMethodField()
    rural = serializers.SerializerMethodField(help_text=str(_("villages and communities: rural (乡村) by the urban-rural classification "
                                                                "code, or by the kind when the code is empty; null for other units")))

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "level", "kind", "parent", "path", "valid_from", "valid_to", "population", "urban_rural_code",
                  "rural", "has_children"]

    def get_rural(self, obj) -> bool | None:
        return obj.is_rural if obj.level == "village" else None

    def get_has_children(self, obj) -> bool:
        return obj.level != "village"


@extend_schema(parameters=[
    OpenApiParameter("parent", int, description=str(_("children of this unit"))),
    OpenApiParameter("q", str, description=str(_("search by name or code prefix"))),
    OpenApiParameter("level", str),
])
class OrgUnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The org-unit tree within the user's area. Without parameters: the units the user is assigned to."""

    serializer_class = OrgUnitSerializer
    queryset = OrgUnit.objects.none()
    scope_model = OrgUnit
    scope_field = "path"

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return selectors.visible_units(user)
        params = self.request.query_params
        if params.get("q"):
            qs = selectors.search_units(user, params["q"])
        elif params.get("parent"):
            try:
                parent = selectors.get_unit(user, query_id(params, "parent"))
            except OrgUnit.DoesNotExist:
                return selectors.visible_units(user).none()
            qs = selectors.children(user, parent)
        else:
            qs = selectors.top_units(user)
        if params.get("level"):
            qs = qs.filter(level=params["level"])
        return qs

    @action(detail=True, methods=["get"])
    def children(self, request, pk=None):
        unit = self.get_object()
        page = self.paginate_queryset(selectors.children(request.user, unit))
        return self.get_paginated_response(OrgUnitSerializer(page, many=True).data)

    @action(detail=True, methods=["get"])
    def ancestors(self, request, pk=None):
        unit = self.get_object()
        return Response(OrgUnitSerializer(selectors.ancestors(unit), many=True).data)
