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


def kind_csv(columns, rows: list[dict], extra_header=()) -> bytes:
    """A file of any kind: the header of ``columns`` (plus ``extra_header`` cells) and one line per dict (by key)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in columns if not c.forbidden] + list(extra_header))
    for r in rows:
        w.writerow([r.get(c.key, "") for c in columns if not c.forbidden] + [r.get(h, "") for h in extra_header])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def run_kind(user, kind: str, data: bytes, *, dry_run=False, strategy="upsert", name="f.csv"):
    from xinli.imports import services

    path, digest, _ = services.store_file(name, [data])
    job = services.create_job(user, kind=kind, strategy=strategy, dry_run=dry_run, file_name=name, path=path, digest=digest)
    return services.run(job.pk)


def upload(client, kind: str, data: bytes, *, dry_run: bool, name="f.csv", strategy="upsert"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = {"file": SimpleUploadedFile(name, data), "kind": kind, "strategy": strategy}
    if dry_run:
        post["dry_run"] = "1"
    return client.post("/imports/new/", post)


def problems(job) -> list[tuple[int, str]]:
    return list(job.problems.order_by("line", "column").values_list("line", "column"))
