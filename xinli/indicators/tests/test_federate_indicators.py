"""Federation: a city instance exports its indicator values as JSON, the province instance imports them and
re-aggregates the units above (Σ numerators ÷ Σ denominators), nothing is written from a bad document, a value
computed locally below the root is replaced (the exporter is authoritative there) while a local ancestor is kept,
and the export carries aggregates only."""

import copy
import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from xinli.core.models import AuditEntry
from xinli.indicators.federation import export_values, import_values
from xinli.indicators.models import Rollup
from xinli.regions.codes import Kind
from xinli.regions.services import create_unit

pytestmark = pytest.mark.django_db
PERIOD = str(datetime.date.today().year)


def put(unit, code, num, den, value, breakdown="", source="", period=PERIOD):
    return Rollup.objects.create(indicator=code, period=period, org_unit=unit, org_path=unit.path, breakdown=breakdown, source=source,
                                 numerator=None if num is None else Decimal(num), denominator=None if den is None else Decimal(den),
                                 value=None if value is None else Decimal(value))


@pytest.fixture
def two_cities(tree):
    """Qingdao (the fixture's city, two counties) and Yantai (one county) under the province."""
    yantai = create_unit(code="370600000000", name="烟台市", kind=Kind.CITY, parent=tree.province)
    zhifu = create_unit(code="370602000000", name="芝罘区", kind=Kind.COUNTY, parent=yantai)
    tree.yantai, tree.zhifu = yantai, zhifu
    return tree


def exported_city_a(tree):
    """City A's instance: T01 8/10 (county A 6/7, county B 2/3), T09 with a sex breakdown, T20 (a count) 2."""
    put(tree.city, "T01", 8, 10, "0.8")
    put(tree.county_a, "T01", 6, 7, "0.857143")
    put(tree.county_b, "T01", 2, 3, "0.666667")
    put(tree.city, "T09", 4, 8, "0.5")
    put(tree.city, "T09", 1, 4, "0.25", breakdown="sex=F")
    put(tree.city, "T20", 2, None, 2)
    doc = export_values(tree.city, PERIOD, instance="qingdao")
    Rollup.objects.all().delete()  # the province instance does not have the city's rows
    return doc


def exported_city_b(tree):
    put(tree.yantai, "T01", 3, 5, "0.6")
    put(tree.zhifu, "T01", 3, 5, "0.6")
    put(tree.yantai, "T09", 2, 2, "1")
    put(tree.yantai, "T09", 1, 1, "1", breakdown="sex=F")
    put(tree.yantai, "T20", 3, None, 3)
    doc = export_values(tree.yantai, PERIOD, instance="yantai")
    Rollup.objects.filter(org_path__startswith=tree.yantai.path).delete()
    return doc


def row(unit, code, breakdown=""):
    return Rollup.objects.get(indicator=code, period=PERIOD, org_unit=unit, breakdown=breakdown)


