"""The national SMD forms as printable PDF (国家基本公共卫生服务规范（第三版）严重精神障碍患者管理服务规范 and the
严重精神障碍管理治疗工作规范（2018年版）): 个人信息补充表, 随访服务记录表, 危险性评估 (0–5级), 应急处置记录单, and the
转出单 (transfer letter) for a patient moving to a place without the platform.

Each form is filled from the record (the options the record holds are marked ■, the others □; a field the register
does not hold stays empty for the doctor to write in) or printed blank for paper work in villages. The forms are
Chinese documents: their labels are the national forms' own text, rendered in Chinese whatever the reader's
language, with Noto Sans CJK embedded (WeasyPrint, like ``xinli.screening.reports``).

Access: a treating user (``smd.view`` over the patient) only; an identified form is an export of a person with a
stated purpose and is audited (``render_patient_form``); blank forms carry no personal data.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.policy import SMD_VIEW
from xinli.core.scoping import has_capability

from .models import SYMPTOMS, Emergency, FollowUp, Patient, TeamRole
from .selectors import treats

# The national option lists (number, label) and our codes for them.
MODE = [("clinic", "1", "门诊"), ("home", "2", "家庭访视"), ("phone", "3", "电话")]
LOST = [("migrant_work", "1", "外出打工"), ("moved", "2", "迁居他处"), ("missing", "3", "走失"),
        ("three_misses", "4", "连续3次未到访"), ("other", "5", "其他")]
SYMPTOM_LABELS = ["幻觉", "交流困难", "猜疑", "喜怒无常", "行为怪异", "兴奋话多", "伤人毁物", "悲观厌世", "无故外走",
                  "自语自笑", "孤僻懒散", "其他"]
SYMPTOM_OPTIONS = [(code, str(i), label) for i, (code, label) in enumerate(zip(SYMPTOMS, SYMPTOM_LABELS, strict=True), start=1)]
INSIGHT = [("complete", "1", "自知力完全"), ("partial", "2", "自知力不全"), ("absent", "3", "自知力缺失")]
LEVEL3 = [("good", "1", "良好"), ("fair", "2", "一般"), ("poor", "3", "较差")]
SOCIAL = [("self_care", "个人生活料理"), ("housework", "家务劳动"), ("work", "生产劳动及工作"), ("study", "学习能力"),
          ("social_contact", "社会人际交往")]
INCIDENTS = [("minor_trouble", "1", "轻度滋事"), ("trouble", "2", "肇事"), ("disaster", "3", "肇祸"),
             ("other_harm", "4", "其他危害行为"), ("self_harm", "5", "自伤"), ("suicide_attempt", "6", "自杀未遂")]
LOCKED = [("none", "1", "无关锁"), ("locked", "2", "关锁"), ("released", "3", "关锁已解除")]
HOSPITALISED = [("none", "0", "从未住院"), ("current", "1", "目前正在住院"), ("past", "2", "既往住院，现未住院")]
ADHERENCE = [("regular", "1", "按医嘱规律用药"), ("intermittent", "2", "间断用药"), ("none", "3", "不用药"),
             ("not_needed", "4", "医嘱勿需用药")]
EFFECT = [("cured", "1", "痊愈"), ("improved", "2", "好转"), ("unchanged", "3", "无变化"), ("worse", "4", "加重")]
YES_NO = [("no", "1", "无"), ("yes", "2", "有")]
REFERRAL = [("no", "1", "否"), ("yes", "2", "是")]
REHAB = [("living", "1", "生活劳动能力"), ("vocational", "2", "职业训练"), ("learning", "3", "学习能力"),
         ("social", "4", "社会交往"), ("other", "5", "其他")]
CLASSIFICATION = [("unstable", "1", "不稳定"), ("basically_stable", "2", "基本稳定"), ("stable", "3", "稳定")]
CONSENT = [("yes", "1", "同意参加管理"), ("no", "0", "不同意参加管理")]
# 个人信息补充表 "最近一次治疗效果" says 临床痊愈 where the follow-up record says 痊愈.
EFFECT_SUPPLEMENT = [("cured", "1", "临床痊愈"), ("improved", "2", "好转"), ("unchanged", "3", "无变化"), ("worse", "4", "加重")]
# 随访服务记录表 "如死亡，日期和原因": the national causes (the record keeps the cause as text; a text naming one of
# them marks it, any other text is written beside the list).
DEATH_CAUSES = [("1", "躯体疾病"), ("2", "自杀"), ("3", "他杀"), ("4", "意外"), ("5", "精神疾病相关并发症"), ("6", "其他")]
PHYSICAL_CAUSES = ["传染病和寄生虫病", "肿瘤", "心脏病", "脑血管病", "呼吸系统疾病", "消化系统疾病", "其他疾病", "不详"]
ECONOMY = [("poor", "1", "贫困，在当地贫困线标准以下"), ("not_poor", "2", "非贫困"), ("unknown", "3", "不详")]
TRIGGER = [("self_harm", "1", "伤害自身的行为或危险"), ("danger_others", "2", "危害公共安全或他人安全的行为或危险"),
           ("relapse", "3", "病情复发、精神状况明显恶化"), ("adverse_reaction", "4", "与精神疾病药物相关的急性不良反应")]
SEX = [("M", "1", "男"), ("F", "2", "女"), ("U", "9", "未说明")]
# The six diseases with their ICD-10 codes as the national register writes them (F7x is the range F70–F79).
ICD10 = {"F20": "F20", "F25": "F25", "F22": "F22", "F31": "F31", "F06": "F06", "F7x": "F70-F79"}
DIAGNOSIS = {"F20": "精神分裂症", "F25": "分裂情感性障碍", "F22": "持久的妄想性障碍（偏执性精神病）", "F31": "双相（情感）障碍",
             "F06": "癫痫所致精神障碍", "F7x": "精神发育迟滞伴发精神障碍"}
# 危险性评估 levels, the text of the national norms.
RISK_LEVELS = [
    (0, "0级", "无符合以下1～5级中的任何行为"),
    (1, "1级", "口头威胁，喊叫，但没有打砸行为"),
    (2, "2级", "打砸行为，局限在家里，针对财物，能被劝说制止"),
    (3, "3级", "明显打砸行为，不分场合，针对财物，不能接受劝说而停止"),
    (4, "4级", "持续的打砸行为，不分场合，针对财物或人，不能接受劝说而停止（包括自伤、自杀）"),
    (5, "5级", "持械针对人的任何暴力行为，或者纵火、爆炸等行为，无论在家里还是公共场合"),
]


@dataclass(frozen=True)
class FormKind:
    key: str
    title: str  # the national form's name (Chinese: the document's own title)
    template: str
    source: str  # what fills it: patient / follow_up / emergency


FORMS = {
    "supplement": FormKind("supplement", "严重精神障碍患者个人信息补充表", "smd/forms/supplement.html", "patient"),
    "follow_up": FormKind("follow_up", "严重精神障碍患者随访服务记录表", "smd/forms/follow_up.html", "follow_up"),
    "risk": FormKind("risk", "严重精神障碍患者危险性评估", "smd/forms/risk.html", "follow_up"),
    "emergency": FormKind("emergency", "严重精神障碍患者应急处置记录单", "smd/forms/emergency.html", "emergency"),
    "transfer": FormKind("transfer", "严重精神障碍患者转出单", "smd/forms/transfer.html", "patient"),
}


def options(choices, selected) -> list[dict]:
    """``choices`` as (code, number, label) with ``on`` for the selected code(s)."""
    chosen = set(selected) if isinstance(selected, (list, set, tuple)) else {selected}
    return [{"n": n, "label": label, "on": code in chosen} for code, n, label in choices]


def medications(fu: FollowUp | None) -> list[dict]:
    """The follow-up's medication list as [{name, dose, usage}] (older rows may hold plain text)."""
    if fu is None or not fu.medications:
        return []
    try:
        meds = json.loads(fu.medications)
    except ValueError:
        return [{"name": fu.medications, "dose": "", "usage": ""}]
    meds = meds if isinstance(meds, list) else [meds]
    return [{k: str(m.get(k, "")) for k in ("name", "dose", "usage")} if isinstance(m, dict) else {"name": str(m), "dose": "", "usage": ""}
            for m in meds]


