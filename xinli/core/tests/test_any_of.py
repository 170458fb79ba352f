"""``field__any_of``: the same rows as ``field__in`` (one array parameter on PostgreSQL), including an empty list
and inside an OR."""

import pytest
from django.db import connection
from django.db.models import Q

from xinli.archives.models import Person
from xinli.core.fields import blind_index
from xinli.testing.fixtures import id_number, make_tree

pytestmark = pytest.mark.django_db


def test_same_rows_as_in():
    from xinli.archives.services import register_person
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    tree = make_tree()
    clerk = make_user("clerk", [(tree.a1v1, Role.COMMUNITY_WORKER)])
    numbers = [id_number("19800501", 100 + i) for i in range(5)]
    for i, n in enumerate(numbers):
        register_person(clerk, {"name": f"居民{i}", "id_number": n, "org_unit": tree.a1v1, "phone": f"1380000000{i}"})
    wanted = [blind_index("id_number", n) for n in numbers[1:4]] + ["not-a-known-index"]
    mine = Person.objects.filter(id_number_bidx__any_of=wanted)
    assert sorted(mine.values_list("pk", flat=True)) == sorted(Person.objects.filter(id_number_bidx__in=wanted).values_list("pk", flat=True))
    assert mine.count() == 3
    pks = list(mine.values_list("pk", flat=True))
    assert sorted(Person.objects.filter(pk__any_of=pks).values_list("pk", flat=True)) == sorted(pks)
    assert list(Person.objects.filter(pk__any_of=[])) == []
    either = Person.objects.filter(Q(phone_bidx__any_of=[]) | Q(id_number_bidx__any_of=wanted[:1]))
    assert either.count() == 1
    sql = str(mine.query)
    assert ("ANY" in sql) == (connection.vendor == "postgresql")
