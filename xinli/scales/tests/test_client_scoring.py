"""The field app's client-side scoring (static/js/field/score.js) gives the server's result, field by field.

Vectors: every call the Python scoring tests (test_score.py) make, recorded by running those tests with a recording
``score``; the command tests' vectors; and seeded random answer sets per shipped instrument (valid answers, answers
given as text or yes/no words, unanswered items, skip triggers, sex and cut-off variants, and invalid answers).
All of them go through the Python engine here and through ``node`` running score.js in one process (JSON in, JSON
out); totals, raw totals, subscales, band, critical items, flags, answers, skipped, missing and errors (field and
both messages) must be equal.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinli.scales import definitions, engine
from xinli.scales.engine import ScoringError
from xinli.scales.tests import test_score

SCORE_JS = Path(django_settings.BASE_DIR) / "static" / "js" / "field" / "score.js"
RUNNER = Path(__file__).with_name("client_scoring_runner.cjs")
NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the client scoring port cannot be run")


def _case(code, answers, sex=None, cutoff=None) -> dict:
    return {"code": code, "answers": copy.deepcopy(answers), "sex": sex, "cutoff": cutoff}


def recorded_vectors() -> list[dict]:
    """Run every hand-written test of test_score.py with a ``score`` that records its inputs."""
    calls: list[dict] = []
    real = engine.score

    def recording(code, answers, *, sex=None, cutoff=None):
        calls.append(_case(code, answers, sex, cutoff))
        return real(code, answers, sex=sex, cutoff=cutoff)

    original = test_score.score
    test_score.score = recording
    try:
        for name, fn in inspect.getmembers(test_score, inspect.isfunction):
            if not name.startswith("test_") or hasattr(fn, "hypothesis"):
                continue  # the hypothesis property test draws its own answers; random sets below stand in for it
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
            grids = []
            for mark in marks:
                names = [n.strip() for n in mark.args[0].split(",")] if isinstance(mark.args[0], str) else list(mark.args[0])
                grids.append([dict(zip(names, v if len(names) > 1 else (v,), strict=True)) for v in mark.args[1]])
            for combo in itertools.product(*grids) if grids else [()]:
                kwargs = {k: v for part in combo for k, v in part.items()}
                fn(**kwargs)
    finally:
        test_score.score = original
    return calls


COMMAND_VECTORS = [  # test_score_command.py, as the command passes them to the engine (a list of texts)
    _case("phq9", ["3"] * 9), _case("k10", ["3"] * 9 + ["-"]), _case("gds15", ["yes"] * 15),
    _case("auditc", ["1", "1", "1"], sex="female"), _case("audit", ["0"] + ["-"] * 7 + ["4", "4"]),
    _case("pcl5", ["2"] * 20), _case("phq9", ["1", "2"]), _case("phq9", ["5"] * 9), _case("nope", ["1"]),
    _case("auditc", ["1", "1", "1"]),
]

INVALID = [99, -1, "x", True, False, 1.5, "٣", "²", " 2 ", "007", "-0", 0.25, [1], {"a": 1}, "10000000000000000000",
           "123456789012345678", 1e-05, 1.5e-7, "\x00", "a\u200bb", "\xa0", "it's", 'say "x"', "\\", "\U0001F600",
           "\ue000", "\u2028"]
SEXES = [None, "male", "female", " Male ", "F", "女", "男", "", "other"]


def random_vectors(seed: int = 18, per_instrument: int = 150) -> list[dict]:
    """Seeded random answer sets for every shipped instrument."""
    rng = random.Random(seed)
    cases = []
    for code, d in sorted(definitions.registry().items()):
        for n in range(per_instrument):
            answers = {}
            style = n % 5  # 0: all valid ints; 1: texts and words; 2: some unanswered; 3: skip triggers; 4: one invalid
            for item in d.items:
                value = rng.choice(item.values)
                if style == 1:
                    if item.is_yes_no and rng.random() < 0.7:
                        word = next(o.answer for o in item.options if o.value == value)
                        value = rng.choice({"yes": ["yes", "Y", "是", " true ", True], "no": ["no", "N", "否", "false", False]}[word])
                    else:
                        value = rng.choice([str(value), f" {value} ", value])
                if style == 2 and rng.random() < 0.12:
                    value = rng.choice([None, "", "-"])
                answers[item.id] = value
            if style == 3:
                for rule in d.skip:
                    if rng.random() < 0.8:
                        answers[str(rule["if_item"])] = rule["equals"]
                        for s in rule["skip"]:
                            if rng.random() < 0.6:
                                answers[str(s)] = rng.choice([None, "-"])
                for s in d.subscales:  # leave a few items of a subscale unanswered (prorating, too few answers)
                    if rng.random() < 0.3:
                        for i in rng.sample(s["items"], k=min(len(s["items"]), rng.choice([1, 2, 3]))):
                            answers[str(i)] = None
            if style == 4:
                answers[rng.choice(d.items).id] = rng.choice(INVALID)
                if rng.random() < 0.2:
                    answers[rng.choice(["0", "999", "a", "1a"])] = 1
            if rng.random() < 0.25:
                answers = [answers[i.id] for i in d.items][: rng.choice([len(d.items), len(d.items), len(d.items) - 1])]
            sex = rng.choice(SEXES) if d.needs_sex or rng.random() < 0.1 else None
            cutoff = None
            if d.scoring.get("cutoff_setting") and rng.random() < 0.6:
                cutoff = rng.choice([20, 33, 36, 40, 60, 80, 81, 0, "36", 35.5])
            cases.append(_case(code, answers, sex, cutoff))
    return cases


def python_outcome(case: dict) -> dict:
    try:
        result = engine.score(case["code"], copy.deepcopy(case["answers"]), sex=case["sex"], cutoff=case["cutoff"])
    except ScoringError as exc:
        return {"ok": False, "field": exc.field, "zh": exc.zh, "en": exc.en}
    return {"ok": True, "result": json.loads(json.dumps(result.as_dict(), ensure_ascii=False))}


def node_outcomes(cases: list[dict]) -> list[dict]:
    payload = {"definitions": [d.raw for d in definitions.registry().values()], "cases": cases}
    proc = subprocess.run([NODE, str(RUNNER), str(SCORE_JS)], input=json.dumps(payload, ensure_ascii=False),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _compare(cases: list[dict]) -> dict:
    expected = [python_outcome(c) for c in cases]
    got = node_outcomes(cases)
    assert len(got) == len(cases)
    mismatches = []
    for case, py, js in zip(cases, expected, got, strict=True):
        js_cmp = {"ok": True, "result": js["result"]} if js["ok"] else {"ok": False, **{k: js.get(k) for k in ("field", "zh", "en")}}
        if py != js_cmp:
            mismatches.append((case, py, js))
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ; first: {mismatches[0]}"
    return {"ok": sum(1 for e in expected if e["ok"]), "errors": sum(1 for e in expected if not e["ok"])}


def test_client_scores_equal_the_servers_on_the_scoring_tests_vectors():
    cases = recorded_vectors() + COMMAND_VECTORS
    assert len(cases) > 150  # every band boundary of every instrument and the hand checks were recorded
    counts = _compare(cases)
    assert counts["ok"] > 100 and counts["errors"] >= 10


def test_client_scores_equal_the_servers_on_seeded_random_answers():
    cases = random_vectors()
    counts = _compare(cases)
    # the mix reaches both outcomes for every instrument: results and the server's errors
    assert counts["ok"] > 1500 and counts["errors"] > 300
    assert {c["code"] for c in cases} == set(definitions.registry())


def test_hand_computed_values_from_node():
    """The port on its own, against values worked out by hand (so a shared mistake cannot pass unnoticed)."""
    cases = [
        _case("k10", {str(i): 3 for i in range(1, 10)} | {"9": 2}),  # 26 × 10 / 9 = 28.89 → 29 (half up)
        _case("sds", [2] * 20),  # 10 × 2 + 10 reversed × 3 = 50; × 1.25 = 62.5 → 62 (floor)
        _case("who5", [3, 3, 3, 2, 2]),  # 13 × 4 = 52
        _case("scl90", [1] * 88 + [3, 1]),  # item 89, additional: (6 + 3) / 7 = 1.2857 → 1.29
        _case("sdq", {str(i): 1 for i in range(1, 26)} | {"3": None, "8": 2}),  # emotional 5 × 5 / 4 = 6.25 → 6
        _case("phq9", {"1": 0}),
    ]
    out = node_outcomes(cases)
    k10, sds, who5, scl90, sdq, missing = out
    assert (k10["result"]["total"], k10["result"]["raw_total"], k10["result"]["band"]) == (29, 28.89, "high")
    assert (sds["result"]["total"], sds["result"]["band"]) == (62, "mild")
    assert (who5["result"]["total"], who5["result"]["raw_total"], who5["result"]["band"]) == (52, 13, "adequate")
    assert scl90["result"]["subscales"]["additional"] == 1.29 and scl90["result"]["total"] == 92
    assert sdq["result"]["subscales"]["emotional"] == 6 and sdq["result"]["prorated"] is True
    assert missing["ok"] is False and missing["field"] == "2" and "第 2 题未作答" in missing["zh"]


# --- any input, as test_fuzz_scoring.py sends it (restricted to what JSON carries unchanged) ---------------------
SAFE = 2**53 - 1
_text = st.text(alphabet=st.characters(max_codepoint=0x2FFF, blacklist_categories=("Cs",)) | st.sampled_from("是否男女一二３"),
                max_size=5)
_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-SAFE, max_value=SAFE), st.integers(min_value=-2, max_value=6),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()), _text,
    st.sampled_from(["yes", " No ", "Y", "是", "否", "TRUE", "-", "", " 3", "03", "-0", "٣", "1.0", "\x00", "a\u200bb",
                     "\xa0", "a\tb", "\u3000", "it's", 'say "x"', "\\", "\x85 2", "\U0001F600", "\ue000"]),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=2), st.dictionaries(_text, st.integers(-5, 5), max_size=2),
)
_keys = st.one_of(st.integers(min_value=-3, max_value=95).map(str), _text)
_plausible = st.one_of(st.integers(min_value=0, max_value=5), st.sampled_from(["yes", "no", "1", "-", None, "是"]))
_answers = st.one_of(st.dictionaries(_keys, _values, max_size=25), st.lists(_values, max_size=95), _values,
                     st.lists(_plausible, max_size=25), st.lists(_plausible, min_size=90, max_size=90),
                     st.dictionaries(st.integers(min_value=1, max_value=25).map(str), _plausible, max_size=25))


@st.composite
def _fuzz_case(draw):
    return _case(draw(st.sampled_from(sorted(definitions.registry()))), draw(_answers),
                 draw(st.sampled_from([None, "male", "female", "x", "", " F "])),
                 draw(st.sampled_from([None, None, None, 20, 36, "36", 99])))


def test_client_and_server_agree_on_any_input():
    """Hypothesis draws 1,000 inputs of any shape, as test_fuzz_scoring.py does (derandomized); they are collected
    first and then compared in one node run."""
    cases: list[dict] = []

    @settings(max_examples=1000, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=_fuzz_case())
    def collect(case):
        cases.append(case)

    collect()
    counts = _compare(cases)
    assert counts["errors"] >= 700  # mostly refusals: the field, and both messages quoting the value, must agree