def test_round_trip_aggregates_the_province_from_two_cities(two_cities):
    t = two_cities
    doc_a, doc_b = exported_city_a(t), exported_city_b(t)
    assert Rollup.objects.count() == 0
    a = import_values(json.loads(json.dumps(doc_a)))  # through JSON text, as a file would
    assert (a.imported, a.aggregated) == (6, 4)  # province: T01, T09, T09 sex=F, T20
    b = import_values(json.loads(json.dumps(doc_b)))
    assert (b.imported, b.aggregated) == (5, 4)
    # The imported values are stored as exported, with the exporting instance as the source.
    city = row(t.city, "T01")
    assert (city.numerator, city.denominator, city.value, city.source) == (8, 10, Decimal("0.8"), "qingdao")
    assert (row(t.county_a, "T01").value, row(t.zhifu, "T01").source) == (Decimal("0.857143"), "yantai")
    # Province = Σ numerators ÷ Σ denominators of its cities: (8 + 3) / (10 + 5) = 11/15.
    prov = row(t.province, "T01")
    assert (prov.numerator, prov.denominator, prov.value, prov.source) == (11, 15, Decimal("0.733333"), "federation")
    assert prov.org_path == t.province.path
    # Per breakdown: all (4 + 2) / (8 + 2) = 0.6; women (1 + 1) / (4 + 1) = 0.4.
    assert row(t.province, "T09").value == Decimal("0.6")
    assert (row(t.province, "T09", "sex=F").numerator, row(t.province, "T09", "sex=F").value) == (2, Decimal("0.4"))
    # A count has no denominator: the province's value is the sum, 2 + 3.
    t20 = row(t.province, "T20")
    assert (t20.numerator, t20.denominator, t20.value) == (5, None, Decimal("5"))
    # Re-importing replaces (no duplicate, nothing left over) and a value dropped from the new file is removed.
    doc_a2 = copy.deepcopy(doc_a)
    doc_a2["values"] = [v for v in doc_a2["values"] if not (v["org"] == t.county_b.code)]
    again = import_values(doc_a2)
    assert (again.imported, again.removed) == (5, 1)
    assert not Rollup.objects.filter(org_unit=t.county_b).exists()
    assert Rollup.objects.filter(indicator="T01", period=PERIOD, org_unit=t.city).count() == 1
    assert row(t.province, "T01").value == Decimal("0.733333")
    # One audit entry per import, with the instance, period and row count.
    entries = list(AuditEntry.objects.filter(object_type="indicators.federation").order_by("id"))
    assert len(entries) == 3
    assert (entries[0].detail["instance"], entries[0].detail["period"], entries[0].detail["rows"]) == ("qingdao", PERIOD, 6)
    assert entries[1].detail["instance"] == "yantai" and entries[1].org_path == t.yantai.path


def test_commands_round_trip(two_cities, tmp_path, capsys, settings):
    t = two_cities
    put(t.city, "T01", 8, 10, "0.8")
    put(t.yantai, "T01", 3, 5, "0.6")
    settings.XINLI_INSTANCE_NAME = "qingdao-prod"
    call_command("export_indicators", "--org", t.city.code, "--period", PERIOD, "-o", str(tmp_path / "qd.json"))
    call_command("export_indicators", "--org", t.yantai.code, "--period", PERIOD, "--instance", "yantai", "-o", str(tmp_path / "yt.json"))
    assert "1 values" in capsys.readouterr().out
    qd = json.loads((tmp_path / "qd.json").read_text(encoding="utf-8"))
    assert qd["instance"] == "qingdao-prod" and [v["org"] for v in qd["values"]] == [t.city.code]
    del settings.XINLI_INSTANCE_NAME
    call_command("export_indicators", "--org", t.city.code, "--period", PERIOD, "-o", str(tmp_path / "default.json"))
    assert json.loads((tmp_path / "default.json").read_text(encoding="utf-8"))["instance"] == t.city.code  # the root's code
    Rollup.objects.all().delete()
    call_command("import_indicators", str(tmp_path / "qd.json"))
    call_command("import_indicators", str(tmp_path / "yt.json"))
    out = capsys.readouterr().out
    assert "imported 1, aggregated 1" in out
    assert row(t.province, "T01").value == Decimal("0.733333")
    # Bad input: a clear message, never a traceback.
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_indicators", str(tmp_path / "missing.json"))
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not a valid JSON"):
        call_command("import_indicators", str(tmp_path / "broken.json"))
    with pytest.raises(CommandError, match="--org"):
        call_command("export_indicators", "--org", "379999000000", "--period", PERIOD)
    with pytest.raises(CommandError, match="--period"):
        call_command("export_indicators", "--org", t.city.code, "--period", "26")


