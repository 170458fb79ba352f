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


def write_smd_csv(path: Path, n: int, units: list[str], start: int = 0, visits: int = 10) -> None:
    """``n`` follow-up rows: ``n // visits`` SMD patients (new residents) with ``visits`` monthly follow-ups each."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["身份证号 id_number", "姓名 name", "居住地区划代码 org_unit_code", "诊断 diagnosis", "确诊医院 diagnosed_by",
                    "确诊日期 diagnosed_on", "登记来源 source", "居住形式 residence", "监护人 guardian_name",
                    "监护人电话 guardian_phone", "同意社区管理 consent", "随访日期 follow_up_date", "随访方式 mode",
                    "危险性等级 risk", "自知力 insight", "服药依从性 adherence"])
        for i in range(start, start + n // visits):
            year, month, day, seq = 1940 + i % 60, 1 + (i // 60) % 12, 1 + (i // 720) % 28, (i // 20160) % 1000
            unit = units[i % len(units)]
            number = id_number(f"{year}{month:02d}{day:02d}", seq, unit[:6])
            for v in range(visits):
                w.writerow([number, f"患者{i}", unit, "精神分裂症", "市精神卫生中心", "2020-03-01", "医院报告", "居家", f"监护人{i}",
                            f"139{i % 100000000:08d}", "是", f"{2023 + v // 12}-{1 + v % 12:02d}-10", "门诊", "0", "完全", "规律"])


def main(argv=None) -> int:
    global DB
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=100_000, help="residents in the CSV (the issue's target is 1,000,000)")
    p.add_argument("--no-setup", action="store_true", help="reuse the database (import again: every row unchanged)")
    p.add_argument("--batch", type=int, default=2000, help="rows per transaction (the default of imports.services.BATCH)")
    p.add_argument("--kind", choices=["residents", "smd_patients"], default="residents",
                   help="smd_patients: -n follow-up rows, --visits per patient (new patients with their history)")
    p.add_argument("--user", default=None, help="importing account (default: city_officer; smd_patients: smd_doctor)")
    p.add_argument("--visits", type=int, default=10)
    p.add_argument("--start", type=int, default=0, help="first row number (with --no-setup: new residents, not a re-import)")
    p.add_argument("--db", default=DB, help=f"the throwaway database (default {DB})")
    args = p.parse_args(argv)
    DB = args.db
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
    user = args.user or ("smd_doctor" if args.kind == "smd_patients" else "city_officer")
    units = subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-d", DB, "-tAc",
                            "select code from regions_orgunit where kind in ('village','community') and valid_to is null "
                            "and path like (select path from regions_orgunit u join accounts_assignment a on a.org_unit_id=u.id "
                            "join accounts_user s on s.id=a.user_id where s.username='" + user + "' limit 1) || '%' order by code"],
                           check=True, capture_output=True, text=True).stdout.split()
    assert units, f"no villages or communities under {user}"
    data = ROOT / "var" / f"bench-import-{args.kind}-{args.start}-{args.n}.csv"
    t = time.perf_counter()
    if args.kind == "smd_patients":
        write_smd_csv(data, args.n, units, args.start, args.visits)
    else:
        write_csv(data, args.n, units, args.start)
    print(f"== wrote {args.n} rows over {len(units)} units to {data} ({data.stat().st_size / 1e6:.1f} MB) in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    out = subprocess.run([py, "manage.py", "import_records", args.kind, str(data), "--user", user,
                          "--batch", str(args.batch)], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MiB (Linux: KiB)
    print(out.stdout.strip()[-600:])
    if out.returncode:
        print(out.stderr[-2000:])
        return 1
    rate = args.n / seconds
    print(f"== import of {args.n} {args.kind} rows: {seconds:.1f} s, {rate:.0f} rows/s, peak RSS of the largest child "
          f"{peak:.0f} MiB, ratio to seed_demo {rate / SEED_RATE:.2f}; 1,000,000 rows at this rate: "
          f"{1_000_000 / rate / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