def _d(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M")
    return value.strftime("%Y年%m月%d日")


def patient_number(patient: Patient) -> str:
    """The form's 编号: the register number (the export number of ``xinli.smd.export``)."""
    return f"P{patient.pk:06d}"


def responsible_unit(patient: Patient) -> str:
    """The patient's residence unit with its ancestors below the province (e.g. 市南区 八大湖街道 一村)."""
    from xinli.regions.models import OrgUnit

    unit = patient.person.org_unit
    names = dict(OrgUnit.objects.filter(pk__in=unit.ancestor_ids).values_list("pk", "name"))
    return " ".join(names[i] for i in unit.ancestor_ids[1:] if i in names) or unit.name


def _patient_context(patient: Patient) -> dict:
    person = patient.person
    village = patient.team.filter(role=TeamRole.VILLAGE).first()
    economy = "poor" if patient.poor else "not_poor"
    return {
        "name": person.name, "number": patient_number(patient), "sex": options(SEX, person.sex), "sex_label": dict((c, label) for c, _n, label in SEX).get(person.sex, ""),
        "birth_date": _d(person.birth_date), "id_number": person.id_number or "", "address": person.address or "",
        "phone": person.phone or "", "guardian_name": patient.guardian_name or "", "guardian_phone": patient.guardian_phone or "",
        "village_contact": (str(village.user) if village and village.user else (village.name if village else "")) or "",
        "village_phone": (village.phone if village else "") or "",
        "consent": options(CONSENT, "yes" if patient.consent_community else "no"), "consent_on": _d(patient.consent_on),
        "diagnosis": DIAGNOSIS.get(patient.diagnosis, ""), "icd10": ICD10.get(patient.diagnosis, ""),
        "diagnosed_by": patient.diagnosed_by, "diagnosed_on": _d(patient.diagnosed_on), "registered_on": _d(patient.registered_on),
        "economy": options(ECONOMY, economy), "doctor": str(patient.doctor) if patient.doctor else "",
        "unit": responsible_unit(patient), "risk": patient.risk,
        "classification": dict((c, label) for c, _n, label in CLASSIFICATION).get(patient.classification, ""),
        "last_follow_up": _d(patient.last_follow_up),
    }


def _follow_up_context(fu: FollowUp) -> dict:
    labs = fu.labs or ""
    adverse = fu.adverse_reaction or ""
    referred = bool(fu.referral_institution or fu.referral_reason)
    inc = fu.incidents or {}
    return {
        "date": _d(fu.date), "mode": options(MODE, fu.mode), "lost": options(LOST, fu.lost_reason),
        "death_date": _d(fu.death_date), "death_cause": fu.death_cause,
        "risk": options([(i, "", label) for i, label, _t in RISK_LEVELS], fu.risk), "risk_value": fu.risk,
        "symptoms": options(SYMPTOM_OPTIONS, fu.symptoms or []), "insight": options(INSIGHT, fu.insight),
        "sleep": options(LEVEL3, fu.sleep), "diet": options(LEVEL3, fu.diet),
        "social": [{"label": label, "options": options(LEVEL3, (fu.social_function or {}).get(key, ""))} for key, label in SOCIAL],
        "incidents": [{"n": n, "label": label, "count": inc.get(code) or "", "on": bool(inc.get(code))} for code, n, label in INCIDENTS],
        "no_incidents": bool(fu.date) and not any(inc.values()),
        "locked": options(LOCKED, fu.locked), "hospitalised": options(HOSPITALISED, fu.hospitalised),
        "labs": options(YES_NO, "yes" if labs else ("no" if fu.pk else "")), "labs_text": labs,
        "adherence": options(ADHERENCE, fu.adherence),
        "adverse": options(YES_NO, "yes" if (fu.acute_adverse_reaction or adverse) else ("no" if fu.pk else "")), "adverse_text": adverse,
        "effect": options(EFFECT, fu.effect), "effect_supplement": options(EFFECT_SUPPLEMENT, fu.effect),
        "death_causes": _death_causes(fu.death_cause or ""), "physical_causes": _physical_causes(fu.death_cause or ""),
        "rehab": _rehab(fu.rehabilitation or []),
        "referral": options(REFERRAL, "yes" if referred else ("no" if fu.pk else "")), "referral_reason": fu.referral_reason or "",
        "referral_to": " ".join(x for x in (fu.referral_institution, fu.referral_department) if x),
        "medications": medications(fu), "rehabilitation": "、".join(str(r) for r in fu.rehabilitation or []),
        "classification": options(CLASSIFICATION, fu.classification), "next_due": _d(fu.next_due),
        "doctor": str(fu.doctor) if fu.doctor_id else "",
        "symptom_labels": "、".join(label for code, _n, label in SYMPTOM_OPTIONS if code in (fu.symptoms or [])),
        "adherence_label": dict((c, label) for c, _n, label in ADHERENCE).get(fu.adherence, ""),
        "effect_label": dict((c, label) for c, _n, label in EFFECT).get(fu.effect, ""),
        "mode_label": dict((c, label) for c, _n, label in MODE).get(fu.mode, ""),
        "classification_label": dict((c, label) for c, _n, label in CLASSIFICATION).get(fu.classification, ""),
    }


def _death_causes(text: str) -> list[dict]:
    physical = any(c in text for c in PHYSICAL_CAUSES) or "躯体" in text
    return [{"n": n, "label": label, "on": bool(text) and (label in text or (n == "1" and physical))} for n, label in DEATH_CAUSES]


def _physical_causes(text: str) -> list[dict]:
    return [{"n": "①②③④⑤⑥⑦⑧"[i], "label": label, "on": bool(text) and label in text} for i, label in enumerate(PHYSICAL_CAUSES)]


def _rehab(values) -> dict:
    """康复措施: the national options marked from the record's values (a code or the option's text); other values
    are written out after 其他."""
    values = [str(v) for v in values]
    known = {code: label for code, _n, label in REHAB}
    marked = {code for code, label in known.items() if code in values or label in values}
    rest = [v for v in values if v not in known and v not in known.values()]
    if rest:
        marked.add("other")
    return {"options": [{"n": n, "label": label, "on": code in marked} for code, n, label in REHAB], "other": "、".join(rest)}


def _emergency_context(em: Emergency) -> dict:
    return {
        "occurred_at": _d(em.occurred_at), "trigger": options(TRIGGER, em.trigger), "actions": em.actions or "",
        "police": em.police, "ambulance": em.ambulance, "outcome": em.outcome or "", "completed_at": _d(em.completed_at),
        "recorded_by": str(em.created_by) if em.created_by_id else "",
    }


def _blank_follow_up() -> dict:
    return _follow_up_context(FollowUp(date=None, mode="", symptoms=[], social_function={}, incidents={}, rehabilitation=[]))


def _render(kind: FormKind, context: dict) -> bytes:
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(kind.template, {"form": kind, "risk_levels": RISK_LEVELS, "rehab_options": REHAB, **context})
    return HTML(string=html).write_pdf()


def blank_form(user, key: str) -> bytes:
    """A blank form for paper work (no personal data); treating roles only, like the filled ones."""
    if not has_capability(user, SMD_VIEW):
        raise PermissionDenied
    if key not in FORMS:
        raise field_error("form", _("Form: choose one of the national forms."))
    kind = FORMS[key]
    blank_patient = {"name": "", "number": "", "sex": options(SEX, ""), "consent": options(CONSENT, ""), "economy": options(ECONOMY, "")}
    context = {"blank": True, "p": blank_patient, "f": _blank_follow_up(), "e": {"trigger": options(TRIGGER, "")},
               "today": "", "receiving_place": ""}
    return _render(kind, context)


def render_patient_form(user, patient: Patient, key: str, *, purpose: str, follow_up: FollowUp | None = None,
                        emergency: Emergency | None = None, receiving_place: str = "") -> bytes:
    """A form filled from ``patient`` (and the follow-up or emergency it is about), for a treating user with a
    purpose; audited as an export of the person (purpose, form, the row it was filled from)."""
    if not treats(user, patient):
        raise PermissionDenied
    if key not in FORMS:
        raise field_error("form", _("Form: choose one of the national forms."))
    if not purpose.strip():
        raise field_error("purpose", _("Purpose: a form with the patient's details needs the purpose of printing it."))
    kind = FORMS[key]
    if follow_up is not None and follow_up.patient_id != patient.pk or emergency is not None and emergency.patient_id != patient.pk:
        raise PermissionDenied
    last = patient.follow_ups.select_related("doctor").order_by("-date", "-id").first()
    if kind.source == "follow_up" and follow_up is None:
        follow_up = last
    if kind.source == "emergency" and emergency is None:
        raise field_error("emergency", _("Emergency: choose the emergency the record is about."))
    if kind.key == "transfer" and not receiving_place.strip():
        raise field_error("receiving_place", _("Receiving place: type where the patient moves (county, township, institution)."))
    context = {"blank": False, "p": _patient_context(patient), "today": _d(timezone.localdate()),
               "f": _follow_up_context(follow_up or last) if (follow_up or last) else _blank_follow_up(),
               "e": _emergency_context(emergency) if emergency else {"trigger": options(TRIGGER, "")},
               "last": _follow_up_context(last) if last else None, "receiving_place": receiving_place.strip()}
    if kind.source == "follow_up" and follow_up is None and patient.risk is not None:
        context["f"]["risk"] = options([(i, "", label) for i, label, _t in RISK_LEVELS], patient.risk)
    pdf = _render(kind, context)
    detail = {"form": key}
    if follow_up is not None and kind.source == "follow_up":
        detail["follow_up"] = follow_up.pk
    if emergency is not None:
        detail["event"] = emergency.pk
    if kind.key == "transfer":
        detail["transfer_to"] = receiving_place.strip()[:100]
    audit.record(user, audit.Action.EXPORT, obj=patient, person=patient.person, org_path=patient.org_path,
                 purpose=purpose.strip()[:60], detail=detail)
    return pdf
