"""Renderers: Markdown and JSON (here), PDF and iCalendar (pdf.py, ics.py)."""
