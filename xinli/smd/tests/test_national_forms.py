"""The national SMD forms as PDF (filled and blank), the transfer letter and the upward register in the national
system's columns: rendered, read back (pypdf text, pdftoppm image), fonts embedded, treating roles only, audited."""

import datetime
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from xinli.core.models import AuditEntry
from xinli.smd import forms_pdf, services
from xinli.testing.fixtures import login_verified

from .conftest import visit

pytestmark = pytest.mark.django_db

TITLES = {"supplement": "严重精神障碍患者个人信息补充表", "follow_up": "严重精神障碍患者随访服务记录表",
          "risk": "严重精神障碍患者危险性评估", "emergency": "严重精神障碍患者应急处置记录单", "transfer": "严重精神障碍患者转出单"}


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts_of(pdf: bytes) -> list[tuple[str, set[str]]]:
    """(font name, the FontFile keys of its descriptor) for every font used on every page (CID fonts: the
    descendant font's descriptor)."""
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for f in [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]:
                desc = f["/FontDescriptor"].get_object()
                out.append((str(f["/BaseFont"]), {k for k in desc if k.startswith("/FontFile")}))
    return out


def rendered_ink(pdf: bytes, tmp_path: Path) -> float:
    """Render page 1 with pdftoppm (poppler-utils) at 50 dpi and return the share of dark pixels."""
    from PIL import Image

    assert shutil.which("pdftoppm"), "pdftoppm missing: make browser-deps installs poppler-utils"
    src = tmp_path / "form.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", "-png", str(src), str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert image.size[0] > 350 and image.size[1] > 500  # A4 at 50 dpi: 413 × 585
    histogram = image.histogram()
    return sum(histogram[:128]) / sum(histogram)


@pytest.fixture
def followed(patient, doctor):
    fu = services.record_follow_up(doctor, patient, visit(date=timezone.localdate() - datetime.timedelta(days=3), risk=1,
                                                          insight="partial", symptoms=["hallucination", "suspicion"],
                                                          effect="improved"))
    return fu


def doctor_client(doctor):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    login_verified(client, doctor)
    return client


@pytest.mark.parametrize("key", sorted(TITLES))
def test_blank_form_renders_with_its_chinese_labels_and_embedded_fonts(key, doctor, tmp_path):
    r = doctor_client(doctor).get("/smd/forms/blank/", {"form": key})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = text_of(r.content)
    assert TITLES[key] in text and "姓名" in text
    fonts = fonts_of(r.content)
    assert fonts and all(files for _name, files in fonts), fonts  # every font embedded
    assert any("CJK" in name for name, _f in fonts)
    ink = rendered_ink(r.content, tmp_path)
    assert 0.003 < ink < 0.5, ink  # lines and text on the page, not a blank or black page


def test_risk_form_lists_the_six_levels(doctor):
    text = re.sub(r"\s", "", text_of(forms_pdf.blank_form(doctor, "risk")))
    for level, label, description in forms_pdf.RISK_LEVELS:
        assert f"□{label}" in text and description in text, level
    assert "■" not in text  # blank: nothing marked


def post_form(client, patient, **data):
    return client.post(f"/smd/patients/{patient.pk}/forms/", {"purpose": "村卫生室纸质随访", **data})


