"""The field app's encrypted device store (static/js/field/store.js) in Debian's chromium at phone size, on a real
IndexedDB: records round-trip, nothing readable is written (no key, password, record name or value in clear),
a wrong password is refused and counted, a changed byte is detected, the store expires and is wiped, logout wipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from xinli.testing.browser import PHONE, assert_accessible, chromium_page

pytestmark = [pytest.mark.browser]

STATIC = Path(settings.BASE_DIR) / "static"
ORIGIN = "http://localhost:8765"  # localhost is a secure context (WebCrypto); every request is answered by the route
PAGE = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>设备存储测试</title>
<script src="/static/vendor/sm-crypto/sm3.js"></script><script src="/static/vendor/sm-crypto/sm4.js"></script>
<script src="/static/js/field/store.js"></script></head><body><main><h1>设备存储测试</h1></main></body></html>"""

SCENARIO = """async () => {
  const S = window.XinliStore, out = {};
  const HOUR = 3600 * 1000;
  let clock = Date.now();
  const opts = {iterations: 100000, now: () => clock};
  const hexOf = (s) => S.crypto.bytesToHex(new TextEncoder().encode(s));
  async function dump() {  // every byte the store wrote, as hex, plus the database names
    const names = (await indexedDB.databases()).map(d => d.name).filter(n => n.startsWith('xinli-field-'));
    let hex = '';
    for (const name of names) {
      const db = await new Promise((ok, ko) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
      for (const storeName of db.objectStoreNames) {
        const rows = await new Promise(ok => { const r = db.transaction(storeName).objectStore(storeName).getAll(); r.onsuccess = () => ok(r.result); });
        for (const row of rows) for (const [k, v] of Object.entries(row)) {
          hex += hexOf(k) + (v instanceof Uint8Array ? S.crypto.bytesToHex(v) : hexOf(String(v)));
        }
      }
      db.close();
    }
    return {names, hex};
  }
  async function error(promise) { try { await promise; return null; } catch (e) { return e.code || String(e); } }

  let store = await S.open('doctor1', 'Xinli-密码-2026', opts);
  await store.put('queue:0001', {form: 'smd_followup', note: '病情稳定，按时服药'});
  await store.put('queue:0002', {form: 'assessment', scale: 'phq9'});
  await store.put('person:42', {name: '张三丰', address: '东风村3组'});
  out.get = await store.get('queue:0001');
  out.list = (await store.list('queue:')).map(r => r.key);
  out.listAll = (await store.list()).map(r => r.key);
  await store.delete('queue:0002');
  out.afterDelete = [await store.get('queue:0002'), (await store.list('queue:')).length];
  const d = await dump();
  out.dbCount = d.names.length;
  out.clearText = ['doctor1', 'Xinli-密码-2026', '病情稳定', '张三丰', '东风村', 'queue', 'person', 'smd_followup']
    .filter(s => d.hex.includes(hexOf(s)));
  store.close();
  out.closed = await error(store.get('queue:0001'));

  out.wrong = await error(S.open('doctor1', 'wrong password', opts));
  store = await S.open('doctor1', 'Xinli-密码-2026', opts);
  out.reopened = (await store.get('person:42')).name;

  // change one byte of a stored record: reading it is refused
  const name = (await dump()).names[0];
  const db = await new Promise(ok => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); });
  const rows = await new Promise(ok => { const r = db.transaction('records').objectStore('records').getAll(); r.onsuccess = () => ok(r.result); });
  const victim = rows[0];
  victim.blob = new Uint8Array(victim.blob); victim.blob[20] ^= 1;
  await new Promise(ok => { const tx = db.transaction('records', 'readwrite'); tx.objectStore('records').put(victim); tx.oncomplete = ok; });
  db.close();
  out.tampered = await error(store.list());

  // expiry: 72 h after creation, unless a sync moved it
  out.ttlHours = (store.expiresAt - clock) / HOUR;
  clock += 48 * HOUR;
  await store.markSynced();
  out.afterSync = (store.expiresAt - clock) / HOUR;
  store.close();
  clock += 71 * HOUR;
  store = await S.open('doctor1', 'Xinli-密码-2026', opts);  // 119 h after creation, 71 h after the sync: still open
  out.openAfterSync = Boolean(store);
  store.close();
  clock += 2 * HOUR;
  out.expired = await error(S.open('doctor1', 'Xinli-密码-2026', opts));
  out.afterExpiry = (await dump()).names.length;

  // wrong passwords in a row wipe the store
  clock = Date.now();
  store = await S.open('doctor2', 'Another-密码-1', {...opts, maxAttempts: 3});
  await store.put('queue:1', {a: 1});
  store.close();
  out.attempts = [];
  for (let i = 0; i < 3; i++) out.attempts.push(await error(S.open('doctor2', 'nope', {...opts, maxAttempts: 3})));
  out.afterLockout = (await dump()).names.length;

  // offline reads and writes leave audit events (device time) in the store, for the sync to send
  clock = Date.parse('2026-12-05T08:00:00Z');
  store = await S.open('doctor5', 'Fifth-密码-5', {...opts, audit: true});
  await store.put('person:7', {name: '李四'});
  await store.get('person:7');
  await store.get('person:8');
  await store.list('person:');
  await store.delete('person:7');
  out.audit = (await store.list('audit:')).map(r => [r.value.action, r.value.key, r.value.deviceTime, r.value.found, r.value.keys]);
  await store.wipe();

  // logout wipes; so does a wipe without the password (account disabled, device revoked)
  store = await S.open('doctor3', 'Third-密码-3', opts);
  await store.put('queue:1', {a: 1});
  await store.wipe();
  out.afterWipe = (await dump()).names.length;
  store = await S.open('doctor4', 'Fourth-密码-4', opts);
  store.close();
  await S.wipe('doctor4');
  out.afterRevoke = (await dump()).names.length;
  return out;
}"""


