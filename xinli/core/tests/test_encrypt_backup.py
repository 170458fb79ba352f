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