def test_filled_follow_up_record_shows_the_patients_values(patient, doctor, followed, tmp_path):
    client = doctor_client(doctor)
    r = post_form(client, patient, form="follow_up", follow_up=followed.pk)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = re.sub(r"\s", "", text_of(r.content))
    assert TITLES["follow_up"] in text and patient.person.name in text and f"P{patient.pk:06d}" in text
    assert followed.date.strftime("%Y年%m月%d日") in text
    assert "利培酮" in text and "2mg" in text and "每日两次" in text  # the medication list
    assert "■2自知力不全" in text and "■1幻觉" in text and "■3猜疑" in text and "□2交流困难" in text
    assert "■1按医嘱规律用药" in text and "■2家庭访视" in text and "■1级" in text
    assert len(PdfReader(io.BytesIO(r.content)).pages) == 1  # one A4 page, as the paper form
    fonts = fonts_of(r.content)
    assert fonts and all(files for _n, files in fonts)
    assert rendered_ink(r.content, tmp_path) > 0.003
    entry = AuditEntry.objects.get(action="export", person_id=patient.person_id, object_type="smd.patient")
    assert entry.purpose == "村卫生室纸质随访" and entry.detail == {"form": "follow_up", "follow_up": followed.pk}
    assert entry.actor_id == doctor.pk


def test_filled_supplement_risk_emergency_and_transfer(patient, doctor, followed):
    client = doctor_client(doctor)
    text = re.sub(r"\s", "", text_of(post_form(client, patient, form="supplement").content))
    assert TITLES["supplement"] in text and patient.person.id_number in text and "张父" in text
    assert "精神分裂症" in text and "F20" in text and "青岛市精神卫生中心" in text and "2020年05月01日" in text
    assert "■1同意参加管理" in text and "□0不同意参加管理" in text and "■2非贫困" in text
    assert "■2好转" in text and "□1临床痊愈" in text  # 最近一次治疗效果 (临床痊愈 on this form): the last follow-up's

    text = re.sub(r"\s", "", text_of(post_form(client, patient, form="risk").content))  # the last follow-up
    assert "■1级" in text and "□0级" in text and "□5级" in text

    em = services.record_emergency(doctor, patient, trigger="relapse", occurred_at=timezone.now() - datetime.timedelta(hours=2),
                                   actions="送市精神卫生中心", police=True, outcome="已住院", complete=True)
    text = re.sub(r"\s", "", text_of(post_form(client, patient, form="emergency", emergency=em.pk).content))
    assert TITLES["emergency"] in text and "■3病情复发、精神状况明显恶化" in text and "送市精神卫生中心" in text
    assert "■公安民警" in text and "□120急救" in text and "已住院" in text

    text = re.sub(r"\s", "", text_of(post_form(client, patient, form="transfer", receiving_place="四川省成都市武侯区").content))
    assert TITLES["transfer"] in text and "四川省成都市武侯区" in text and "精神分裂症" in text
    assert "利培酮" in text and "危险性1级" in text and str(doctor) in text and "回执" in text
    forms = [e.detail["form"] for e in AuditEntry.objects.filter(action="export", person_id=patient.person_id).order_by("id")]
    assert forms == ["supplement", "risk", "emergency", "transfer"]
    assert AuditEntry.objects.get(action="export", detail__form="transfer").detail["transfer_to"] == "四川省成都市武侯区"


def test_missing_purpose_or_receiving_place_is_a_400_naming_the_field_and_writes_nothing(patient, doctor):
    client = doctor_client(doctor)
    before = AuditEntry.objects.filter(action="export").count()
    r = client.post(f"/smd/patients/{patient.pk}/forms/", {"form": "supplement", "purpose": " "})
    assert r.status_code == 400 and "目的：此项为必填项" in r.content.decode()
    r = post_form(client, patient, form="transfer")
    assert r.status_code == 400 and "接收地：请填写患者迁往的地方" in r.content.decode()
    with pytest.raises(ValidationError) as exc:  # the service refuses without a purpose whoever calls it
        forms_pdf.render_patient_form(doctor, patient, "supplement", purpose="  ")
    assert "purpose" in exc.value.message_dict
    r = post_form(client, patient, form="emergency")
    assert r.status_code == 400
    r = post_form(client, patient, form="nonsense")
    assert r.status_code == 400
    assert AuditEntry.objects.filter(action="export").count() == before


