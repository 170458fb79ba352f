import copy
import json

import pytest
from django.core.management import CommandError, call_command

from xinli.scales import definitions, score
from xinli.scales.models import ImportedScale

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_registry():
    definitions.reload()
    yield
    definitions.reload()


def test_operator_imports_a_licensed_definition_over_the_placeholder(tmp_path):
    raw = copy.deepcopy(definitions.get("isi").raw)
    raw["restricted"] = False
    raw["version"] = "licensed-2026"
    raw["items"][0]["text"] = {"zh-hans": "入睡困难的严重程度", "en": "Difficulty falling asleep"}
    f = tmp_path / "isi.json"
    f.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    call_command("import_scale", str(f), licence_note="Mapi licence 2026-001")
    row = ImportedScale.objects.get(code="isi")
    assert row.version == "licensed-2026" and row.licence_note == "Mapi licence 2026-001"
    assert definitions.get("isi").items[0].text["en"] == "Difficulty falling asleep"
    assert score("isi", [4] * 7).band == "severe"


def test_invalid_definition_is_refused_and_nothing_is_stored(tmp_path):
    raw = copy.deepcopy(definitions.get("isi").raw)
    raw["bands"] = raw["bands"][:-1]  # scores 22–28 uncovered
    f = tmp_path / "isi.json"
    f.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(CommandError, match="uncovered"):
        call_command("import_scale", str(f))
    f.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSON"):
        call_command("import_scale", str(f))
    assert not ImportedScale.objects.exists()


def test_shipped_published_instrument_cannot_be_replaced(tmp_path):
    f = tmp_path / "phq9.json"
    f.write_text(json.dumps(definitions.get("phq9").raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="cannot be replaced"):
        call_command("import_scale", str(f))
