"""Check the zh-Hans message catalogue: every entry translated, none fuzzy, placeholders kept.

Run from anywhere: ``.venv/bin/python locale/check_catalogue.py``. Exits 1 and lists the
offending entries when there is a problem, 0 otherwise. Usable as a test, e.g.::

    def test_catalogue():
        assert subprocess.run([sys.executable, "locale/check_catalogue.py"]).returncode == 0
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"

# {name} (str.format) and %(name)s (printf-style) placeholders.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def check_zh(path: Path = ZH_PO) -> list[str]:
    po = polib.pofile(str(path))
    problems = []
    if po.metadata_is_fuzzy:
        problems.append("header: marked fuzzy")
    if "nplurals=1" not in po.metadata.get("Plural-Forms", "").replace(" ", ""):
        problems.append("header: Plural-Forms should be nplurals=1; plural=0;")
    for entry in po:
        if entry.obsolete:
            continue
        label = repr(entry.msgid)
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label}")
        if entry.msgid_plural:
            translations = [entry.msgstr_plural.get(0, "")]
            expected = placeholders(entry.msgid_plural) or placeholders(entry.msgid)
        else:
            translations = [entry.msgstr]
            expected = placeholders(entry.msgid)
        for text in translations:
            if not text.strip():
                problems.append(f"untranslated: {label}")
            elif placeholders(text) != expected:
                problems.append(f"placeholders differ: {label} -> {text!r}")
    return problems


def check_en(path: Path = EN_PO) -> list[str]:
    """English is the source; only fuzzy flags are a problem there."""
    if not path.exists():
        return []
    po = polib.pofile(str(path))
    return [f"en fuzzy: {e.msgid!r}" for e in po if not e.obsolete and "fuzzy" in e.flags]


def main() -> int:
    if not ZH_PO.exists():
        print(f"missing catalogue: {ZH_PO}", file=sys.stderr)
        return 1
    problems = check_zh() + check_en()
    for problem in problems:
        print(problem, file=sys.stderr)
    total = len([e for e in polib.pofile(str(ZH_PO)) if not e.obsolete])
    if problems:
        print(f"{len(problems)} problem(s) in {total} zh_Hans entries", file=sys.stderr)
        return 1
    print(f"zh_Hans catalogue OK: {total} entries translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
