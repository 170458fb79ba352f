"""The annual mental-health work summary (年度心理健康工作总结) as a Word document, following the eight chapters of
the national outline (seed 000). The figures come from the indicator rollups (each indicator in its own unit,
``indicators.display``) and from the aggregate functions of the apps that own the data (``network.stats``,
``alerts.stats``, ``hotline.stats``, ``counselling.stats``, ``accounts.stats``, ``indicators.stats``); every figure
carries its unit and its period. Narrative places are marked 【请填写…】 for the authors. Aggregates only: the document
never names a person or shows an identifier.

The period is the registry's: 1 January to the period end (31 December, or today for the current year); stocks
are taken on the period end, or as the register stands now where it keeps no history (staff, volunteers)."""

from __future__ import annotations

import datetime
import io
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone, translation
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from xinli.accounts import stats as account_stats
from xinli.alerts import stats as alert_stats
from xinli.alerts.models import Alert, CrisisCase, Level
from xinli.archives.models import Person
from xinli.core import smallcells
from xinli.core.db import read_alias
from xinli.core.periods import year_span
from xinli.counselling import stats as counselling_stats
from xinli.counselling.models import Case, Referral
from xinli.hotline import stats as hotline_stats
from xinli.hotline.models import Call
from xinli.indicators import disclosure
from xinli.indicators import services as indicator_services
from xinli.indicators import stats as indicator_stats
from xinli.indicators.display import format_parts, format_value
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY, period_end
from xinli.network import stats as network_stats
from xinli.network.models import Finding, Profession, Site
from xinli.outreach.models import Article, Event
from xinli.regions.parameters import small_cell_threshold
from xinli.screening.models import Assessment
from xinli.smd.models import FollowUp as SmdFollowUp
from xinli.smd.models import Patient

CHAPTERS = ["工作概述", "政策法规与标准制定", "心理健康服务体系构建", "心理健康服务内容与质量提升", "心理健康教育与宣传",
            "心理健康服务保障机制", "心理健康服务国际合作与交流", "心理健康服务信息化建设"]
# Chapter index (0 = chapter 1) -> the indicators tabled in it.
CHAPTER_INDICATORS = {
    2: ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T18", "T19"],
    3: ["T09", "T11", "T12", "T13", "T14", "T15", "T16", "T17", "SC1", "SC2", "AL1", "HL1", "HL2", "T21", "T20"],
    4: ["T10U", "T10R"],
    5: ["T22", "WF1"],
}
STATUS_ZH = {"green": "达标", "amber": "接近", "red": "未达标", None: "—"}
LEVELS_ZH = {"province": "省", "city": "市", "county": "县（区、市）", "township": "乡镇（街道）", "village": "村（社区）"}
PLACEHOLDER = "【请填写：{title}的主要做法、成效与问题】"


def _cjk(doc: Document) -> None:
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")  # East-Asian text font


def shown(code: str, value) -> str:
    """An indicator's value (or target) in its unit (``indicators.display.format_value``)."""
    return format_value(value, REGISTRY[code].kind)


def _platform(code: str) -> bool:
    """An indicator the platform adds (its registry ``source`` is "platform"), not one of the pilot plan's."""
    return REGISTRY[code].platform


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
    targets = indicator_services.targets_for(unit, year, codes)
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["指标", "数值", "分子/分母", "目标", "评价"], strict=True):
        cell.text = text
    for code in codes:
        r = rows.get(code)
        target = targets[code]
        value = r.value if r else None
        cells = table.add_row().cells
        cells[0].text = f"{code} {REGISTRY[code].zh}" + ("（平台指标）" if _platform(code) else "")
        cells[1].text = "*" if r is not None and r.hidden else shown(code, value)
        if r is not None and r.hidden:
            has_denominator = r.denominator is not None or "denominator" in r.hidden
            cells[2].text = _part(r, "numerator") + (f" / {_part(r, 'denominator')}" if has_denominator else "")
        else:
            cells[2].text = format_parts(r, REGISTRY[code])
        cells[3].text = shown(code, target)
        cells[4].text = STATUS_ZH[indicator_services.status(code, value, target)]
    if any(r.hidden for r in rows.values()):
        doc.add_paragraph(NOTE.format(limit=small_cell_threshold(unit)))


# Under a table with hidden cells (docs/indicators.md "Small cells").
NOTE = "注：“<{limit}”为少于{limit}人的计数，“*”为可据以推算出被隐藏数值的数字，按小数值抑制规则不予显示。"


