"""The service network: institutions, service sites with status history, workforce with qualification rules, and the
coverage views behind targets T01–T07 (DOMAIN.md §2, §4)."""
