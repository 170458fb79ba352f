"""The pilot implementation/evaluation report (试点实施方案 / 评估报告) following Annex 2 of the 2018 pilot plan:
一、基本情况  二、工作基础  三、工作计划  四、保障措施 — figures from the registry rollups and the registers; narrative
places marked 【请填写…】."""

from __future__ import annotations

import io

from django.utils import translation
from docx import Document

from xinli.core.db import read_alias
from xinli.indicators import services as indicator_services
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.network.inspection import Rectification
from xinli.network.models import Inspection, Institution, Staff
from xinli.regions.models import OrgUnit
from xinli.smd.indicators import population

from .annual import _cjk, _table, rollups, shown


def build(unit, year: int, progress=None) -> bytes:
    with translation.override("zh-hans"):  # a Chinese document, whoever asked for it
        return _build(unit, year, progress)


def _build(unit, year: int, progress=None) -> bytes:
    from xinli.indicators.registry import _day

    doc = Document()
    _cjk(doc)
    doc.add_heading(f"{unit.name}社会心理服务体系建设试点实施情况报告（{year}年）", level=0)
    p = unit.path
    sub = OrgUnit.objects.filter(path__startswith=p, valid_to__isnull=True)
    doc.add_heading("一、基本情况", level=1)
    pop = population(unit, year)
    doc.add_paragraph(
        f"常住人口 {pop if pop is not None else '【请填写】'} 人；所辖县（区、市）{sub.filter(level='county').count()} 个、"
        f"乡镇（街道）{sub.filter(level='township').count()} 个、行政村（社区）{sub.filter(level='village').count()} 个。"
        f"精神专科医院 {Institution.objects.filter(org_path__startswith=p, kind='psychiatric_hospital').count()} 家，"
        f"综合医院 {Institution.objects.filter(org_path__startswith=p, kind='general_hospital').count()} 家；"
        f"在岗心理服务从业人员 {Staff.objects.filter(org_path__startswith=p, active=True).count()} 人。经济情况：【请填写】")
    if progress:
        progress(25)
    doc.add_heading("二、工作基础", level=1)
    doc.add_heading("（一）组织领导", level=2)
    t19 = Rollup.objects.using(read_alias()).filter(org_unit=unit, period=str(year), indicator="T19", breakdown="").first()
    doc.add_paragraph(f"乡镇（街道）精神卫生综合管理小组建成率 {shown('T19', t19.value if t19 else None)}。【请填写：领导小组与部门协作机制】")
    doc.add_heading("（二）具体工作措施、经验、特色", level=2)
    doc.add_paragraph("【请填写】")
    doc.add_heading("（三）急需解决的问题", level=2)
    red = []
    for r in rollups(unit, year):  # small cells withheld: a hidden value is not listed
        if r.indicator in REGISTRY:
            target = indicator_services.target_for(r.indicator, unit, year)
            if indicator_services.status(r.indicator, r.value, target) == "red":
                red.append(f"{r.indicator} {REGISTRY[r.indicator].zh}：{shown(r.indicator, r.value)}（目标 {shown(r.indicator, target)}）")
    doc.add_paragraph("未达标指标：" + ("；".join(sorted(red)) if red else "无") + "。【请补充】")
    if progress:
        progress(50)
    doc.add_heading("三、工作计划", level=1)
    doc.add_heading("（一）目标", level=2)
    _table(doc, unit, year, list(REGISTRY))
    doc.add_heading("（二）策略与措施", level=2)
    doc.add_paragraph("【请填写】")
    doc.add_heading("（三）组织实施", level=2)
    doc.add_paragraph("【请填写】")
    doc.add_heading("（四）督导评估", level=2)
    day = _day(year)
    inspections = Inspection.objects.filter(org_path__startswith=p, date__year=year).count()
    open_rect = Rectification.objects.filter(org_path__startswith=p, state="open").count()
    overdue = Rectification.objects.filter(org_path__startswith=p, state="open", deadline__lt=day).count()
    doc.add_paragraph(f"本年度开展督导检查 {inspections} 次；尚未完成整改 {open_rect} 项，其中逾期 {overdue} 项。【请补充】")
    if progress:
        progress(75)
    doc.add_heading("四、保障措施", level=1)
    doc.add_paragraph("【请填写：经费支持、政策优惠、机制创新等】")
    if progress:
        progress(100)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
