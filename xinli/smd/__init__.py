"""Severe-mental-disorder register and community follow-up (严重精神障碍患者服务管理, DOMAIN.md §5)."""
