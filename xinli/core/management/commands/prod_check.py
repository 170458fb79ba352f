"""``manage.py prod_check`` (``make prod-check``): Django's deployment checks plus Xinli's own (xinli/core/checks.py).

Fails (exit code 1) on any error, on any Django ``security.*`` warning and on any ``xinli.*`` message; other
warnings (e.g. OpenAPI schema notes) are listed but do not fail. Exit code 0 when everything passes.
"""

from __future__ import annotations

from django.core.checks import ERROR, WARNING, run_checks
from django.core.management.base import BaseCommand, CommandError

FAILING_PREFIXES = ("security.", "xinli.")
# HSTS preload (security.W021) needs a public domain submitted to the browsers' preload list; intranet and
# government-network deployments cannot use it, so it is listed but does not fail.
NOT_FAILING = {"security.W021"}


def is_failure(message) -> bool:
    if message.level >= ERROR:
        return True
    mid = str(message.id or "")
    return message.level >= WARNING and mid.startswith(FAILING_PREFIXES) and mid not in NOT_FAILING


class Command(BaseCommand):
    help = ("Production readiness: Django's deployment checks (check --deploy) plus Xinli's (keys, debug, demo, "
            "HTTPS, CSP, cookies, hosts, PostgreSQL, Redis, two-factor). Exit code 1 if anything fails.")
    requires_system_checks = []  # the command runs them itself, with the deployment checks included

    def handle(self, *args, **options):
        messages = [m for m in run_checks(include_deployment_checks=True) if not m.is_silenced()]
        failures = sorted((m for m in messages if is_failure(m)), key=lambda m: str(m.id))
        notes = [m for m in messages if not is_failure(m) and m.level >= WARNING]
        for m in failures:
            self.stdout.write(self.style.ERROR(f"FAIL {m.id}: {m.msg}"))
            if m.hint:
                self.stdout.write(f"     → {m.hint}")
        if notes:
            self.stdout.write(f"{len(notes)} other warning(s), not failing (run `manage.py check --deploy` to read them): "
                              + ", ".join(sorted({str(m.id) for m in notes})))
        if failures:
            raise CommandError(f"生产环境检查未通过 / production check failed: {len(failures)} problem(s) "
                               f"({', '.join(str(m.id) for m in failures)})")
        self.stdout.write(self.style.SUCCESS("生产环境检查通过 / production check passed"))
