"""Audit throughput on PostgreSQL: appending entries (one INSERT each, as a request does) and sealing them into the
SM3 chain (xinli.core.audit.seal, the every-minute task). See bench/BENCHMARKS.md.

    .venv/bin/python bench/bench_audit_seal.py                  # xinli_bench, 20,000 entries
    .venv/bin/python bench/bench_audit_seal.py --db xinli_bench -n 50000

Writes ``system`` entries with object type ``bench`` into the database's audit log (they stay: the log is append-only
by design). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench")
    parser.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    parser.add_argument("-n", type=int, default=20_000)
    args = parser.parse_args(argv)
    if not args.db.replace("_", "").isalnum() or not 1 <= args.n <= 1_000_000:
        parser.error("--db must be a plain identifier and -n between 1 and 1000000")
    os.environ.update({"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}", "XINLI_KEY_FILE": args.key_file,
                       "DJANGO_SETTINGS_MODULE": "xinli.settings"})
    import django

    django.setup()
    from xinli.core import audit

    audit.seal()  # start from a sealed chain
    t0 = time.perf_counter()
    for i in range(args.n):
        audit.record(None, audit.Action.SYSTEM, object_type="bench", object_id=str(i), detail={"i": i})
    t1 = time.perf_counter()
    sealed = audit.seal()
    t2 = time.perf_counter()
    report = audit.verify_chain()
    t3 = time.perf_counter()
    print(f"append  {args.n} entries in {t1 - t0:.2f} s = {args.n / (t1 - t0):.0f} entries/s (one process, autocommit)")
    print(f"seal    {sealed} entries in {t2 - t1:.2f} s = {sealed / (t2 - t1):.0f} entries/s")
    print(f"verify  {report.checked} entries in {t3 - t2:.2f} s = {report.checked / (t3 - t2):.0f} entries/s, intact={report.ok}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
