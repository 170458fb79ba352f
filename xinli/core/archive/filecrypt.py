"""SM4-GCM encryption of a whole backup file (a pg_dump) under the backup key, streamed in 1 MiB blocks.

Layout: ``XINLI-SM4GCM 1\\n`` + key id (``bk-…``, 19 bytes) + ``\\n`` + 12-byte nonce + ciphertext + 16-byte tag; the
first line and the key id are authenticated as associated data. Decryption writes ``<out>.part`` and renames it to
``<out>`` only when the tag verifies, so an altered file never yields a usable dump.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.views.decorators.debug import sensitive_variables

from ..crypto import NONCE_BYTES, TAG_BYTES
from .container import ArchiveError, key_id

MAGIC = b"XINLI-SM4GCM 1\n"
BLOCK = 1 << 20


def _header(key: bytes) -> bytes:
    return MAGIC + key_id(key).encode("ascii") + b"\n"


@sensitive_variables()
def encrypt_file(src: Path, dst: Path, key: bytes) -> int:
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    header = _header(key)
    enc.authenticate_additional_data(header)
    part = dst.with_name(dst.name + ".part")
    size = 0
    with src.open("rb") as fin, part.open("wb") as fout:
        os.fchmod(fout.fileno(), 0o600)
        fout.write(header + nonce)
        while chunk := fin.read(BLOCK):
            size += len(chunk)
            fout.write(enc.update(chunk))
        fout.write(enc.finalize() + enc.tag)
    part.replace(dst)
    return size


@sensitive_variables()
def decrypt_file(src: Path, dst: Path, key: bytes) -> int:
    total = src.stat().st_size
    header = _header(key)
    with src.open("rb") as fin:
        first = fin.readline()
        kid = fin.readline()
        if first != MAGIC:
            raise ArchiveError(f"不是心理平台加密的备份文件 / {src} is not a backup encrypted by encrypt_backup")
        if first + kid != header:
            raise ArchiveError(f"备份密钥不正确 / wrong backup key: {src} was encrypted with key "
                               f"{kid.decode('ascii', 'replace').strip()}, the given key is {key_id(key)}")
        nonce = fin.read(NONCE_BYTES)
        body = total - len(header) - NONCE_BYTES - TAG_BYTES
        if len(nonce) != NONCE_BYTES or body < 0:
            raise ArchiveError(f"备份文件不完整 / {src} is truncated")
        fin.seek(total - TAG_BYTES)
        tag = fin.read(TAG_BYTES)
        fin.seek(len(header) + NONCE_BYTES)
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(header)
        part = dst.with_name(dst.name + ".part")
        try:
            with part.open("wb") as fout:
                os.fchmod(fout.fileno(), 0o600)
                left = body
                while left:
                    chunk = fin.read(min(BLOCK, left))
                    if not chunk:
                        raise InvalidTag
                    left -= len(chunk)
                    fout.write(dec.update(chunk))
                dec.finalize()
        except InvalidTag as exc:
            part.unlink(missing_ok=True)
            raise ArchiveError(f"备份文件已被修改或损坏 / {src} was altered or damaged (SM4-GCM authentication "
                               f"failed): use another copy") from exc
        except BaseException:  # e.g. a full disk: never leave partly decrypted content behind
            part.unlink(missing_ok=True)
            raise
    part.replace(dst)
    return body
