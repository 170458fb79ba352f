"""Commercial cryptography (GB/T 39786-2021) for personal data.

* SM4-GCM encrypts personal fields. Each value gets a random 96-bit nonce; the key id travels with the ciphertext
  (``<key id>$<base64(nonce || ciphertext || tag)>``) so that keys can be rotated without downtime.
  The table and column are bound in as associated data, so a ciphertext copied into another column fails to decrypt.
* HMAC-SM3 blind indexes allow exact look-up (ID number, phone, name tokens) without storing the plaintext.
* SM3 digests chain the audit log.

Keys come from the environment (``XINLI_DATA_KEYS``, ``XINLI_INDEX_KEY``) or, on a demo/developer machine, from the
key file written by ``manage.py generate_keys``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.views.decorators.debug import sensitive_variables

NONCE_BYTES = 12
TAG_BYTES = 16
SEPARATOR = "$"


class DecryptionError(Exception):
    """A stored value failed authentication (tampered, wrong column, or unknown key)."""


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


@sensitive_variables()
def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    """HMAC-SM3 of ``data`` under ``key`` (hex): the signature of the exchange API with an external platform."""
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


@dataclass(frozen=True)
class KeyRing:
    # repr=False: a key ring printed in a log line or shown as a local in an error report shows no key.
    data_keys: dict[str, bytes] = field(repr=False)  # key id -> 16-byte SM4 key
    active_key_id: str
    index_key: bytes = field(repr=False)

    @sensitive_variables()  # error reports show neither the plaintext (personal data) nor key material
    def encrypt(self, plaintext: str, aad: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self.data_keys[self.active_key_id]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
        blob = base64.b64encode(nonce + body + encryptor.tag).decode("ascii")
        return f"{self.active_key_id}{SEPARATOR}{blob}"

    @sensitive_variables()
    def decrypt(self, token: str, aad: bytes) -> str:
        key_id, sep, blob = token.partition(SEPARATOR)
        if not sep or key_id not in self.data_keys:
            raise DecryptionError(f"unknown key id {key_id!r}")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError as exc:
            raise DecryptionError("ciphertext is not base64") from exc
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("ciphertext too short")
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self.data_keys[key_id]), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError("ciphertext failed authentication") from exc

    @sensitive_variables()
    def blind_index(self, domain: str, value: str) -> str:
        mac = hmac.HMAC(self.index_key, hashes.SM3())
        mac.update(domain.encode("utf-8") + b"\x00" + value.encode("utf-8"))
        return mac.finalize().hex()


@sensitive_variables()
def new_data_key() -> str:
    return base64.b64encode(os.urandom(16)).decode("ascii")


@sensitive_variables()
def new_index_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


@sensitive_variables()
def parse_data_keys(spec: str) -> list[tuple[str, bytes]]:
    """Parse ``"k2:<b64>,k1:<b64>"``; the first key encrypts, every key decrypts."""
    keys = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        key_id, sep, b64 = part.partition(":")
        if not sep or not key_id or SEPARATOR in key_id:
            raise ImproperlyConfigured("XINLI_DATA_KEYS entries look like 'k1:<base64 key>'")
        key = base64.b64decode(b64)
        if len(key) != 16:
            raise ImproperlyConfigured(f"SM4 key {key_id!r} must be 16 bytes, got {len(key)}")
        keys.append((key_id, key))
    return keys


@sensitive_variables()
def build_keyring(data_keys_spec: str, index_key_b64: str) -> KeyRing:
    keys = parse_data_keys(data_keys_spec)
    if not keys:
        raise ImproperlyConfigured("no data keys: set XINLI_DATA_KEYS or run `manage.py generate_keys`")
    index_key = base64.b64decode(index_key_b64 or "")
    if len(index_key) < 32:
        raise ImproperlyConfigured("XINLI_INDEX_KEY must be at least 32 bytes (base64)")
    return KeyRing(data_keys=dict(keys), active_key_id=keys[0][0], index_key=index_key)


@sensitive_variables()
def read_key_file(path: Path) -> tuple[str, str]:
    data = json.loads(path.read_text())
    spec = ",".join(f"{k}:{v}" for k, v in data["data_keys"])
    return spec, data["index_key"]


_lock = threading.Lock()
_keyring: KeyRing | None = None


@sensitive_variables()
def keyring() -> KeyRing:
    """The process-wide key ring, built once from settings (environment first, then the key file)."""
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                spec, index = settings.XINLI_DATA_KEYS, settings.XINLI_INDEX_KEY
                if not spec:
                    path = Path(settings.XINLI_KEY_FILE)
                    if not path.exists():
                        raise ImproperlyConfigured(
                            "no data keys: set XINLI_DATA_KEYS/XINLI_INDEX_KEY or run `manage.py generate_keys`"
                        )
                    spec, index = read_key_file(path)
                _keyring = build_keyring(spec, index)
    return _keyring


def reset_keyring(**kwargs) -> None:
    global _keyring
    if kwargs.get("setting") in (None, "XINLI_DATA_KEYS", "XINLI_INDEX_KEY", "XINLI_KEY_FILE"):
        _keyring = None


setting_changed.connect(reset_keyring)
