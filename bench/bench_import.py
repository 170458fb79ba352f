"""Bulk import benchmark (issue 17 part 1), see bench/BENCHMARKS.md.

    .venv/bin/python bench/bench_import.py -n 100000

1. setup (unless --no-setup): drop and create the throwaway PostgreSQL database ``xinli_bench_import`` on
   127.0.0.1:5432 (user postgres, trust), keys in var/bench-keys.json (never overwritten), XINLI_DEMO=1, migrate,
   ``seed_demo --size tiny --no-activity`` (the org tree and the demo accounts; the residents it seeds stay);
2. writes one CSV of ``-n`` residents (valid ID numbers, 1–2 population tags, one consent) spread over the tree's
   villages and communities;
3. runs ``manage.py import_records residents FILE --user city_officer`` (the same mechanism as the pages: streamed,
   batches of 500 with a checkpoint, every row through the archive services: validation, encryption, blind indexes,
   audit) in a child process; reports wall time, rows/s, the child's peak RSS (``resource.getrusage``) and the ratio
   to seed_demo's insert rate (2,385 residents/s, BENCHMARKS.md).

Never touches any other database (xinli_bench_indicators included).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DB = "xinli_bench_import"
SEED_RATE = 2385  # residents/s of seed_demo --size city, bench/BENCHMARKS.md
TAGS = ["空巢老人", "留守老人", "丧偶老人", "留守儿童", "流动儿童", "孕产期妇女"]


def id_number(birth: str, seq: int, county: str) -> str:
    body = f"{county}{birth}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def write_csv(path: Path, n: int, units: list[str], start: int = 0) -> None:
    rng = random.Random(17)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["来源编号 source_id", "姓名 name", "身份证号 id_number", "性别 sex", "出生日期 birth_date", "电话 phone",
                    "地址 address", "居住地区划代码 org_unit_code", "人群标签 tags", "同意用途 consents"])
        for i in range(start, start + n):
            # Distinct ID numbers: day (1..28) x month x year x sequence.
            year, month, day, seq = 1940 + i % 60, 1 + (i // 60) % 12, 1 + (i // 720) % 28, (i // 20160) % 1000
            birth = f"{year}{month:02d}{day:02d}"
            unit = units[i % len(units)]
            tags = "、".join(rng.sample(TAGS, 1 + i % 2))
            w.writerow([f"B{i}", f"居民{i}", id_number(birth, seq, unit[:6]), "", "", f"13{i % 1000000000:09d}",
                        f"测试路{i % 500}号", unit, tags, "心理服务档案"])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=100_000, help="residents in the CSV (the issue's target is 1,000,000)")
    p.add_argument("--no-setup", action="store_true", help="reuse the database (import again: every row unchanged)")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--start", type=int, default=0, help="first row number (with --no-setup: new residents, not a re-import)")
    args = p.parse_args(argv)
    py = sys.executable
    keys = ROOT / "var" / "bench-keys.json"
    env = dict(os.environ, DATABASE_URL=f"postgres://postgres@{HOST}:5432/{DB}", XINLI_KEY_FILE=str(keys), XINLI_DEMO="1",
               DJANGO_SETTINGS_MODULE="xinli.settings", XINLI_NOTIFY_CHANNELS="")
    env.pop("XINLI_DEBUG", None)
    if not keys.exists():
        subprocess.run([py, "manage.py", "generate_keys", "--file", str(keys)], cwd=ROOT, env=env, check=True)
    if not args.no_setup:
        print(f"== setup: drop and create {DB}, migrate, seed_demo --size tiny --no-activity", flush=True)
        for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
            subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-qc", sql], check=True)
        subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([py, "manage.py", "seed_demo", "--size", "tiny", "--no-activity", "--accounts-file",
                        str(ROOT / "var" / "bench-import-accounts.json")], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    units = subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-d", DB, "-tAc",
                            "select code from regions_orgunit where kind in ('village','community') and valid_to is null "
                            "and path like (select path from regions_orgunit u join accounts_assignment a on a.org_unit_id=u.id "
                            "join accounts_user s on s.id=a.user_id where s.username='city_officer' limit 1) || '%' order by code"],
                           check=True, capture_output=True, text=True).stdout.split()
    assert units, "no villages or communities under city_officer"
    data = ROOT / "var" / f"bench-import-{args.start}-{args.n}.csv"
    t = time.perf_counter()
    write_csv(data, args.n, units, args.start)
    print(f"== wrote {args.n} rows over {len(units)} units to {data} ({data.stat().st_size / 1e6:.1f} MB) in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    out = subprocess.run([py, "manage.py", "import_records", "residents", str(data), "--user", "city_officer",
                          "--batch", str(args.batch)], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MiB (Linux: KiB)
    print(out.stdout.strip()[-600:])
    if out.returncode:
        print(out.stderr[-2000:])
        return 1
    rate = args.n / seconds
    print(f"== import of {args.n} residents: {seconds:.1f} s, {rate:.0f} rows/s, peak RSS of the largest child "
          f"{peak:.0f} MiB, ratio to seed_demo {rate / SEED_RATE:.2f}; 1,000,000 rows at this rate: "
          f"{1_000_000 / rate / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
