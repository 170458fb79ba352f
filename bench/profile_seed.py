"""Profile ``seed_residents`` (the body of ``seed_demo``) with cProfile on a scratch PostgreSQL database.

    .venv/bin/python bench/profile_seed.py --residents 20000        # drops and recreates xinli_bench_prof

Prints the top functions by cumulative and by own time, and the share of wall time spent in a few phases
(building Person objects, encryption, blind indexes, pinyin, weighted village choice, SQL) so that a slow seed
can be explained. Writes bench/results/profile_seed.txt. Only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench_prof")
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    args = parser.parse_args()
    if not args.db.replace("_", "").isalnum():
        parser.error("--db must be a plain identifier")

    psql = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"], check=True, timeout=120)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {args.db}"], check=True, timeout=120)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    os.environ["XINLI_KEY_FILE"] = args.key_file
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinli.settings")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    subprocess.run([sys.executable, "manage.py", "generate_keys", "--file", args.key_file], check=True, timeout=120)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], check=True, timeout=600)

    import django

    django.setup()
    from django.db import connection

    from xinli.demo import seed as seed_module

    size = seed_module.SIZES["city"]
    rng = random.Random(1)
    villages = seed_module.build_tree(rng, size)
    seed_module.seed_accounts(rng, villages)

    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    created = seed_module.seed_residents(rng, villages, args.residents)
    profiler.disable()
    wall = time.perf_counter() - t0
    connection.close()

    out = io.StringIO()
    out.write(f"seed_residents: {created} residents in {wall:.1f} s under cProfile ({created / wall:.0f} residents/s)\n\n")
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]

    def cumulative(fragment: str, func: str) -> float:
        best = 0.0
        for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if fragment in filename and name == func:
                best = max(best, ct)
        return best

    phases = [
        ("KeyRing.encrypt (SM4-GCM, 5-6 per resident)", "xinli/core/crypto.py", "encrypt"),
        ("KeyRing.blind_index (HMAC-SM3, 5 per resident)", "xinli/core/crypto.py", "blind_index"),
        ("pinyin_initials", "xinli/archives/normalize.py", "pinyin_initials"),
        ("pinyin_full", "xinli/archives/normalize.py", "pinyin_full"),
        ("random.choices (weighted village pick)", "random.py", "choices"),
        ("bulk_create (all three tables, incl. encryption/indexes)", "django/db/models/query.py", "bulk_create"),
        ("cursor.execute/executemany (SQL round trips)", "django/db/backends/utils.py", "_execute_with_wrappers"),
        ("audit.record", "xinli/core/audit.py", "record"),
        ("_tags", "xinli/demo/seed.py", "_tags"),
        ("_id_number", "xinli/demo/seed.py", "_id_number"),
        ("Model.__init__", "django/db/models/base.py", "__init__"),
    ]
    out.write(f"profiled total {total:.1f} s\nphase (cumulative, overlapping)                               seconds  share\n")
    for label, fragment, func in phases:
        ct = cumulative(fragment, func)
        out.write(f"  {label:<60} {ct:7.1f}  {100 * ct / total:5.1f}%\n")
    out.write("\n")
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile_seed.txt").write_text(out.getvalue())
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
