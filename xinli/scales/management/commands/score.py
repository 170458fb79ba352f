import json
import sys

from django.core.management.base import BaseCommand

from xinli.core.ids import parse_int
from xinli.scales import definitions
from xinli.scales.engine import ScoringError, number, score


class Command(BaseCommand):
    help = ("Score answers given in item order: `score phq9 0 1 2 ...` (option values as printed; '-' for missing or "
            "skipped; yes/no for yes/no items). `score --list` lists the instruments.")

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?")
        parser.add_argument("answers", nargs="*")
        parser.add_argument("--sex", choices=["male", "female"])
        parser.add_argument("--list", action="store_true")

    def handle(self, *args, code, answers, sex, list: bool, **options):
        if list:
            for c, d in sorted(definitions.registry().items()):
                self.stdout.write(f"{c:8} {len(d.items):3} items  {d.raw.get('short_name', c):10} {d.name('en')}"
                                  + ("  [licence-restricted]" if d.raw.get("restricted") else ""))
            return
        if not code:
            self._fail("缺少量表代码 / missing scale code (try --list)")
        values = [None if a == "-" else (a if parse_int(a) is None else parse_int(a)) for a in answers]
        try:
            d = definitions.get(code)
        except KeyError:
            self._fail(f"未知量表：{code} / unknown scale: {code}")
        scored = [i.id for i in d.scored_items]
        if len(values) == len(scored):  # the scored items only (e.g. PHQ-9 without its difficulty question)
            given = dict(zip(scored, values, strict=True))
        elif len(values) == len(d.items):
            given = {i.id: v for i, v in zip(d.items, values, strict=True)}
        else:
            self._fail(f"答案数量错误：{code} 共 {len(scored)} 道计分题，收到 {len(values)} 个 / wrong number of answers: "
                       f"{code} has {len(scored)} scored items, got {len(values)}")
        try:
            result = score(code, given, sex=sex)
        except ScoringError as exc:
            self._fail(str(exc))
        out = {
            "scale": result.scale, "version": result.version, "total": number(result.total), "band": result.band,
            "band_label": result.band_label.get("en"), "critical": result.critical_items,
            "subscales": {k: number(v) for k, v in result.subscales.items()}, "flags": result.flags,
            "prorated": result.prorated, "skipped": result.skipped,
        }
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    def _fail(self, message: str):
        sys.stderr.write(message.replace("\n", " ") + "\n")
        sys.exit(2)
