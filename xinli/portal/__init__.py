"""The public self-help portal (no login to read): hotline, anonymous self-tests with a crisis screen, site finder."""
