"""The awareness questionnaire as data: the file format ``manage.py load_survey FILE`` reads, its validation, and which
version is in use.

Format (JSON, UTF-8; docs/portal.md "Loading the official questionnaire")::

    {"name": "心理健康核心知识知晓率调查问卷",
     "source": "where the questionnaire comes from (issuing body, document, edition)",
     "pass_mark": 8,
     "questions": [{"id": "1", "text": "…", "options": ["对", "错"], "answer": "对"}, …]}

``pass_mark`` is the number of correct answers a respondent needs to pass (1 … number of questions). Each question has
an ``id`` (unique, at most 10 characters: shown as its number), a ``text``, at least two different ``options`` and the
``answer``, which must be one of the options. Nothing else is accepted, so a misspelt field is reported rather than
ignored. Every problem is reported at once, naming the field (``questions[3].answer``) and the fix.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xinli.core.i18n import bilingual

from .models import AwarenessSurvey

FIELDS = ("name", "source", "pass_mark", "questions")
QUESTION_FIELDS = ("id", "text", "options", "answer")
MAX_QUESTIONS = 100
MAX_OPTIONS = 10
MAX_TEXT = 500


def problems(data) -> list[str]:
    """Every problem of a questionnaire file's content, each naming its field and the fix (bilingual); empty when
    it can be loaded."""
    if not isinstance(data, dict):
        return [bilingual(_("file: the questionnaire must be one JSON object with the fields {fields}"), fields=", ".join(FIELDS))]
    out = [bilingual(_("{field}: unknown field; the fields are {fields}"), field=k, fields=", ".join(FIELDS))
           for k in data if k not in FIELDS]
    name, source = data.get("name"), data.get("source")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        out.append(bilingual(_("name: required, the questionnaire's title in at most 100 characters")))
    elif name.strip() == sample_name():
        out.append(bilingual(_("name: this is the built-in sample's name; give the official questionnaire its own name")))
    if not isinstance(source, str) or not source.strip() or len(source.strip()) > 300:
        out.append(bilingual(_("source: required, where the questionnaire comes from (issuing body, document, edition) "
                               "in at most 300 characters")))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions or len(questions) > MAX_QUESTIONS:
        out.append(bilingual(_("questions: required, a list of 1 to {max} questions"), max=MAX_QUESTIONS))
        questions = []
    seen: dict[str, int] = {}
    for i, q in enumerate(questions, start=1):
        out += _question_problems(i, q, seen)
    mark = data.get("pass_mark")
    if isinstance(mark, bool) or not isinstance(mark, int) or not 1 <= mark <= max(1, len(questions)):
        out.append(bilingual(_("pass_mark: the number of correct answers needed to pass, a whole number from 1 to {n} "
                               "(the number of questions)"), n=max(1, len(questions))))
    return out


def _question_problems(i: int, q, seen: dict[str, int]) -> list[str]:
    where = f"questions[{i}]"
    if not isinstance(q, dict):
        return [bilingual(_("{where}: each question is an object with {fields}"), where=where, fields=", ".join(QUESTION_FIELDS))]
    out = [bilingual(_("{where}.{field}: unknown field; a question has {fields}"), where=where, field=k, fields=", ".join(QUESTION_FIELDS))
           for k in q if k not in QUESTION_FIELDS]
    qid = q.get("id")
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip() or len(qid) > 10:
        out.append(bilingual(_("{where}.id: required, the question's number or label in at most 10 characters"), where=where))
    elif qid in seen:
        out.append(bilingual(_("{where}.id: '{id}' is already the id of question {other}; give each question its own id"),
                             where=where, id=qid, other=seen[qid]))
    else:
        seen[qid] = i
    text = q.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        out.append(bilingual(_("{where}.text: required, the question in at most {max} characters"), where=where, max=MAX_TEXT))
    options = q.get("options")
    if (not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS
            or not all(isinstance(o, str) and o.strip() and len(o) <= 100 for o in options) or len(set(options)) != len(options)):
        out.append(bilingual(_("{where}.options: a list of 2 to {max} different answers, each a text of at most 100 characters"),
                             where=where, max=MAX_OPTIONS))
    elif q.get("answer") not in options:
        out.append(bilingual(_("{where}.answer: must be one of the options ({options})"), where=where, options="、".join(options)))
    return out


def normalised(data: dict) -> dict:
    """The stored form of a valid questionnaire (ids as text, whitespace trimmed)."""
    return {"name": data["name"].strip(), "source": data["source"].strip(), "pass_mark": data["pass_mark"],
            "questions": [{"id": str(q["id"]).strip(), "text": q["text"].strip(), "options": list(q["options"]), "answer": q["answer"]}
                          for q in data["questions"]]}


def sample_name() -> str:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parent / "awareness_sample.json").read_text(encoding="utf-8"))["name"]


def current_survey() -> AwarenessSurvey:
    """The questionnaire new links and samples use: the latest loaded official version, else the built-in sample."""
    from .services import sample_survey

    return AwarenessSurvey.objects.filter(sample=False).order_by("-loaded_at", "-id").first() or sample_survey()
