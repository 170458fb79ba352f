"""A list whose query has no order is paged by id, so that page 2 neither repeats nor skips rows of page 1."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from xinli.core.api import Pagination
from xinli.regions.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_unordered_query_is_paged_by_id(tree):
    qs = OrgUnit.objects.order_by()  # no order at all
    assert qs.ordered is False
    pages = -(-qs.count() // 3)
    seen = []
    for page in range(1, pages + 1):
        request = Request(APIRequestFactory().get("/", {"page": page, "page_size": 3}))
        pager = Pagination()
        seen += [u.pk for u in pager.paginate_queryset(qs, request)]
        if page > 1:
            assert pager.page.paginator.object_list.ordered  # what the database was asked for had an order
    assert pages > 1
    assert seen == sorted(OrgUnit.objects.values_list("pk", flat=True))
