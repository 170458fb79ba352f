"""Instrument library and scoring engine.

``xinli.scales.score(code, answers, **context)`` is the one scoring function (a pure function of the instrument's
definition and the answers); ``xinli.scales.definitions`` loads and validates the definition files.
"""

from .engine import Result, ScoringError, score  # noqa: F401
