"""Tracking tests (a package so its conftest does not shadow other test folders' ``conftest``)."""
