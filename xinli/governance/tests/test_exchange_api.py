"""The exchange API with an external 综治 platform (issue 19 part 5). A test client plays the platform: it signs its
requests with the shared secret (HMAC-SM3), sends a 12345 order twice (one order), reads its state, and receives the
result Xinli pushes to it (a local HTTP server that checks Xinli's signature). Bad signatures, stale timestamps,
replays and orders outside its area are refused and write nothing."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.test import Client

from xinli.core.crypto import hmac_sm3_hex
from xinli.core.policy import Role
from xinli.governance import exchange, services
from xinli.governance.models import ExchangeMessage, ExchangeNonce, WorkOrder
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
PATH = "/api/v1/exchange/orders/"


class Platform:
    """The external platform's client."""

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret, self.client = key_id, secret, Client()

    def headers(self, method, path, body: bytes, **over):
        h = {"X-Xinli-Partner": self.key_id, **exchange.sign(self.secret, method, path, body)}
        h.update(over)
        return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in h.items()}

    def post(self, data, **over):
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return self.client.post(PATH, body, content_type="application/json", **self.headers("POST", PATH, body, **over))

    def get(self, sender_id, **over):
        path = f"{PATH}{sender_id}/"
        return self.client.get(path, **self.headers("GET", path, b"", **over))


@pytest.fixture
def platform(offices, tree):
    account = make_user("zongzhi_api", [(tree.county_a, Role.GOVERNANCE_OFFICER)])
    partner, secret = exchange.register_partner(key_id="qd-zongzhi", name="市南区综治平台", org_unit=tree.county_a, account=account)
    return Platform(partner.key_id, secret)


ORDER = {"id": "12345-2026-000123", "kind": "hardship_aid", "title": "独居老人生活困难", "description": "来电人反映邻居独居老人生活困难。",
         "org_unit_code": "370202001001"}


def test_an_order_sent_twice_is_one_order_and_its_state_can_be_read(platform, offices):
    r = platform.post(ORDER)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "dispatched" and body["office"] == "八大关街道民政办" and body["id"] == ORDER["id"]
    order = WorkOrder.objects.get()
    assert order.external_id == "qd-zongzhi:12345-2026-000123" and order.created_by.username == "zongzhi_api"
    r2 = platform.post(ORDER)  # the same id again (a retry after a lost answer): the same order
    assert r2.status_code == 200 and r2.json()["order"] == order.pk and WorkOrder.objects.count() == 1
    services.accept(offices.civil_worker, order)
    state = platform.get(ORDER["id"])
    assert state.status_code == 200 and state.json()["state"] == "accepted"
    assert [e["kind"] for e in state.json()["events"]] == ["dispatched", "accepted"]
    assert platform.get("unknown-id").status_code == 404


def test_bad_signatures_stale_timestamps_replays_and_unknown_partners_are_refused(platform):
    body = json.dumps(ORDER).encode()
    assert platform.post(ORDER, **{"X-Xinli-Signature": "0" * 64}).status_code == 401
    stale = str(int(time.time()) - 3600)
    r = platform.post(ORDER, **{"X-Xinli-Timestamp": stale})  # signed with the stale time: still refused
    assert r.status_code == 401
    r = platform.post(ORDER, **{"X-Xinli-Partner": "someone-else"})
    assert r.status_code == 401 and "X-Xinli-Partner" in r.json()["detail"]
    assert Client().post(PATH, body, content_type="application/json").status_code == 401  # unsigned
    assert not WorkOrder.objects.exists()
    # A replay: the very same signed request a second time.
    headers = platform.headers("POST", PATH, body)
    assert platform.client.post(PATH, body, content_type="application/json", **headers).status_code == 201
    replay = platform.client.post(PATH, body, content_type="application/json", **headers)
    assert replay.status_code == 409 and "nonce" in replay.json()["detail"]
    assert WorkOrder.objects.count() == 1 and ExchangeNonce.objects.count() == 1
    # The body changed after signing: refused.
    other = json.dumps({**ORDER, "id": "x2"}).encode()
    assert platform.client.post(PATH, other, content_type="application/json", **platform.headers("POST", PATH, body)).status_code == 401


def test_bad_orders_name_the_field_in_both_languages_and_write_nothing(platform, tree):
    r = platform.post({**ORDER, "org_unit_code": tree.b1v1.code})  # outside the partner's area (county B)
    assert r.status_code == 400 and "org_unit_code" in r.json()
    assert " / " in r.json()["org_unit_code"][0]  # Chinese / English
    r = platform.post({**ORDER, "kind": "nonsense"})
    assert r.status_code == 400 and "kind" in r.json()
    r = platform.post({k: v for k, v in ORDER.items() if k != "title"})
    assert r.status_code == 400 and "title" in r.json()
    assert not WorkOrder.objects.exists()


@pytest.fixture
def receiver():
    """The external platform's push endpoint: a local HTTP server recording what it is sent."""
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xinli/push", got
    server.shutdown()


def test_the_result_is_pushed_to_the_platform_signed(platform, offices, receiver, monkeypatch):
    url, got = receiver
    from xinli.governance.models import ExchangePartner

    ExchangePartner.objects.filter(key_id="qd-zongzhi").update(push_url=url)
    monkeypatch.setattr(exchange, "_enqueue", lambda pk: None)  # delivered below, as the queue's task would
    platform.post(ORDER)
    order = WorkOrder.objects.get()
    services.accept(offices.civil_worker, order)
    services.complete(offices.civil_worker, order, result="已发放临时救助")
    messages = list(ExchangeMessage.objects.order_by("pk"))
    assert [json.loads(m.payload)["state"] for m in messages] == ["accepted", "done"]
    for m in messages:
        assert exchange.deliver(m.pk).status == "sent"
    assert len(got) == 2
    path, headers, body = got[-1]
    assert path == "/xinli/push" and json.loads(body)["data"]["result"] == "已发放临时救助"
    # The platform checks the signature with the shared secret.
    expected = hmac_sm3_hex(platform.secret.encode(), exchange.string_to_sign("POST", path, headers["X-Xinli-Timestamp"],
                                                                              headers["X-Xinli-Nonce"], body))
    assert headers["X-Xinli-Signature"] == expected and headers["X-Xinli-Partner"] == "qd-zongzhi"


def test_an_unreachable_platform_keeps_the_message_and_counts_attempts(platform, offices, monkeypatch):
    from xinli.governance.models import ExchangePartner

    ExchangePartner.objects.filter(key_id="qd-zongzhi").update(push_url="http://127.0.0.1:9/unreachable")
    monkeypatch.setattr(exchange, "_enqueue", lambda pk: None)
    platform.post(ORDER)
    services.accept(offices.civil_worker, WorkOrder.objects.get())
    (message,) = ExchangeMessage.objects.all()
    message = exchange.deliver(message.pk, timeout=2)
    assert (message.status, message.attempts) == ("pending", 1) and message.last_error
    assert exchange.pending_messages() == [message.pk]


def test_the_command_registers_a_partner_and_prints_the_secret_once(tree, capsys):
    make_user("zongzhi_api2", [(tree.city, Role.GOVERNANCE_OFFICER)])
    call_command("exchange_partner", "add", "--key-id", "qd", "--name", "青岛综治", "--unit", tree.city.code, "--account", "zongzhi_api2")
    out = capsys.readouterr().out
    from xinli.governance.models import ExchangePartner

    assert ExchangePartner.objects.get(key_id="qd").secret in out
    make_user("nobody_api")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("exchange_partner", "add", "--key-id", "q2", "--unit", tree.city.code, "--account", "nobody_api")