def serve(route):
    """The test page, and files from static/ (the page's origin is a secure context with its own IndexedDB)."""
    path = route.request.url[len(ORIGIN):].split("?")[0]
    if path.startswith("/static/"):
        file = (STATIC / path[len("/static/"):]).resolve()
        if STATIC in file.parents and file.is_file():
            return route.fulfill(body=file.read_bytes(), content_type="text/javascript")
        return route.fulfill(status=404, body="")
    return route.fulfill(body=PAGE, content_type="text/html; charset=utf-8")


@pytest.fixture
def phone_page(monkeypatch):
    yield from chromium_page(monkeypatch, **PHONE)


def test_device_store_in_the_browser(phone_page):
    page = phone_page

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/field-store")
    assert_accessible(page)
    out = page.evaluate(SCENARIO)
    assert out["get"] == {"form": "smd_followup", "note": "病情稳定，按时服药"}
    assert out["list"] == ["queue:0001", "queue:0002"] and out["listAll"] == ["person:42", "queue:0001", "queue:0002"]
    assert out["afterDelete"] == [None, 1]  # undefined comes back as None
    assert out["dbCount"] == 1 and out["clearText"] == []
    assert out["closed"] == "closed" and out["wrong"] == "wrong_password" and out["reopened"] == "张三丰"
    assert out["tampered"] == "tampered"
    assert out["ttlHours"] == 72 and out["afterSync"] == 72 and out["openAfterSync"] is True
    assert out["expired"] == "expired" and out["afterExpiry"] == 0
    assert out["attempts"] == ["wrong_password", "wrong_password", "locked_out"] and out["afterLockout"] == 0
    t = "2026-12-05T08:00:00.000Z"
    assert out["audit"] == [["write", "person:7", t, None, None], ["read", "person:7", t, True, None],
                            ["read", "person:8", t, False, None], ["list", "person:", t, None, ["person:7"]],
                            ["delete", "person:7", t, None, None]]
    assert out["afterWipe"] == 0 and out["afterRevoke"] == 0
    assert not page.problems, page.problems


def test_client_scoring_in_the_browser_as_an_es_module(phone_page):
    """static/js/field/score.js imported as an ES module in chromium gives the server's results."""
    from xinli.scales import definitions, score

    page = phone_page
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/field-score")
    assert_accessible(page)
    cases = [("k10", {str(i): 3 for i in range(1, 9)} | {"9": 2}), ("sds", [2] * 20), ("who5", [3, 3, 3, 2, 2]),
             ("scl90", [1] * 88 + [3, 1]), ("cssrs", ["yes", "yes", "yes", "yes", "no", "no"])]
    got = page.evaluate("""async ([defs, cases]) => {
      await import('/static/js/field/score.js');
      return cases.map(([code, answers]) => XinliScore.score(defs[code], answers));
    }""", [{c: definitions.get(c).raw for c, _ in cases}, cases])
    expected = [json.loads(json.dumps(score(c, a).as_dict(), ensure_ascii=False)) for c, a in cases]
    assert got == expected
    assert (got[0]["total"], got[0]["raw_total"], got[1]["total"], got[4]["band"]) == (29, 28.89, 62, "high")
    assert not page.problems, page.problems
