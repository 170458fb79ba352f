"""Deterministic demo data: a real city's tree, synthetic residents and one account per role."""
