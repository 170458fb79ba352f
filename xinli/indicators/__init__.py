"""Indicators, targets, rollups, dashboards, early warning and reports (issue 8). So far: the aberration-detection
methods of the early warning (``aberration.py``)."""
