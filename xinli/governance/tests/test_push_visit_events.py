"""Issue 19 part 5, outbound: a household visit that finds risk signs or a dispute is pushed, signed, to every 综治
platform whose area holds the household — the person as a pseudonymous reference unless the partner is declared to
receive some of their fields (then audited as an export), never the free text; a partner elsewhere gets nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from xinli.core.crypto import hmac_sm3_hex
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.governance import exchange, grids
from xinli.governance.models import ExchangeMessage, ExchangePartner, GridCell
from xinli.governance.tests.test_exchange_api import receiver  # noqa: F401  (the platform's push endpoint)
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def partners(tree, offices, monkeypatch):
    monkeypatch.setattr(exchange, "_enqueue", lambda pk: None)  # delivered by hand below, as the queue would
    report = grids.import_grids("code,name,org_unit_code,households,worker\n"
                                f"{tree.a1v1.code}-01,太平角第一网格,{tree.a1v1.code},320,village_worker_1\n")
    assert report.ok, report.errors
    account = make_user("zongzhi_api", [(tree.county_a, Role.GOVERNANCE_OFFICER)])
    county, secret = exchange.register_partner(key_id="sn-zongzhi", name="市南区综治平台", org_unit=tree.county_a, account=account,
                                               push_url="http://127.0.0.1:9/push")
    other_account = make_user("zongzhi_b", [(tree.county_b, Role.GOVERNANCE_OFFICER)])
    exchange.register_partner(key_id="sb-zongzhi", name="市北区综治平台", org_unit=tree.county_b, account=other_account,
                              push_url="http://127.0.0.1:9/push")
    return GridCell.objects.get(), county, secret


def test_risk_signs_and_a_dispute_go_to_the_areas_platform_without_identity_or_text(partners, offices, people):
    grid, county, secret = partners
    person = people.in_a1v1
    visit = grids.record_visit(offices.grid_worker, person, grid=grid, visited_on=grids.timezone.localdate(),
                               situation="夫妻常争吵，丈夫失业", risk_signs=["conflict", "imbalance"], dispute_type="family",
                               dispute_parties="张某与妻子李某", mediation="mediating", mediator="王调解员")
    messages = list(ExchangeMessage.objects.order_by("pk"))
    assert [(m.partner.key_id, m.kind) for m in messages] == [("sn-zongzhi", "risk_event"), ("sn-zongzhi", "dispute")]
    risk, dispute = (json.loads(m.payload) for m in messages)
    ref = hmac_sm3_hex(secret.encode(), f"xinli-person:{person.pk}".encode())[:32]
    assert risk["person"] == {"ref": ref} and dispute["person"] == {"ref": ref}
    assert risk["id"] == f"visit-{visit.pk}-risk" and risk["risk_signs"] == ["conflict", "imbalance"]
    assert risk["org_unit_code"] == grid.org_unit.code and risk["grid_code"] == grid.code
    assert risk["tags"] == ["conflict_distress"] and risk["plan_opened"] is True and risk["alert"] is False
    assert (dispute["dispute_type"], dispute["mediation"], dispute["mediator"], dispute["referred"]) == ("family", "mediating", "王调解员", False)
    text = " ".join(m.payload for m in messages)
    assert person.name not in text and "争吵" not in text and "李某" not in text
    assert not AuditEntry.objects.filter(action="export", purpose="exchange").exists()


def test_a_partner_declared_to_receive_fields_gets_them_audited_and_signed(partners, offices, people, receiver):  # noqa: F811
    grid, county, secret = partners
    url, got = receiver
    call_command("exchange_partner", "share", key_id="sn-zongzhi", person_fields="name,id_number")
    ExchangePartner.objects.filter(pk=county.pk).update(push_url=url)
    person = people.in_a1v1
    grids.record_visit(offices.grid_worker, person, grid=grid, visited_on=grids.timezone.localdate(), risk_signs=["paranoid"])
    (message,) = ExchangeMessage.objects.all()
    data = json.loads(message.payload)
    assert data["person"]["name"] == person.name and data["person"]["id_number"] == (person.id_number or None)
    entry = AuditEntry.objects.get(action="export", purpose="exchange")
    assert entry.person_id == person.pk and entry.detail["person_fields"] == ["name", "id_number"]
    assert exchange.deliver(message.pk).status == "sent"
    path, headers, body = got[0]
    assert json.loads(body)["kind"] == "risk_event"
    assert headers["X-Xinli-Signature"] == hmac_sm3_hex(secret.encode(), exchange.string_to_sign(
        "POST", path, headers["X-Xinli-Timestamp"], headers["X-Xinli-Nonce"], body))


def test_a_visit_without_signs_or_dispute_sends_nothing_and_bad_fields_are_refused(partners, offices, people):
    grid, _county, _secret = partners
    grids.record_visit(offices.grid_worker, people.in_a1v1, grid=grid, visited_on=grids.timezone.localdate(), situation="一切正常")
    assert not ExchangeMessage.objects.exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown diagnosis"):
        call_command("exchange_partner", "share", key_id="sn-zongzhi", person_fields="name,diagnosis")
    assert ExchangePartner.objects.get(key_id="sn-zongzhi").person_fields == []


def test_the_pushed_messages_are_in_the_openapi_schema(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    hooks = r.json()["x-webhooks"]
    assert set(hooks) == {"order_status", "risk_event", "dispute"}
    example = hooks["risk_event"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert example["data"]["risk_signs"] == ["conflict", "imbalance"] and set(example["data"]["person"]) == {"ref"}