def _grid(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def _rate(num: int, den: int) -> str:
    """A share of two counts as a percentage (the unit of a rate indicator); "—" when nobody is counted."""
    return format_value(Decimal(num) / Decimal(den), "rate") if den else "—"


def _one(value, places: int = 1) -> str:
    """A duration or a number of hours with ``places`` decimals; "—" when there is none."""
    if value is None:
        return "—"
    return f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):f}"


def _date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def counts(unit, year) -> dict:
    """Counts of the publicity and the service sites (no person is read, so the replica may answer)."""
    p = unit.path
    db = read_alias()
    return {
        "sites": Site.objects.using(db).filter(org_path__startswith=p).count(),
        "articles": Article.objects.using(db).filter(org_path__startswith=p, state="published", published_at__year=year).count(),
        "events": Event.objects.using(db).filter(org_path__startswith=p, starts_at__year=year).count(),
    }


# (label, unit of count, model, the column dating the record): the records of the unit's area held on the period end.
RECORDS = [
    ("居民心理服务档案", "份", Person, "created_at"),
    ("心理测评记录", "人次", Assessment, "taken_at"),
    ("风险预警记录", "条", Alert, "created_at"),
    ("危机干预个案", "个", CrisisCase, "opened_at"),
    ("心理援助热线来电记录", "个", Call, "started_at"),
    ("心理咨询个案", "个", Case, "opened_at"),
    ("转介记录", "人次", Referral, "sent_at"),
    ("严重精神障碍患者登记", "人", Patient, "registered_on"),
    ("严重精神障碍患者随访记录", "次", SmdFollowUp, "date"),
]


def records_held(unit, year: int, as_of: datetime.date) -> list[tuple[str, str, int]]:
    """(label, unit of count, rows) per kind of record of the unit's area created on or before the period end."""
    _lo, hi = year_span(year, as_of)
    db = read_alias()
    out = []
    for label, measure, model, column in RECORDS:
        bound = {f"{column}__lte": as_of} if column in ("registered_on", "date") else {f"{column}__lt": hi}
        out.append((label, measure, model.objects.using(db).filter(org_path__startswith=unit.path, **bound).count()))
    return out


class Summary:
    """The rollups of the unit and year, read once, and the period as the document writes it."""

    def __init__(self, unit, year: int):
        self.unit, self.year = unit, year
        self.as_of = period_end(str(year))
        self.period = f"{year}年1月1日至{self.as_of.month}月{self.as_of.day}日"
        # As every indicator reader may see them (small cells withheld, like the tables: ``rollups``).
        rows = Rollup.objects.using(read_alias()).filter(org_unit=unit, period=str(year)).select_related("org_unit")
        self.rollups = {(r.indicator, r.breakdown): r for r in disclosure.apply(None, rows)}
        self.hotline = hotline_stats.area_kpis(unit, year, self.as_of)

    def count(self, n) -> str:
        """A count of persons (alerts, crisis cases, calls, counselling cases, referrals) as every indicator reader may
        see it: below the unit's small-cell threshold it reads "<5" (docs/indicators.md "Small cells")."""
        limit = small_cell_threshold(self.unit)
        return f"<{limit}" if smallcells.is_small(n, limit) else f"{n}"

    def rate(self, part, whole) -> str:
        """``_rate`` of two person counts, withheld ("*") when either is a small cell."""
        limit = small_cell_threshold(self.unit)
        if smallcells.is_small(part, limit) or smallcells.is_small(whole, limit):
            return "*"
        return _rate(part, whole)

    def rollup(self, code: str, breakdown: str = ""):
        return self.rollups.get((code, breakdown))

    def value(self, code: str, breakdown: str = "") -> str:
        r = self.rollup(code, breakdown)
        if r is not None and getattr(r, "hidden", None):
            return "*"
        return shown(code, r.value if r else None)

    def part(self, code: str, which: str, breakdown: str = "") -> str:
        """A rollup's numerator or denominator as counted (stored unscaled), "—" when there is none."""
        r = self.rollup(code, breakdown)
        if r is not None and getattr(r, "hidden", {}).get(which):
            return _part(r, which)
        number = getattr(r, which, None) if r else None
        if number is None:
            return "—"
        return f"{Decimal(number):.0f}"