def test_patient_forms_page_is_chinese_and_audited(patient, doctor, followed):
    client = doctor_client(doctor)
    r = client.get(f"/smd/patients/{patient.pk}/forms/", {"form": "risk", "follow_up": followed.pk})
    body = r.content.decode()
    assert r.status_code == 200 and "随访服务记录表" in body and "转出单" in body
    assert AuditEntry.objects.filter(action="read", actor_id=doctor.pk, person_id=patient.person_id, purpose="smd").exists()
    detail = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert f"/smd/patients/{patient.pk}/forms/?form=follow_up&amp;follow_up={followed.pk}" in detail
    assert "/smd/forms/blank/" in client.get("/smd/").content.decode()
    r = client.get("/smd/forms/blank/", {"form": "nonsense"})
    assert r.status_code == 400 and "表单：请选择一种国家规范表单" in r.content.decode()


def test_case_team_roles_get_404_and_nothing_is_audited_as_export(patient, police, followed):
    client = Client()
    login_verified(client, police)
    assert client.get(f"/smd/patients/{patient.pk}/forms/").status_code == 404
    assert post_form(client, patient, form="supplement").status_code == 404
    assert client.get("/smd/forms/blank/", {"form": "follow_up"}).status_code == 404
    assert client.get("/smd/export.xlsx", {"layout": "national", "purpose": "上报"}).status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()
    assert "/forms/" not in client.get(f"/smd/patients/{patient.pk}/").content.decode()
    # Breaking the glass opens the clinical details to read, not the printing of forms.
    services.break_glass(police, patient, reason="患者持刀在楼道徘徊，需了解诊断与用药以便处置")
    page = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert "/forms/" not in page
    assert post_form(client, patient, form="supplement").status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()


def test_another_patients_follow_up_cannot_fill_the_form(patient, doctor, followed, people):
    other = services.register_patient(doctor, people.in_a1v2, {
        "diagnosis": "F31", "diagnosed_by": "医院", "diagnosed_on": datetime.date(2021, 1, 1), "source": "community"})
    r = post_form(doctor_client(doctor), other, form="follow_up", follow_up=followed.pk)
    assert r.status_code == 400  # not one of this patient's follow-ups: the choice is refused
    assert not AuditEntry.objects.filter(action="export").exists()


# --- the upward register ------------------------------------------------------------------------------------------

def documented_columns() -> list[str]:
    """The national column list of docs/smd.md ("The upward register"): the first cell of each row of its table."""
    text = (Path(settings.BASE_DIR) / "docs" / "smd.md").read_text()
    section = text.split("### The upward register", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    return [line.split("|")[2].strip() for line in rows]


def test_upward_register_columns_follow_the_documented_order(patient, doctor, followed):
    client = doctor_client(doctor)
    r = client.get("/smd/export.xlsx", {"layout": "national", "purpose": "季度上报"})
    assert r.status_code == 200
    table = [list(row) for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)]
    documented = documented_columns()
    assert len(documented) == 29
    assert table[0] == documented
    row = dict(zip(table[0], table[1], strict=True))
    person = patient.person
    assert row["姓名"] == person.name and row["身份证号"] == person.id_number and row["患者编号"] == f"P{patient.pk:06d}"
    assert row["诊断"] == "精神分裂症" and row["ICD-10编码"] == "F20" and row["患者来源"] == "医院报告"
    assert row["知情同意"] == "同意参加管理" and row["管理状态"] == "在册" and row["居住情况"] == "居家"
    assert row["危险性评估"] == "1级" and row["病情分类"] == "基本稳定" and row["监护人姓名"] == "张父"
    assert row["末次随访日期"] == followed.date.isoformat() and row["性别"] in ("男", "女", "未说明")
    assert AuditEntry.objects.filter(action="export", person_id=person.pk, purpose="季度上报").exists()
    entry = AuditEntry.objects.get(action="export", object_id="register-national")
    assert entry.detail == {"patients": 1, "identified": True, "form": "national_register"}


