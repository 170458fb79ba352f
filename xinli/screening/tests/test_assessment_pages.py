import pytest

from xinli.screening.models import Assessment
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_counsellor_administers_phq9_on_the_page_and_sees_result_and_history(client, personas, people):
    login_verified(client, personas.counsellor)
    person = people.in_a1v1
    page = client.get(f"/persons/{person.pk}/assess/", {"scale": "phq9"})
    html = page.content.decode()
    assert page.status_code == 200 and 'name="item_9"' in html and "完全不会" in html
    key = html.split('name="idempotency_key" value="')[1].split('"')[0]
    data = {"scale": "phq9", "idempotency_key": key, **{f"item_{i}": "2" for i in range(1, 10)}}
    r = client.post(f"/persons/{person.pk}/assess/", data)
    assert r.status_code == 302
    a = Assessment.objects.get()
    assert (a.total, a.band, a.critical_items) == (18, "moderately_severe", ["9"])
    result = client.get(r["Location"]).content.decode()
    assert "18" in result and "12356" in result
    again = client.post(f"/persons/{person.pk}/assess/", data)  # double-click: same key, no second record
    assert again.status_code == 302 and Assessment.objects.count() == 1
    detail = client.get(f"/persons/{person.pk}/").content.decode()
    assert 'id="trend-data"' in detail and "echarts.min.js" in detail and '{"PHQ-9": [[' in detail  # chart legend: the name


def test_missing_answers_reshow_the_form_with_a_bilingual_message(client, personas, people):
    login_verified(client, personas.counsellor)
    r = client.post(f"/persons/{people.in_a1v1.pk}/assess/", {"scale": "phq9", "item_1": "1"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "第 2 题未作答" in html and "missing" not in html and 'value="1" checked' in html
    assert not Assessment.objects.exists()


def test_no_assessing_outside_the_area(client, personas, people):
    login_verified(client, personas.village_worker_1)
    assert client.get(f"/persons/{people.in_a2v1.pk}/assess/").status_code == 404


def test_personal_report_is_a_real_pdf_with_chinese_text(client, personas, people):
    from xinli.screening.services import administer

    a, _ = administer(personas.counsellor, scale="gad7", answers=[3] * 7, person=people.in_a1v1)
    login_verified(client, personas.counsellor)
    r = client.get(f"/assessments/{a.pk}/report.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and len(r.content) > 5000
    import io

    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "张三丰" in text and "12356" in text and "21" in text  # Chinese glyphs came out as text, not boxes
    other = administer(personas.counsellor, scale="phq9", answers=[0] * 9, person=people.in_a1v2)[0]
    login_verified(client, personas.village_worker_1)
    assert client.get(f"/assessments/{other.pk}/report.pdf").status_code == 404
