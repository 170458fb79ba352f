"""Issue 17 §3 pages: the review list, the comparison (merge, dismiss) and the merge page (undo), in Chinese, with
refusals shown on the page and writing nothing; a reader without the right gets 404."""

from __future__ import annotations

import pytest
from django.test import Client

from xinli.archives.duplicates import flag_possible_duplicates
from xinli.archives.models import Person, PersonMerge, PossibleDuplicate
from xinli.archives.tests.test_merge_persons import _snapshot, two  # noqa: F401  (fixture)
from xinli.core.models import AuditEntry
from xinli.core.tests.test_authorization_matrix import assessments  # noqa: F401
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    login_verified(c, user)
    return c


def test_compare_merge_and_undo_through_the_pages(two, personas):  # noqa: F811
    survivor, merged, _built = two
    assert flag_possible_duplicates([survivor.pk]) == 1
    pair = PossibleDuplicate.objects.get()
    c = _client(personas.county_officer)
    html = c.get("/persons/possible-duplicates/").content.decode()
    assert f"/persons/{survivor.pk}/compare/{merged.pk}/" in html and "孙七" not in html  # no name in the list
    assert "姓名和出生日期相同" in html
    r = c.get(f"/persons/{survivor.pk}/compare/{merged.pk}/")
    page = r.content.decode()
    assert r.status_code == 200 and page.count("孙七") >= 2 and "13911110002" in page
    assert "严重精神障碍患者登记记录" in page and "不同" in page
    assert "居民迁移交接<" in page and "交接s" not in page  # no English plural ending on a kind of record
    assert {e.person_id for e in AuditEntry.objects.filter(purpose="merge", action="read")} == {survivor.pk, merged.pk}
    r = c.post(f"/persons/{survivor.pk}/compare/{merged.pk}/", {"action": "merge", "survivor": survivor.pk})
    record = PersonMerge.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/persons/merges/{record.pk}/"
    pair.refresh_from_db()
    assert pair.state == "merged" and Person.objects.get(pk=merged.pk).status == "merged"
    page = c.get(r["Location"]).content.decode()
    assert "已转移的关联记录：22 条" in page and "撤销这次合并" in page
    page = c.get(f"/persons/{merged.pk}/").content.decode()
    assert "此档案已合并到同一人的另一份档案" in page
    r = c.post(f"/persons/merges/{record.pk}/")
    assert r.status_code == 302
    record.refresh_from_db()
    pair.refresh_from_db()
    assert record.undone_at is not None and pair.state == "open" and Person.objects.get(pk=merged.pk).status == "active"


def test_a_conflict_is_shown_on_the_page_and_writes_nothing(two, people, personas):  # noqa: F811
    from xinli.smd.models import Patient

    survivor, merged, _built = two
    own = Patient.objects.get(person=people.in_a1v2)
    Patient.objects.filter(pk=own.pk).update(person=survivor)
    before = _snapshot(survivor, merged)
    r = _client(personas.county_officer).post(f"/persons/{merged.pk}/compare/{survivor.pk}/",
                                               {"action": "merge", "survivor": merged.pk})
    page = r.content.decode()
    assert r.status_code == 400 and "无法合并" in page and f"编号 {own.pk}" in page and "Merge refused" not in page
    assert _snapshot(survivor, merged) == before and PersonMerge.objects.count() == 0


def test_dismiss_from_the_comparison(two, personas):  # noqa: F811
    survivor, merged, _built = two
    flag_possible_duplicates([merged.pk])
    r = _client(personas.county_officer).post(f"/persons/{survivor.pk}/compare/{merged.pk}/", {"action": "dismiss"})
    assert r.status_code == 302
    assert PossibleDuplicate.objects.get().state == "dismissed" and Person.objects.get(pk=merged.pk).status == "active"


def test_readers_without_the_right_get_404_and_change_nothing(two, tree, personas):  # noqa: F811
    survivor, merged, _built = two
    flag_possible_duplicates([survivor.pk])
    for user in (personas.village_worker_1, personas.township_worker, personas.smd_doctor, personas.counsellor):
        c = _client(user)
        assert c.get("/persons/possible-duplicates/").status_code == 404, user
        assert c.get(f"/persons/{survivor.pk}/compare/{merged.pk}/").status_code == 404, user
        assert c.post(f"/persons/{survivor.pk}/compare/{merged.pk}/", {"action": "merge", "survivor": survivor.pk}).status_code == 404
    assert PersonMerge.objects.count() == 0 and Person.objects.get(pk=merged.pk).status == "active"
    assert not AuditEntry.objects.filter(purpose="merge").exists()


def test_a_pair_whose_record_was_merged_since_points_to_the_survivor(two, tree, personas):  # noqa: F811
    from xinli.archives.merge import merge_persons
    from xinli.archives.services import register_person

    survivor, merged, _built = two
    third = register_person(personas.county_officer, {"name": "钱某", "phone": "13911110002", "org_unit": tree.a1v1}).person
    assert flag_possible_duplicates([third.pk]) == 1  # the same phone as the merged record
    merge_persons(personas.county_officer, survivor, merged)
    c = _client(personas.county_officer)
    low, high = sorted((merged.pk, third.pk))
    page = c.get(f"/persons/{low}/compare/{high}/").content.decode()
    assert "其中一份档案已被合并" in page and f"/persons/{survivor.pk}/compare/{third.pk}/" in page
    assert 'id="dismiss-form"' in page and 'id="merge-form"' not in page