def _chapter_policy(doc, s: Summary) -> None:
    sup = network_stats.supervision(s.unit, s.year, s.as_of)
    severities = "、".join(f"{Finding.Severity(level).label} {sup.findings.get(level, 0)} 项"
                          for level in (Finding.Severity.CRITICAL, Finding.Severity.MAJOR, Finding.Severity.MINOR))
    score = f"，机构年度评价平均得分 {_one(sup.mean_score)} 分（百分制）" if sup.mean_score is not None else ""
    doc.add_paragraph(f"督导检查：{s.period}，对 {sup.institutions} 家机构开展督导检查 {sup.inspections} 次{score}；"
                      f"发现问题 {sum(sup.findings.values())} 项（{severities}）。")
    doc.add_paragraph(f"问题整改：整改期限在统计期内的整改事项 {sup.due} 项，按期完成 {sup.on_time} 项（按期完成率 "
                      f"{format_value(sup.on_time_rate, 'rate')}），逾期完成 {sup.late} 项，截至{_date(s.as_of)}仍未完成 {sup.open} 项。")
    c = network_stats.compliance(s.unit, s.as_of)
    doc.add_paragraph(f"从业规范执行：截至{_date(s.as_of)}，在岗心理咨询人员 {c.counsellors} 人，其中符合资质要求（本科及以上学历并持有效"
                      f"心理咨询师证书）{c.qualified} 人（{_rate(c.qualified, c.counsellors)}）；社会心理服务机构 {c.organisations} 家，"
                      f"其中配备至少 2 名专职合格心理咨询人员的 {c.compliant} 家（{_rate(c.compliant, c.organisations)}）。")
    doc.add_paragraph("【请填写：本年度出台的政策法规、标准规范及其执行情况】")


def _chapter_services(doc, s: Summary) -> None:
    doc.add_paragraph(f"心理测评：{s.period}，完成心理测评 {s.part('SC2', 'denominator')} 人次，其中结果为中度及以上 "
                      f"{s.part('SC2', 'numerator')} 人次（阳性率 {s.value('SC2')}）；团体心理普查应参与 {s.part('SC1', 'denominator')} 人，"
                      f"已完成 {s.part('SC1', 'numerator')} 人（完成率 {s.value('SC1')}）。")
    *levels, total = alert_stats.acknowledgement(s.unit, s.year, s.as_of)
    doc.add_paragraph(f"预警处置：{s.period}，共产生风险预警 {s.count(total.raised)} 条，按级别统计如下（按时确认：在首个确认时限内确认、"
                      "未被升级，即指标 AL1；确认用时为自预警产生至确认的分钟数）。")
    rows = [[str(Level(a.level).label) if a.level else "合计", f"{s.count(a.raised)}", f"{s.count(a.acknowledged)}",
             s.part("AL1", "numerator", f"level={a.level}" if a.level else ""), s.value("AL1", f"level={a.level}" if a.level else ""),
             _one(a.median_minutes)] for a in (*levels, total)]
    _grid(doc, ["预警级别", "预警数（条）", "已确认（条）", "按时确认（条）", "按时确认率", "确认用时中位数（分钟）"], rows)
    cr = alert_stats.crisis(s.unit, s.year, s.as_of)
    doc.add_paragraph(f"危机干预：{s.period}，新开危机干预个案 {s.count(cr.cases_opened)} 个，结案 {s.count(cr.cases_closed)} 个（其中高危结案 "
                      f"{s.count(cr.closed_high_risk)} 个）；发生群体性危机事件 {cr.events} 起，登记受影响人员 {s.count(cr.affected)} 人；"
                      f"统计期内到期的危机随访 {s.count(cr.follow_ups_due)} 次，按时完成 {s.count(cr.follow_ups_on_time)} 次（"
                      f"{s.rate(cr.follow_ups_on_time, cr.follow_ups_due)}），逾期完成 {s.count(cr.follow_ups_late)} 次，未完成 {s.count(cr.follow_ups_missed)} 次。")
    k = s.hotline
    asa = k.average_speed_of_answer
    doc.add_paragraph(f"心理援助热线：{s.period}，辖区热线登记来电 {s.count(k.calls)} 个，其中高危及紧急来电 {s.count(k.high_risk)} 个（占 "
                      f"{s.rate(k.high_risk, k.calls)}）；电话系统记录呼入 {s.part('HL1', 'denominator')} 个、接通 "
                      f"{s.part('HL1', 'numerator')} 个（接通率 {s.value('HL1')}），平均应答时长 {_one(asa)} 秒；高危来电回访完成 "
                      f"{s.part('HL2', 'numerator')} 个（回访完成率 {s.value('HL2')}）。")
    co = counselling_stats.counselling(s.unit, s.year, s.as_of)
    ref = counselling_stats.referrals(s.unit, s.year, s.as_of)
    doc.add_paragraph(f"心理咨询与转介：{s.period}，新开心理咨询个案 {s.count(co.cases_opened)} 个，结案 {s.count(co.cases_closed)} 个，开展咨询 "
                      f"{s.count(co.sessions)} 次、共 {_one(Decimal(co.session_minutes) / 60)} 小时；转介 {s.count(ref.sent)} 人次（其中紧急 {s.count(ref.urgent)} 人次、"
                      f"回转 {s.count(ref.back)} 人次），接收机构已接收 {s.count(ref.received)} 人次、已回复 {s.count(ref.replied)} 人次，自转出至回复用时中位数 "
                      f"{_one(ref.median_turnaround_hours)} 小时。")
    doc.add_paragraph(f"服务满意度：{s.period}，收回满意度答卷 {s.part('T21', 'denominator')} 份，评分 4–5 分的 "
                      f"{s.part('T21', 'numerator')} 份（满意度 {s.value('T21')}）。")


