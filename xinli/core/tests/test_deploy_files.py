"""The deployment files agree with the code: every environment variable the settings and the gunicorn config read
is in the one table of docs/deploy.md and in deploy/xinli.env.example; access logs never contain query strings or
the Referer; nginx's body limit matches XINLI_MAX_BODY_BYTES; exactly the scheduler enqueues periodic tasks."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEST_ONLY = {"XINLI_TEST_SQLITE", "XINLI_HUEY_IMMEDIATE"}


def env_vars_read() -> set[str]:
    names = set()
    for path in (ROOT / "xinli" / "settings.py", ROOT / "deploy" / "gunicorn.conf.py"):
        text = path.read_text()
        names |= set(re.findall(r'(?:environ(?:\.get)?\(|environ\[|env_bool\()\s*"([A-Z][A-Z0-9_]+)"', text))
    return names


def test_every_environment_variable_is_documented_once_and_in_the_example():
    names = env_vars_read()
    assert {"DATABASE_URL", "XINLI_REPLICA_DATABASE_URL", "XINLI_PROXY_SSL_HEADER", "XINLI_WEB_WORKERS"} <= names
    table = {m for m in re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "docs" / "deploy.md").read_text(), re.M)}
    assert names - table == set(), "add these to the table in docs/deploy.md#environment-variables"
    example = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (ROOT / "deploy" / "xinli.env.example").read_text(), re.M))
    assert names - TEST_ONLY - example == set(), "add these to deploy/xinli.env.example"
    assert example - names - {"PGPASSFILE"} == set(), "deploy/xinli.env.example names a variable nothing reads"
    # One table only: docs/configuration.md points to it.
    assert "| `" not in (ROOT / "docs" / "configuration.md").read_text()


def test_access_logs_carry_no_query_string_or_referer():
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    fmt = re.search(r"^access_log_format = (.+)$", gunicorn, re.M).group(1)
    assert "%(U)s" in fmt and not any(atom in fmt for atom in ("%(r)s", "%(q)s", "%(f)s"))
    nginx = (ROOT / "deploy" / "nginx" / "xinli.conf").read_text()
    log_format = re.search(r"^log_format xinli (.+?);$", nginx, re.M | re.S).group(1)
    assert "$uri" in log_format
    for var in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$http_referer"):
        assert var not in log_format, var


def test_nginx_body_limits_match_the_application():
    nginx = (ROOT / "deploy" / "nginx" / "xinli.conf").read_text()
    sizes = [int(n) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]
             for n, unit in re.findall(r"^\s*client_max_body_size (\d+)([km]?);", nginx, re.M)]
    # Server-wide: the default of XINLI_MAX_BODY_BYTES; the upload location: the default of XINLI_MAX_UPLOAD_BYTES.
    assert sizes == [settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.XINLI_MAX_UPLOAD_BYTES] == [1024 * 1024, 20 * 1024 * 1024]


def test_one_scheduler_and_workers_without_periodic_tasks():
    units = ROOT / "deploy" / "systemd"
    scheduler = re.search(r"^ExecStart=(.+)$", (units / "xinli-scheduler.service").read_text(), re.M).group(1)
    worker = re.search(r"^ExecStart=(.+)$", (units / "xinli-worker@.service").read_text(), re.M).group(1)
    assert "run_huey" in scheduler and "--no-periodic" not in scheduler and " -n" not in scheduler
    assert "run_huey" in worker and "--no-periodic" in worker
    for unit in ("xinli-scheduler.service", "xinli-worker@.service"):
        assert "KillSignal=SIGINT" in (units / unit).read_text()  # Huey's graceful stop
