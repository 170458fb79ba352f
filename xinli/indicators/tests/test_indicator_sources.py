"""Issue 16: every indicator names its source (a section of the pilot plan, or "platform"), declares its unit and
scale, and docs/indicators.md carries the table generated from the registry."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from xinli.indicators import doctable
from xinli.indicators.registry import REGISTRY

PLATFORM = {"T11", "T15", "T20", "T21", "T22", "WF1", "AL1", "SC1", "SC2", "HL1", "HL2", "CA1", "WO1", "WO2", "WO3", "WO4"}
SEED = Path(__file__).resolve().parents[4] / "shared" / "seeds" / "001_6922e5fd70382ec5.txt"


def test_every_indicator_has_a_source_of_the_plan_or_is_marked_platform():
    assert {code for code, ind in REGISTRY.items() if ind.platform} == PLATFORM
    for code, ind in REGISTRY.items():
        if not ind.platform:
            assert re.fullmatch(r"试点方案 [一二三四五六七八九十]+(\.\d|\([一二三四五六七八九十]+\))(、[一二三四五六七八九十]*(\.\d|\([一二三四五六七八九十]+\)))*",
                                ind.source), (code, ind.source)


@pytest.mark.skipif(not SEED.exists(), reason="the seed documents are not beside this checkout")
def test_the_cited_targets_are_in_the_plan():
    text = SEED.read_text(encoding="utf-8")
    plain = re.sub(r"\([^()\u4e00-\u9fff]{1,8}\)", "", text)  # the pinyin glosses of the seed text: 理(lǐ)
    for phrase in ("心理咨询室或社会工作室建成率达80%以上", "特殊人群个性化心理疏导的覆盖率达到60%以上", "核心知识知晓率达到50%以上",
                   "治疗率均达到80%以上", "参与康复率达到60%以上", "50%以上居家患者及家属提供心理疏导服务", "建立家属学校"):
        assert phrase in plain.replace("(课堂)", "").replace("學", "学").replace("務", "务").replace("區", "区"), phrase


def test_units_and_scales():
    assert {c: REGISTRY[c].unit for c in ("T01", "T08", "T11", "T20", "WF1")} == {
        "T01": "percent", "T08": "yes_no", "T11": "per_mille", "T20": "count", "WF1": "per_10000"}
    assert (REGISTRY["T11"].scale, REGISTRY["WF1"].scale, REGISTRY["T01"].scale) == (1000, 10000, 1)


def test_the_docs_table_is_current():
    text = doctable.docs_path().read_text(encoding="utf-8")
    assert doctable.render(text) == text, "run: python manage.py indicator_table"
    for code in REGISTRY:
        assert f"| {code} |" in text
    call_command("indicator_table", "--check")


def test_the_check_fails_on_a_stale_table(tmp_path, monkeypatch):
    stale = tmp_path / "indicators.md"
    stale.write_text(f"x\n{doctable.START}\n| old |\n{doctable.END}\n", encoding="utf-8")
    monkeypatch.setattr(doctable, "docs_path", lambda: stale)
    monkeypatch.setattr("xinli.indicators.management.commands.indicator_table.docs_path", lambda: stale)
    with pytest.raises(CommandError):
        call_command("indicator_table", "--check")
    call_command("indicator_table")
    assert "| T01 |" in stale.read_text(encoding="utf-8")
