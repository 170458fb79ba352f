"""The field app's device store encryption (static/js/field/store.js, vendored sm-crypto) against Python's
``cryptography`` (the SM4 and SM3 that xinli.core.crypto uses): published vectors, the same bytes both ways, and
tampering refused. The IndexedDB part is exercised in the browser (test_browser_field_store.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

STORE_JS = Path(settings.BASE_DIR) / "static" / "js" / "field" / "store.js"
RUNNER = Path(__file__).with_name("field_store_runner.cjs")
NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the device store's crypto cannot be run")


def node(ops: list[dict]) -> list:
    proc = subprocess.run([NODE, str(RUNNER), str(STORE_JS)], input=json.dumps(ops), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# --- the same construction in Python (reference) ------------------------------------------------------------------
def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def sm4_cbc(key: bytes, iv: bytes, data: bytes, decrypt=False) -> bytes:
    cipher = Cipher(algorithms.SM4(key), modes.CBC(iv))
    if decrypt:
        d = cipher.decryptor()
        padded = d.update(data) + d.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    padder = padding.PKCS7(128).padder()
    e = cipher.encryptor()
    return e.update(padder.update(data) + padder.finalize()) + e.finalize()


def py_seal(enc: bytes, mac: bytes, plaintext: bytes, aad: bytes, iv: bytes) -> bytes:
    body = b"\x01" + iv + sm4_cbc(enc, iv, plaintext)
    return body + hmac_sm3(mac, b"XF1" + len(aad).to_bytes(4, "big") + aad + body)


def py_unseal(enc: bytes, mac: bytes, envelope: bytes, aad: bytes) -> bytes:
    body, tag = envelope[:-32], envelope[-32:]
    assert body[0] == 1
    assert hmac_sm3(mac, b"XF1" + len(aad).to_bytes(4, "big") + aad + body) == tag, "tag does not verify"
    return sm4_cbc(enc, body[1:17], body[17:], decrypt=True)


ENC = bytes.fromhex("0123456789abcdeffedcba9876543210")
MAC = bytes(range(32))
TEXTS = ["", "a", "x" * 15, "y" * 16, "z" * 17, "随访记录：病情稳定，按时服药。", json.dumps({"form": "smd", "n": list(range(300))})]


def test_published_vectors_sm3_and_sm4():
    # GB/T 32905 example 1: SM3("abc"); GB/T 32907 example: SM4 of 0123…3210 under the same key is 681edf34…
    # (one CBC block with a zero IV is the bare block cipher; the second block is the PKCS#7 padding block).
    sm3_abc, cbc = node([{"op": "sm3", "data": b"abc".hex()},
                         {"op": "sm4_cbc", "key": ENC.hex(), "iv": "00" * 16, "data": ENC.hex()}])
    assert sm3_abc == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert cbc[:32] == "681edf34d206965e86b3e94f536e4246" and len(cbc) == 64
    assert bytes.fromhex(cbc) == sm4_cbc(ENC, bytes(16), ENC)


def test_hmac_sm3_equals_pythons_for_short_block_and_long_keys():
    cases = [(os.urandom(k), os.urandom(n)) for k in (1, 16, 32, 64, 65, 100) for n in (0, 1, 63, 64, 65, 1000)]
    got = node([{"op": "hmac", "key": k.hex(), "data": d.hex()} for k, d in cases])
    assert got == [hmac_sm3(k, d).hex() for k, d in cases]


def test_js_seals_python_opens_and_python_seals_js_opens():
    ivs = [os.urandom(16) for _ in TEXTS]
    sealed = node([{"op": "seal", "enc": ENC.hex(), "mac": MAC.hex(), "text": t, "aad": f"rec:{i}", "iv": iv.hex()}
                   for i, (t, iv) in enumerate(zip(TEXTS, ivs, strict=True))])
    for i, (text, iv, envelope) in enumerate(zip(TEXTS, ivs, sealed, strict=True)):
        raw = bytes.fromhex(envelope)
        assert raw == py_seal(ENC, MAC, text.encode(), f"rec:{i}".encode(), iv)  # byte for byte
        assert py_unseal(ENC, MAC, raw, f"rec:{i}".encode()).decode() == text
    envelopes = [py_seal(ENC, MAC, t.encode(), b"meta:check", os.urandom(16)) for t in TEXTS]
    opened = node([{"op": "unseal", "enc": ENC.hex(), "mac": MAC.hex(), "envelope": e.hex(), "aad": "meta:check"}
                   for e in envelopes])
    assert opened == TEXTS


def test_random_iv_per_record():
    a, b = node([{"op": "seal", "enc": ENC.hex(), "mac": MAC.hex(), "text": "same", "aad": "rec:1"}] * 2)
    assert a != b and a[2:34] != b[2:34]
    assert py_unseal(ENC, MAC, bytes.fromhex(a), b"rec:1") == py_unseal(ENC, MAC, bytes.fromhex(b), b"rec:1") == b"same"


def test_tampering_wrong_place_and_wrong_key_are_refused():
    envelope = py_seal(ENC, MAC, "病情稳定".encode(), b"rec:7", os.urandom(16))
    variants = []
    for at in (0, 1, 16, 17, len(envelope) - 33, len(envelope) - 32, len(envelope) - 1):  # version, IV, body, tag
        changed = bytearray(envelope)
        changed[at] ^= 0x01
        variants.append((bytes(changed), b"rec:7", MAC))
    variants += [(envelope, b"rec:8", MAC), (envelope, b"rec:7", bytes(32)), (envelope[:-1], b"rec:7", MAC),
                 (envelope[:20], b"rec:7", MAC), (b"", b"rec:7", MAC)]
    got = node([{"op": "unseal", "enc": ENC.hex(), "mac": m.hex(), "envelope": e.hex(), "aad": a.decode()} for e, a, m in variants])
    assert [g["error"] if isinstance(g, dict) else g for g in got] == ["tampered"] * len(variants)
    assert node([{"op": "unseal", "enc": ENC.hex(), "mac": MAC.hex(), "envelope": envelope.hex(), "aad": "rec:7"}]) == ["病情稳定"]


def test_keys_from_the_password_match_pbkdf2_sha256_and_hmac_sm3_expansion():
    salt = bytes(range(16))
    got = node([{"op": "derive", "password": "Xinli-密码-2026", "username": "doctor1", "device_salt": salt.hex(), "iterations": 100_000},
                {"op": "derive", "password": "Xinli-密码-2026", "username": "doctor2", "device_salt": salt.hex(), "iterations": 100_000},
                {"op": "derive", "password": "short", "username": "doctor1", "device_salt": salt.hex(), "iterations": 99_999}])
    master = hashlib.pbkdf2_hmac("sha256", "Xinli-密码-2026".encode(), b"xinli-field/v1/doctor1/" + salt, 100_000, 32)
    assert got[0] == {"enc": hmac_sm3(master, b"xinli-field enc")[:16].hex(), "mac": hmac_sm3(master, b"xinli-field mac").hex(),
                      "index": hmac_sm3(master, b"xinli-field index").hex()}
    assert got[1]["enc"] != got[0]["enc"]  # the user name is part of the salt
    assert got[2]["error"] == "RangeError"  # fewer than 100,000 iterations is refused


def test_vendored_sm_crypto_is_the_recorded_release_with_its_licence():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor" / "sm-crypto"
    version = (vendor / "VERSION").read_text(encoding="utf-8")
    assert version.startswith("sm-crypto 0.5.8 (npm package sm-crypto") and ", MIT." in version
    sums = {}
    for line in version.splitlines():
        if line.startswith("sha256 "):
            _, digest, name = line.split()
            sums[name] = digest
    assert set(sums) == {"sm3.js", "sm4.js"}
    for name, digest in sums.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    assert (vendor / "LICENSE").read_text(encoding="utf-8").startswith("Copyright © 2018 june01\n\nPermission is hereby granted")
