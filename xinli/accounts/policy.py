"""Moved to ``xinli.core.policy`` (the access policy sits in the lowest layer, docs/architecture.md "Layers"). This
re-export only keeps branches written before the move importing; new code imports ``xinli.core.policy``."""

from xinli.core.policy import *  # noqa: F401,F403
