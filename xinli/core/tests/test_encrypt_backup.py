"""manage.py encrypt_backup / decrypt_backup: a dump file round-trips byte for byte under the backup key; an altered
file, a wrong key or an existing output file gives a clear error and no output."""

import base64

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def files(tmp_path, settings):
    settings.XINLI_BACKUP_KEY = base64.b64encode(b"B" * 16).decode()
    dump = tmp_path / "xinli.dump"
    dump.write_bytes(b"PGDMP" + bytes(range(256)) * 9000)  # > 2 MiB: several 1 MiB blocks
    return tmp_path, dump


def test_round_trip(files):
    tmp, dump = files
    call_command("encrypt_backup", str(dump), str(tmp / "x.enc"))
    sealed = (tmp / "x.enc").read_bytes()
    assert sealed.startswith(b"XINLI-SM4GCM 1\n") and b"PGDMP" not in sealed
    call_command("decrypt_backup", str(tmp / "x.enc"), str(tmp / "back.dump"))
    assert (tmp / "back.dump").read_bytes() == dump.read_bytes()


def test_altered_file_or_wrong_key_yields_nothing(files, settings):
    tmp, dump = files
    call_command("encrypt_backup", str(dump), str(tmp / "x.enc"))
    data = bytearray((tmp / "x.enc").read_bytes())
    data[len(data) // 2] ^= 1
    (tmp / "bad.enc").write_bytes(bytes(data))
    with pytest.raises(CommandError):
        call_command("decrypt_backup", str(tmp / "bad.enc"), str(tmp / "out1"))
    settings.XINLI_BACKUP_KEY = base64.b64encode(b"C" * 16).decode()
    with pytest.raises(CommandError):
        call_command("decrypt_backup", str(tmp / "x.enc"), str(tmp / "out2"))
    assert not [p.name for p in tmp.iterdir() if p.name.startswith("out")]  # not even a .part file


def test_existing_output_is_refused(files):
    tmp, dump = files
    (tmp / "x.enc").write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        call_command("encrypt_backup", str(dump), str(tmp / "x.enc"))
    assert (tmp / "x.enc").read_bytes() == b"keep me"


def test_a_disk_full_while_decrypting_leaves_no_partial_plaintext(files, monkeypatch):
    """The partial output is decrypted dump content: a write that fails half-way (ENOSPC) must remove it too."""
    import errno

    from xinli.core.archive import filecrypt

    tmp, dump = files
    call_command("encrypt_backup", str(dump), str(tmp / "x.enc"))
    real_cipher = filecrypt.Cipher

    class FullAfterOneBlock:
        def __init__(self, *args, **kwargs):
            self.real, self.blocks = real_cipher(*args, **kwargs), 0

        def decryptor(self):
            dec, outer = self.real.decryptor(), self

            class Dec:
                def authenticate_additional_data(self, data):
                    dec.authenticate_additional_data(data)

                def update(self, chunk):
                    outer.blocks += 1
                    if outer.blocks > 1:
                        raise OSError(errno.ENOSPC, "No space left on device", "back.dump.part")
                    return dec.update(chunk)

                def finalize(self):
                    return dec.finalize()

            return Dec()

    monkeypatch.setattr(filecrypt, "Cipher", FullAfterOneBlock)
    with pytest.raises(CommandError, match="No space left"):
        call_command("decrypt_backup", str(tmp / "x.enc"), str(tmp / "back.dump"))
    assert sorted(p.name for p in tmp.iterdir()) == ["x.enc", "xinli.dump"]
