"""The kneecoach web app (FastAPI + Jinja2). Build it with :func:`kneecoach.web.app.create_app`."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    # Lazy, so importing kneecoach.web for a submodule does not build FastAPI objects.
    if name == "create_app":
        from kneecoach.web.app import create_app

        return create_app
    raise AttributeError(name)
