"""The archive file: a clear header line (authenticated) and the payload encrypted with SM4-GCM under the backup key.

Layout (text)::

    XINLI-REGION-ARCHIVE 1
    {"format": 1, "org": "<code>", "created": "...", "cipher": "SM4-GCM", "key_id": "bk-<fingerprint>"}
    bk-<fingerprint>$<base64(nonce || ciphertext || tag)>

The encryption is ``KeyRing.encrypt`` from ``xinli.core.crypto`` (random 96-bit nonce, 128-bit tag) with the header
line as associated data, so changing a byte anywhere fails authentication. The key id is an SM3 fingerprint of the
backup key, so a wrong key is told apart from a damaged file. The payload carries an SM3 manifest (rows and digest
per table, the audit segment) that the restore checks again after decryption.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from ..crypto import DecryptionError, KeyRing, sm3_hex

MAGIC = "XINLI-REGION-ARCHIVE 1"
FORMAT = 1


class ArchiveError(Exception):
    """An archive cannot be written or restored; the message says why and what to do (Chinese / English)."""


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@sensitive_variables()  # an error report shows no key material
def load_backup_key(key_file: str | None = None) -> bytes:
    """The 16-byte backup key from ``key_file`` or ``XINLI_BACKUP_KEY`` (base64). Never a data key."""
    if key_file:
        try:
            text = Path(key_file).read_text().strip()
        except OSError as exc:
            raise ArchiveError(f"无法读取备份密钥文件 / cannot read the backup key file {key_file}: {exc.strerror}") from exc
    else:
        text = (getattr(settings, "XINLI_BACKUP_KEY", "") or "").strip()
        if not text:
            raise ArchiveError("未提供备份密钥 / no backup key: pass --key-file or set XINLI_BACKUP_KEY "
                               "(base64 of 16 random bytes, e.g. `openssl rand -base64 16`)")
    return key_from_text(text)


def key_from_text(text: str) -> bytes:
    """A backup or transfer key from its base64 text (16 bytes, never a data key)."""
    try:
        key = base64.b64decode((text or "").strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ArchiveError("备份密钥不是 base64 / the backup key is not base64: use base64 of 16 random bytes") from exc
    if len(key) != 16:
        raise ArchiveError(f"备份密钥须为 16 字节 / the backup key must be 16 bytes (SM4), got {len(key)}")
    if key in _data_keys():
        raise ArchiveError("备份密钥不得与数据密钥相同 / the backup key must not be one of the data keys (XINLI_DATA_KEYS): "
                           "generate a separate key")
    return key


def _data_keys() -> set[bytes]:
    from ..crypto import keyring

    try:
        return set(keyring().data_keys.values())
    except Exception:  # no data keys configured here: nothing to compare with
        return set()


def key_id(key: bytes) -> str:
    return "bk-" + sm3_hex(b"xinli-backup-key\x00" + key)[:16]


@sensitive_variables()
def _ring(key: bytes) -> KeyRing:
    # index_key is unused: the ring only encrypts and decrypts.
    return KeyRing(data_keys={key_id(key): key}, active_key_id=key_id(key), index_key=b"\x00" * 32)


@sensitive_variables()
def seal(payload: dict, key: bytes, *, org: str, created: str) -> bytes:
    header = json.dumps({"format": FORMAT, "org": org, "created": created, "cipher": "SM4-GCM",
                         "key_id": key_id(key)}, ensure_ascii=False, sort_keys=True)
    token = _ring(key).encrypt(json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                               aad=(MAGIC + "\n" + header).encode("utf-8"))
    return f"{MAGIC}\n{header}\n{token}\n".encode()


@sensitive_variables()
def open_archive(data: bytes, key: bytes) -> tuple[dict, dict]:
    """(header, payload) of an archive, or ArchiveError saying whether the file or the key is wrong."""
    try:
        magic, header_line, token = data.decode("utf-8").rstrip("\n").split("\n")
        header = json.loads(header_line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError("不是心理平台的区域归档文件或文件已损坏 / not a Xinli region archive, or the file is "
                           "damaged: check that you passed the file written by export_archive") from exc
    if magic != MAGIC or not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError("不是心理平台的区域归档文件（或版本不支持） / not a Xinli region archive of a supported format")
    theirs, ours = token.partition("$")[0], key_id(key)
    if theirs != ours:
        raise ArchiveError(f"备份密钥不正确 / wrong backup key: the file was encrypted with key {theirs}, "
                           f"the given key is {ours}; use the key that was used for the export")
    try:
        plain = _ring(key).decrypt(token, aad=(magic + "\n" + header_line).encode("utf-8"))
    except DecryptionError as exc:
        raise ArchiveError("归档文件已被修改或损坏（完整性校验失败） / the archive was altered or damaged "
                           "(SM4-GCM authentication failed): restore from an intact copy") from exc
    return header, json.loads(plain)
