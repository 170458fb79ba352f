"""Fuzz: the scoring engine on any answers (any keys, any values, any shape) for every instrument: a result or a
``ScoringError`` naming the item, never another exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinli.scales import ScoringError, definitions, score

CODES = sorted(definitions.registry())
values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5), st.decimals(),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
keys = st.one_of(st.integers(min_value=-3, max_value=95).map(str), st.text(max_size=6), st.integers())
answers = st.one_of(st.dictionaries(keys, values, max_size=25), st.lists(values, max_size=95), values)


@settings(max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(code=st.sampled_from(CODES), answers=answers, sex=st.sampled_from([None, "male", "female", "x", ""]))
def test_any_answers_give_a_score_or_a_scoring_error(code, answers, sex):
    try:
        result = score(code, answers, sex=sex)
    except ScoringError as exc:
        assert str(exc).strip()
    else:
        assert result.total is not None


@settings(max_examples=100, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(code=st.sampled_from(CODES), data=st.data())
def test_valid_answers_always_score(code, data):
    d = definitions.get(code)
    chosen = {i.id: data.draw(st.sampled_from([o.value for o in i.options])) for i in d.items if i.options}
    try:
        result = score(code, chosen, sex="male")
    except ScoringError as exc:  # an instrument with free-number items (no options) needs more than choices
        assert any(not i.options for i in d.items), exc
    else:
        assert result.total is not None