def _chapter_support(doc, s: Summary) -> None:
    w = network_stats.workforce(s.unit)
    professions = "、".join(f"{label} {w.by_profession[code]} 人" for code, label in Profession.choices if w.by_profession.get(code))
    now = _date(timezone.localdate())  # the staff and volunteer registers keep no history: as they stand now
    doc.add_paragraph(f"人才队伍：截至{now}，在岗心理服务从业人员 {w.staff} 人（专职 {w.full_time} 人）" + (f"，其中{professions}" if professions else "")
                      + f"；每万常住人口从业人员数 {s.value('WF1')}（WF1）。")
    t = network_stats.training(s.unit, s.year, s.as_of)
    doc.add_paragraph(f"培训与督导：{s.period}，从业人员完成培训 {t.attendances} 人次、共 {_one(t.hours)} 学时，涉及培训课程 {t.courses} 门；"
                      f"接受专业督导 {t.supervisions} 次、共 {_one(t.supervision_hours)} 小时；在岗人员培训覆盖率 {s.value('T22')}（T22）。")
    v = network_stats.volunteers(s.unit, s.year, s.as_of)
    doc.add_paragraph(f"志愿者队伍：截至{now}，在册志愿者 {v.active} 人（已培训 {v.trained} 人）；{s.period}，新招募 {v.recruited} 人，提供志愿服务 "
                      f"{v.services} 次、共 {_one(v.hours)} 小时，获表彰 {v.commendations} 人次。")
    _leading_group(doc, s)
    doc.add_paragraph("【请填写：经费投入、政策保障与激励机制】")


def _leading_group(doc, s: Summary) -> None:
    """组织领导: the leading group's meetings and tasks of the period, and the region's appraisal scores (issue 19)."""
    from xinli.governance.leading import task_counts
    from xinli.governance.models import GroupTask, Meeting
    from xinli.indicators import appraisal
    from xinli.indicators.models import AppraisalScheme

    lo = datetime.date(s.year, 1, 1)
    meetings = Meeting.objects.filter(org_path__startswith=s.unit.path, held_on__gte=lo, held_on__lte=s.as_of)
    own = meetings.filter(org_unit=s.unit).count()
    decided = GroupTask.objects.filter(org_path__startswith=s.unit.path, created_at__date__gte=lo, created_at__date__lte=s.as_of).count()
    on_time, due = task_counts(s.unit.path, s.year, s.as_of)
    overdue = GroupTask.objects.filter(org_path__startswith=s.unit.path, state=GroupTask.State.OPEN, due_on__lt=s.as_of).count()
    doc.add_paragraph(f"组织领导：{s.period}，辖区社会心理服务体系建设领导小组召开会议 {meetings.count()} 次（本级 {own} 次），"
                      f"部署部门任务 {decided} 项；到期任务 {due} 项中按时完成 {on_time} 项（按时完成率 {_rate(on_time, due)}），"
                      f"截至{_date(s.as_of)}逾期未完成 {overdue} 项。")
    schemes = list(AppraisalScheme.objects.filter(org_unit=s.unit, year=s.year).select_related("department").prefetch_related("items"))
    if not schemes:
        doc.add_paragraph(f"考核：{s.year}年未在平台设置考核方案。")
        return
    doc.add_paragraph("考核：按平台设置的考核方案计分（指标按目标计 0–100 分，任务按按时完成率计分，加权平均；无数值、无目标或无到期任务的项目不计分）。")
    rows = []
    for scheme in schemes:
        result = appraisal.score(scheme, s.unit)
        parts = "；".join(f"{p.label} {p.score if p.score is not None else '不计分'}（权重 {p.item.weight.normalize():f}）"
                         for p in result.parts)
        rows.append([scheme.name, scheme.department.label if scheme.department else "全地区",
                     f"{result.total} 分" if result.total is not None else "—", parts])
    _grid(doc, ["考核方案", "考核对象", "总分", "各项得分"], rows)