def test_upward_register_needs_a_purpose(patient, doctor):
    r = doctor_client(doctor).get("/smd/export.xlsx", {"layout": "national"})
    assert r.status_code == 302
    assert not AuditEntry.objects.filter(action="export").exists()


def test_new_pages_read_as_chinese(patient, doctor, followed):
    from xinli.testing.crawl import english_problems, read

    services.record_emergency(doctor, patient, trigger="relapse", occurred_at=timezone.now() - datetime.timedelta(hours=1))
    client = doctor_client(doctor)
    for url in (f"/smd/patients/{patient.pk}/forms/", "/smd/forms/blank/", f"/smd/patients/{patient.pk}/", "/smd/"):
        texts, _links = read(client.get(url).content.decode())
        problems = [p for t in texts for p in english_problems(t) if p != doctor.username]  # the user's own login name
        assert not problems, (url, problems)
    r = client.post(f"/smd/patients/{patient.pk}/forms/", {"form": "transfer", "purpose": "迁出"})
    texts, _links = read(r.content.decode())
    assert r.status_code == 400 and not [p for t in texts for p in english_problems(t) if p != doctor.username]
    assert "接收地" in " ".join(texts)


def test_follow_up_record_follows_the_national_fields(doctor):
    """随访服务记录表 as the norm prints it: the national causes of death (躯体疾病 with its eight kinds), the
    medication table as 药物名称 / 用法 / 每次剂量, a 用药指导 table, and 康复措施 marked from the record."""
    from xinli.smd.models import FollowUp

    text = re.sub(r"\s", "", text_of(forms_pdf.blank_form(doctor, "follow_up")))
    for cause in ("□1躯体疾病", "①传染病和寄生虫病", "⑧不详", "□2自杀", "□3他杀", "□4意外", "□5精神疾病相关并发症", "□6其他"):
        assert cause in text, cause
    assert "药物名称用法（每日（月）＿次）每次剂量" in text and "用药指导" in text
    assert text.index("用药情况") < text.index("用药指导") < text.index("康复措施") < text.index("本次随访分类")
    fu = FollowUp(date=datetime.date(2026, 11, 2), death_cause="肿瘤（肺癌）", rehabilitation=["vocational", "社区康乐活动"],
                  symptoms=[], social_function={}, incidents={})
    ctx = forms_pdf._follow_up_context(fu)
    assert [c["n"] for c in ctx["death_causes"] if c["on"]] == ["1"]
    assert [c["label"] for c in ctx["physical_causes"] if c["on"]] == ["肿瘤"]
    assert [o["label"] for o in ctx["rehab"]["options"] if o["on"]] == ["职业训练", "其他"]
    assert ctx["rehab"]["other"] == "社区康乐活动"
    assert [c["n"] for c in forms_pdf._follow_up_context(FollowUp(death_cause="自杀", symptoms=[], social_function={},
                                                                 incidents={}, rehabilitation=[]))["death_causes"] if c["on"]] == ["2"]


def test_supplement_follows_the_national_order(doctor):
    """个人信息补充表: the national rows in the national order (identity is on the health record's basic form)."""
    text = re.sub(r"\s", "", text_of(forms_pdf.blank_form(doctor, "supplement")))
    order = ["监护人姓名", "与患者关系", "监护人住址", "监护人电话", "辖区村（居）委会联系人、电话", "户别", "就业情况", "知情同意",
             "初次发病时间", "既往主要症状", "既往关锁情况", "既往治疗情况", "目前诊断情况", "最近一次治疗效果", "危险行为",
             "经济状况", "专科医生的意见", "填表日期", "医生签字"]
    positions = [text.index(label) for label in order]
    assert positions == sorted(positions)
    assert "□1同意参加管理□0不同意参加管理" in text and "□1临床痊愈□2好转□3无变化□4加重" in text
    assert "身份证号" not in text.split("专科医生的意见")[0]  # not a row of the national form
