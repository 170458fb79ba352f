"""The annual mental-health work summary (年度心理健康工作总结) as a Word document, following the eight chapters of
the national outline (seed 000): figures and tables come from the indicator rollups and a few counts; narrative
places are clearly marked 【请填写…】 for the authors."""

from __future__ import annotations

import io
from decimal import Decimal

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from xinli.archives.models import Person
from xinli.core import smallcells
from xinli.core.db import read_alias
from xinli.hotline.models import Call
from xinli.indicators import disclosure
from xinli.indicators import services as indicator_services
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.network.models import Site, Staff
from xinli.outreach.models import Article, Event
from xinli.regions.parameters import small_cell_threshold
from xinli.screening.models import Assessment

CHAPTERS = ["工作概述", "政策法规与标准制定", "心理健康服务体系构建", "心理健康服务内容与质量提升", "心理健康教育与宣传",
            "心理健康服务保障机制", "心理健康服务国际合作与交流", "心理健康服务信息化建设"]
CHAPTER_INDICATORS = {
    2: ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T18", "T19"],
    3: ["T09", "T11", "T12", "T13", "T14", "T15", "T16", "T17", "AL1"],
    4: ["T10U", "T10R"],
    5: ["T21", "T22"],
}
STATUS_ZH = {"green": "达标", "amber": "接近", "red": "未达标", None: "—"}


def _cjk(doc: Document) -> None:
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")  # East-Asian text font


def fmt(code: str, value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if code == "T11":
        return f"{value:.2f}‰"
    if code == "T08":
        return "是" if value >= 1 else "否"
    return f"{value * 100:.1f}%"


def rollups(unit, year: int, codes=None) -> list[Rollup]:
    """The unit's rollups of the year as every indicator reader may see them: a report is built once and shared with
    all holders of ``indicators.view`` over the unit, so small cells are withheld as for a reader without person
    rights (docs/indicators.md "Small cells")."""
    qs = Rollup.objects.using(read_alias()).filter(org_unit=unit, period=str(year), breakdown="")
    if codes is not None:
        qs = qs.filter(indicator__in=codes)
    return disclosure.apply(None, qs.select_related("org_unit"))


def _part(r, part: str) -> str:
    reason = r.hidden.get(part)
    if reason is not None:
        return f"<{r.cell_limit}" if reason == smallcells.SMALL else "*"
    value = getattr(r, part)
    return "" if value is None else f"{value:.0f}"


def _table(doc, unit, year, codes, progress=None):
    rows = {r.indicator: r for r in rollups(unit, year, codes)}
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["指标", "数值", "分子/分母", "目标", "评价"], strict=True):
        cell.text = text
    for code in codes:
        r = rows.get(code)
        target = indicator_services.target_for(code, unit, year)
        value = r.value if r else None
        cells = table.add_row().cells
        cells[0].text = f"{code} {REGISTRY[code].zh}"
        cells[1].text = ("*" if r is not None and r.hidden else fmt(code, value))
        if r is None or (r.numerator is None and "numerator" not in r.hidden):
            cells[2].text = "—"
        else:
            has_denominator = r.denominator is not None or "denominator" in r.hidden
            cells[2].text = _part(r, "numerator") + (f"/{_part(r, 'denominator')}" if has_denominator else "")
        cells[3].text = fmt(code, target) if target is not None else "—"
        cells[4].text = STATUS_ZH[indicator_services.status(code, value, target)]
    if any(r.hidden for r in rows.values()):
        doc.add_paragraph(NOTE.format(limit=small_cell_threshold(unit)))


# Under a table with hidden cells (docs/indicators.md "Small cells").
NOTE = "注：“<{limit}”为少于{limit}人的计数，“*”为可据以推算出被隐藏数值的数字，按小数值抑制规则不予显示。"


def counts(unit, year) -> dict:
    """Counts for the summary's text. Assessments and hotline calls count persons who sought help: below the unit's
    small-cell threshold they read "少于5" (the document is shared with every indicator reader)."""
    p = unit.path
    db = read_alias()  # counts only (no person is read), so the replica may answer
    limit = small_cell_threshold(unit)

    def small(n):
        return f"少于{limit}" if smallcells.is_small(n, limit) else n

    return {
        "residents": Person.objects.using(db).filter(org_path__startswith=p).count(),
        "assessments": small(Assessment.objects.using(db).filter(org_path__startswith=p, taken_at__year=year).count()),
        "calls": small(Call.objects.using(db).filter(org_path__startswith=p, started_at__year=year).count()),
        "sites": Site.objects.using(db).filter(org_path__startswith=p).count(),
        "staff": Staff.objects.using(db).filter(org_path__startswith=p, active=True).count(),
        "articles": Article.objects.using(db).filter(org_path__startswith=p, state="published", published_at__year=year).count(),
        "events": Event.objects.using(db).filter(org_path__startswith=p, starts_at__year=year).count(),
    }


def build(unit, year: int, progress=None) -> bytes:
    doc = Document()
    _cjk(doc)
    doc.add_heading(f"{unit.name}{year}年心理健康工作总结", level=0)
    doc.add_paragraph("本总结由社会心理服务平台依据指标汇总数据自动生成；【请填写…】处为需要撰写的内容。")
    c = counts(unit, year)
    statuses = [indicator_services.status(r.indicator, r.value, indicator_services.target_for(r.indicator, unit, year))
                for r in rollups(unit, year) if r.indicator in REGISTRY]
    for i, title in enumerate(CHAPTERS):
        doc.add_heading(f"{i + 1}. {title}", level=1)
        if i == 0:
            doc.add_paragraph(f"本年度共登记居民心理服务档案 {c['residents']} 份，完成心理测评 {c['assessments']} 人次，"
                              f"心理援助热线登记来电 {c['calls']} 个；纳入评估的 {len(statuses)} 项指标中，达标 {statuses.count('green')} 项、"
                              f"接近 {statuses.count('amber')} 项、未达标 {statuses.count('red')} 项。")
        if i == 2:
            doc.add_paragraph(f"辖区现有心理服务站点 {c['sites']} 个。")
        if i == 4:
            doc.add_paragraph(f"全年发布科普文章 {c['articles']} 篇，举办宣传活动 {c['events']} 场。")
        if i == 5:
            doc.add_paragraph(f"在岗从业人员 {c['staff']} 人。")
        if i in CHAPTER_INDICATORS:
            _table(doc, unit, year, CHAPTER_INDICATORS[i])
        doc.add_paragraph(f"【请填写：{title}的主要做法、成效与问题】")
        if progress:
            progress(int((i + 1) * 100 / len(CHAPTERS)))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
