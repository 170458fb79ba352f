"""``manage.py load_survey FILE``: load the official awareness questionnaire (JSON, format in
``xinli/outreach/questionnaire.py`` and docs/portal.md) as a new version; nothing is written if anything is wrong."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xinli.outreach.services import load_survey

MAX_BYTES = 1_000_000


class Command(BaseCommand):
    help = ("Load the awareness survey's questionnaire from a JSON file (name, source, pass_mark, questions) as a new "
            "version; a version that has answers is never changed. Nothing is written if anything is wrong.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / file not found: {file}")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"文件过大（上限 {MAX_BYTES} 字节）/ file too large (at most {MAX_BYTES} bytes)")
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise CommandError(f"文件不是 UTF-8 编码，请另存为 UTF-8 / the file is not UTF-8 ({exc.reason} at byte {exc.start}); "
                               "save it again as UTF-8") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"第 {exc.lineno} 行第 {exc.colno} 列：不是有效的 JSON（{exc.msg}）/ line {exc.lineno} column "
                               f"{exc.colno}: not valid JSON ({exc.msg}); check the quotes, commas and brackets there") from None
        try:
            survey, status = load_survey(data)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(f"{len(exc.messages)} 处错误，未写入任何数据 / {len(exc.messages)} errors; nothing was written") from None
        said = {"created": "已载入 / loaded", "new_version": "已载入新版本 / loaded as a new version",
                "updated": "尚无作答，已更新该版本 / no answers yet, version updated", "unchanged": "内容未变 / unchanged"}[status]
        self.stdout.write(self.style.SUCCESS(f"{survey.name} v{survey.version}: {said}"))