def test_bad_document_writes_nothing_and_names_each_value_and_field(two_cities, tmp_path, capsys):
    t = two_cities
    doc = exported_city_a(t)
    good = doc["values"][0]
    assert (good["indicator"], good["org"], len(doc["values"])) == ("T01", t.city.code, 6)
    doc["values"] = [good] + [
        dict(good, org="370299000000"),  # 1: not a unit of this instance
        dict(good, org=t.county_a.code, numerator="abc"),  # 2: not a number
        dict(good, org=t.county_b.code, value="0.9"),  # 3: 8/10 is 0.8, not 0.9
        dict(good, indicator="T99", org=t.a1.code),  # 4: unknown indicator
        dict(good, org=t.a2.code, numerator="11"),  # 5: a rate's numerator above its denominator (and value off)
        dict(good, org=t.b1.code, numerator="-1"),  # 6: negative
        dict(good, org=t.yantai.code),  # 7: a unit of this instance, but not under the root
        dict(good),  # 8: duplicate of 0
    ]
    with pytest.raises(ValidationError) as exc:
        import_values(doc)
    errors = exc.value.message_dict
    assert {"values[1].org", "values[2].numerator", "values[3].value", "values[4].indicator", "values[5].numerator",
            "values[6].numerator", "values[7].org", "values[8]"} <= set(errors)
    assert not any(k.startswith("values[0]") for k in errors)  # the good value is not blamed
    assert "values[3] (T01 370203000000 all)" in errors["values[3].value"][0] and "0.8" in errors["values[3].value"][0]
    assert "not more than the denominator" in errors["values[5].numerator"][0] and "values[5].value" in errors
    assert "Org" in errors["values[1].org"][0]
    assert Rollup.objects.count() == 0 and not AuditEntry.objects.filter(object_type="indicators.federation").exists()
    # Document-level problems are reported too.
    with pytest.raises(ValidationError) as exc:
        import_values(dict(doc, format="csv"))
    assert "format" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        import_values(dict(doc, period="2026-13", instance="", root={"code": "12"}))
    assert {"period", "instance", "root"} <= set(exc.value.message_dict)
    # The command lists the problems and says nothing was written.
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_indicators", str(path))
    assert "values[2] (T01 370202000000 all): Numerator" in capsys.readouterr().err
    assert Rollup.objects.count() == 0


def test_the_exporting_instance_is_authoritative_below_its_root_and_local_ancestors_are_kept(two_cities):
    t = two_cities
    doc = exported_city_a(t)
    # This instance's nightly rebuild had filled the city's units from data it does not hold.
    local = put(t.county_a, "T01", 1, 2, "0.5")
    stray = put(t.a1, "T22", 0, 0, None)  # a local row under the root that the document does not carry
    province = put(t.province, "T01", 7, 7, "1")  # an ancestor computed here
    result = import_values(doc)
    assert result.replaced_local == 2
    assert not Rollup.objects.filter(pk__in=[local.pk, stray.pk]).exists()
    assert row(t.county_a, "T01").source == "qingdao" and row(t.city, "T01").source == "qingdao"
    province.refresh_from_db()
    assert (province.numerator, province.value, province.source) == (7, Decimal("1"), "")
    assert ("T01", t.province.code, "") in result.kept_local
    # And the local rebuild leaves the imported units alone from then on.
    from xinli.indicators import services

    services.rebuild(int(doc["period"][:4]), codes={"T01"})
    assert row(t.county_a, "T01").source == "qingdao"


