"""Counselling case work with confidential notes, personalised plans for special populations (T09), referrals to
hospitals and back, and appointments."""
