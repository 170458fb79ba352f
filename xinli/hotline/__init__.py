"""The psychological assistance hotline (12356): lines and seats, call records with suicide-risk triage, transfers,
repeat-caller recognition, shift handover, call-detail-record import and KPIs."""
