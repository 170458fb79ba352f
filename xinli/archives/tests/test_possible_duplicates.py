"""Issue 17: possible duplicates (same name + birth date, or same phone, with different ID numbers) are flagged into a
review list through blind indexes, never merged silently.

Records (all in 市南区):
  A 周八, 1980-01-01, phone 13922220001, no ID number        (A1v1)
  B 周八, 1980-01-01, no phone, no ID number                  (A1v2)  → pair A–B: same name and birth date
  C 钱九, 1991-02-02, phone 13922220001                       (A2v1)  → pair A–C: same phone
  D 周八, 1981-01-01, phone 13922220009                        (A1v1)  → no pair (another birth date, phone)
  E 吴十, ID 370202199005050111 (born 1990-05-05)              (A1v1)
  F 吴十, ID 370202199005050221 (born 1990-05-05)              (A1v2)  → pair E–F: same name and birth, two IDs
  G 郑一, ID 370202198503030331, phone 13922220005             (A1v1)
So three pairs: A–B, A–C, E–F. One ID number belongs to one record only (the archive's unique index), so a "same
ID" pair cannot arise; a record is never paired with itself. A second scan adds nothing; a dismissed pair is not
listed again."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from xinli.archives.duplicates import dismiss_possible_duplicate, flag_possible_duplicates
from xinli.archives.models import Person, PossibleDuplicate
from xinli.archives.services import register_person
from xinli.core.policy import Role
from xinli.testing.fixtures import id_number, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rec(tree, personas):
    o = personas.county_officer

    def reg(name, unit, **kw):
        return register_person(o, {"name": name, "org_unit": unit, **kw}).person

    return {
        "A": reg("周八", tree.a1v1, birth_date=datetime.date(1980, 1, 1), phone="13922220001"),
        "B": reg("周八", tree.a1v2, birth_date=datetime.date(1980, 1, 1)),
        "C": reg("钱九", tree.a2v1, birth_date=datetime.date(1991, 2, 2), phone="13922220001"),
        "D": reg("周八", tree.a1v1, birth_date=datetime.date(1981, 1, 1), phone="13922220009"),
        "E": reg("吴十", tree.a1v1, id_number=id_number("19900505", 11)),
        "F": reg("吴十", tree.a1v2, id_number=id_number("19900505", 22)),
        "G": reg("郑一", tree.a1v1, id_number=id_number("19850303", 33), phone="13922220005"),
    }


def _pairs(rec):
    name = {p.pk: k for k, p in rec.items()}
    return {(name[p.person_a_id], name[p.person_b_id]): (p.same_name_birth, p.same_phone)
            for p in PossibleDuplicate.objects.all()}


def test_flags_same_name_birth_and_same_phone_pairs_only(rec, tree):
    assert flag_possible_duplicates([p.pk for p in rec.values()]) == 3
    assert _pairs(rec) == {("A", "B"): (True, False), ("A", "C"): (False, True), ("E", "F"): (True, False)}
    ab = PossibleDuplicate.objects.get(person_a=rec["A"], person_b=rec["B"])
    assert ab.org_path == tree.a1.path and ab.state == "open"  # the common ancestor of A1v1 and A1v2
    assert flag_possible_duplicates([p.pk for p in rec.values()]) == 0  # idempotent


def test_a_batch_is_matched_against_the_whole_register(rec):
    """Only B is in the batch (as after an import of one row): its pair with A, already in the register, is found."""
    assert flag_possible_duplicates([rec["B"].pk]) == 1
    assert _pairs(rec) == {("A", "B"): (True, False)}


def test_the_index_is_kept_up_to_date_and_backfilled(rec):
    d = rec["D"]
    d.birth_date = datetime.date(1980, 1, 1)
    d.save()
    assert flag_possible_duplicates([d.pk]) == 2  # now A–D and B–D
    # The migration's backfill computes the same value as the save does.
    from xinli.archives.models import name_birth_key
    from xinli.core.fields import blind_index

    assert Person.objects.get(pk=d.pk).name_birth_bidx == blind_index("name_birth", name_birth_key("周八", datetime.date(1980, 1, 1)))


def test_dismissed_pairs_stay_dismissed_and_the_command_scans_everything(rec, personas):
    out = io.StringIO()
    call_command("scan_possible_duplicates", stdout=out)
    assert "possible duplicate pairs added: 3" in out.getvalue()
    ab = PossibleDuplicate.objects.get(person_a=rec["A"], person_b=rec["B"])
    dismiss_possible_duplicate(personas.county_officer, ab)
    ab.refresh_from_db()
    assert ab.state == "dismissed" and ab.decided_by == personas.county_officer
    out = io.StringIO()
    call_command("scan_possible_duplicates", stdout=out)
    assert "possible duplicate pairs added: 0" in out.getvalue()
    assert PossibleDuplicate.objects.get(pk=ab.pk).state == "dismissed"


def test_who_sees_the_review_list(rec, tree, personas):
    flag_possible_duplicates([p.pk for p in rec.values()])
    ids = set(PossibleDuplicate.objects.values_list("pk", flat=True))

    def listed(user):
        c = APIClient()
        c.force_authenticate(user)
        r = c.get("/api/v1/possible-duplicates/")
        return r.status_code, {row["id"] for row in r.json()["results"]} if r.status_code == 200 else set()

    assert listed(personas.county_officer) == (200, ids)
    assert listed(make_user("city_officer_pd", [(tree.city, Role.HEALTH_OFFICER)])) == (200, ids)
    # A street's officer sees the pair within the street only (A–B, E–F), not the one reaching A2v1.
    street = make_user("street_officer_pd", [(tree.a1, Role.HEALTH_OFFICER)])
    assert listed(street)[1] == {p.pk for p in PossibleDuplicate.objects.exclude(person_b=rec["C"])}
    for user in (personas.village_worker_1, personas.smd_doctor, personas.province_admin,
                 make_user("officer_b_pd", [(tree.county_b, Role.HEALTH_OFFICER)])):
        status, seen = listed(user)
        assert seen == set() and status in (200, 403), user
    body = APIClient()
    body.force_authenticate(personas.county_officer)
    text = body.get("/api/v1/possible-duplicates/").content.decode()
    assert "周八" not in text and "13922220001" not in text  # record numbers and units only