def _chapter_information(doc, s: Summary, held) -> None:
    use = account_stats.platform_use(s.unit, s.year, s.as_of)
    order = list(LEVELS_ZH)
    below = [level for level in order[order.index(s.unit.level) + 1:] if level in use.units] or [s.unit.level]  # a village: itself
    levels = "、".join(f"{LEVELS_ZH[level]} {use.units[level][1]} 个中的 {use.units[level][0]} 个" for level in below if level in use.units)
    doc.add_paragraph(f"平台应用：{s.period}，辖区{levels}有本单位账号使用平台；平台账号 {use.accounts} 个，其中统计期内登录或办理业务的活跃账号 "
                      f"{use.active_accounts} 个（{_rate(use.active_accounts, use.accounts)}）。")
    doc.add_paragraph(f"数据资源：截至{_date(s.as_of)}，平台存有辖区业务记录如下。")
    _grid(doc, ["记录类型", "数量", "计量单位"], [[label, f"{n}", measure] for label, measure, n in held])
    ex = indicator_stats.exchanges(s.unit, s.year, s.as_of)
    doc.add_paragraph(f"数据报送：{s.period}，向上级平台报送指标数据 {ex.exports} 次、共 {ex.exported_values} 项数值；接收下级平台报送 "
                      f"{ex.imports} 次、共 {ex.imported_values} 项数值（均为汇总数据，不含个人信息）。")


def build(unit, year: int, progress=None) -> bytes:
    with translation.override("zh-hans"):  # a Chinese document, whoever asked for it
        return _build(unit, year, progress)


def _build(unit, year: int, progress=None) -> bytes:
    doc = Document()
    _cjk(doc)
    s = Summary(unit, year)
    doc.add_heading(f"{unit.name}{year}年心理健康工作总结", level=0)
    doc.add_paragraph(f"本总结由社会心理服务平台依据指标汇总数据和业务记录自动生成，统计期为{s.period}；【请填写…】处为需要撰写的内容。"
                      + ("标注“平台指标”的为平台增设的指标，不属于试点方案的考核指标。" if any(map(_platform, REGISTRY)) else ""))
    c = counts(unit, year)
    held = records_held(unit, year, s.as_of)
    targets = indicator_services.targets_for(unit, year)
    statuses = [status for (code, breakdown), r in s.rollups.items() if breakdown == "" and code in REGISTRY
                if (status := indicator_services.status(code, r.value, targets[code])) is not None]  # a value and a target
    for i, title in enumerate(CHAPTERS):
        doc.add_heading(f"{i + 1}. {title}", level=1)
        if i == 0:
            doc.add_paragraph(f"截至{_date(s.as_of)}，平台共建立居民心理服务档案 {held[0][2]} 份；{s.period}，完成心理测评 "
                              f"{s.part('SC2', 'denominator')} 人次，心理援助热线登记来电 {s.hotline.calls} 个；"
                              f"纳入评估的 {len(statuses)} 项指标中，达标 {statuses.count('green')} 项、"
                              f"接近 {statuses.count('amber')} 项、未达标 {statuses.count('red')} 项。")
        if i == 1:
            _chapter_policy(doc, s)
        if i == 2:
            doc.add_paragraph(f"辖区现有心理服务站点 {c['sites']} 个。")
        if i == 3:
            _chapter_services(doc, s)
        if i == 4:
            doc.add_paragraph(f"{s.period}，发布科普文章 {c['articles']} 篇，举办宣传活动 {c['events']} 场。")
        if i == 5:
            _chapter_support(doc, s)
        if i == 7:
            _chapter_information(doc, s, held)
        if i in CHAPTER_INDICATORS:
            _table(doc, unit, year, CHAPTER_INDICATORS[i])
        doc.add_paragraph(PLACEHOLDER.format(title=title))
        if progress:
            progress(int((i + 1) * 100 / len(CHAPTERS)))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