def test_export_has_only_aggregates(two_cities, people):
    t = two_cities
    put(t.city, "T01", 8, 10, "0.8")
    put(t.a1v1, "T09", 1, 1, "1", breakdown="sex=F")
    put(t.county_a, "T01", 1, 1, "1", source="elsewhere")  # imported here: not ours to export
    put(t.city, "T01", 1, 1, "1", period=f"{PERIOD}-01")  # another period
    put(t.yantai, "T01", 3, 5, "0.6")  # outside the unit
    doc = export_values(t.city, PERIOD, instance="qingdao")
    assert set(doc) == {"format", "version", "instance", "exported_at", "root", "period", "values"}
    assert doc["root"] == {"code": "370200000000", "name": "青岛市"} and (doc["format"], doc["version"]) == ("xinli-indicators", 2)
    keys = {"indicator", "org", "org_name", "level", "parent", "breakdown", "numerator", "denominator", "value", "unit"}
    # The village's T09 cell (1 of 1 tagged persons) is a small cell below the root: withheld and named (docs/indicators.md).
    assert [set(v) for v in doc["values"]] == [keys, keys | {"suppressed"}]
    assert [(v["indicator"], v["org"], v["breakdown"]) for v in doc["values"]] == [("T01", "370200000000", ""), ("T09", "370202001001", "sex=F")]
    village = doc["values"][1]
    assert (village["level"], village["parent"], village["numerator"], village["denominator"], village["value"]) == (
        "village", t.a1.code, None, None, None)
    assert village["suppressed"] == ["numerator", "denominator", "value"]
    text = json.dumps(doc, ensure_ascii=False)
    for person in people.all():
        assert person.name not in text
    assert "张三丰" not in text and "1380000000" not in text


def test_every_ancestor_is_re_aggregated_from_imported_and_local_children(tree):
    # A county instance exports county A (6/7); this instance computed county B itself (2/3).
    put(tree.county_a, "T01", 6, 7, "0.857143")
    put(tree.a1, "T01", 4, 4, "1")
    doc = export_values(tree.county_a, PERIOD, instance="shinan")
    Rollup.objects.all().delete()
    put(tree.county_b, "T01", 2, 3, "0.666667")
    result = import_values(doc)
    assert (result.imported, result.aggregated, result.kept_local) == (2, 2, [])
    city, province = row(tree.city, "T01"), row(tree.province, "T01")
    assert (city.numerator, city.denominator, city.value, city.source) == (8, 10, Decimal("0.8"), "federation")
    assert (province.numerator, province.denominator, province.value) == (8, 10, Decimal("0.8"))  # the city's level above
    assert row(tree.county_b, "T01").source == ""  # the local child is read, not touched


def test_per_mille_numerators_travel_unscaled_and_ancestors_are_scaled(two_cities):
    """T11 (‰): Qingdao 213 patients of 50,000 residents = 4.26 ‰, Yantai 90 of 30,000 = 3.0 ‰. The province
    re-aggregates (213 + 90) ÷ (50,000 + 30,000) × 1000 = 3.7875 ‰, numerator 303 — not 303,000."""
    tree = two_cities
    put(tree.city, "T11", 213, 50000, "4.26")
    doc_a = export_values(tree.city, PERIOD, instance="qingdao")
    Rollup.objects.all().delete()
    put(tree.yantai, "T11", 90, 30000, "3")
    doc_b = export_values(tree.yantai, PERIOD, instance="yantai")
    Rollup.objects.all().delete()
    assert Decimal(doc_a["values"][0]["numerator"]) == 213
    import_values(doc_a)
    import_values(doc_b)
    province = Rollup.objects.get(indicator="T11", org_unit=tree.province)
    assert (province.numerator, province.denominator, province.value) == (303, 80000, Decimal("3.7875"))
    wrong = copy.deepcopy(doc_a)
    wrong["values"][0]["value"] = "0.00426"  # numerator ÷ denominator without the ‰ scale
    with pytest.raises(ValidationError) as err:
        import_values(wrong)
    assert "values[0].value" in json.dumps(err.value.message_dict, ensure_ascii=False)


def test_a_version_1_file_is_refused_with_a_clear_message(two_cities):
    doc = exported_city_a(two_cities)
    doc["version"] = 1  # numerators of T11 and WF1 were scaled in version 1
    with pytest.raises(ValidationError) as err:
        import_values(doc)
    assert "version" in err.value.message_dict
