"""Test files for the import tests."""

from __future__ import annotations

import csv
import io

from xinli.imports.kinds import RESIDENT_COLUMNS
from xinli.testing.fixtures import id_number

HEADER = [c.header for c in RESIDENT_COLUMNS]
KEYS = [c.key for c in RESIDENT_COLUMNS]


def row(**values) -> list[str]:
    return [values.get(k, "") for k in KEYS]


def good_rows(n: int, start: int = 0, unit: str = "370202001001") -> list[list[str]]:
    """``n`` valid residents born 1960-1979 (ID numbers distinct), each with one tag and one consent."""
    out = []
    for i in range(start, start + n):
        birth = f"19{60 + i % 20}0{1 + i % 9}1{i % 9}"
        out.append(row(source_id=f"S{i}", name=f"居民{i}", id_number=id_number(birth, seq=100 + i % 800), sex="",
                       phone="", address=f"香港中路{i}号", org_unit_code=unit, tags="空巢老人", consents="心理服务档案"))
    return out


def csv_bytes(rows: list[list[str]], header=HEADER) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write(tmp_path, rows, name="residents.csv") -> str:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return str(path)
