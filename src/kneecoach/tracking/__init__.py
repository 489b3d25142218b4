"""Tracking: watch-file import, running load, diary and review."""
