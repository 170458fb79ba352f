"""Publicity and awareness (科普宣传): articles with an author → reviewer workflow, events with registration and
attendance, and the core-knowledge awareness survey (T10)."""
