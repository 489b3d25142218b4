"""Retry a request once when SQLite answered ``database is locked``.

Why at the request level: a request's writes are one transaction (see
:func:`kneecoach.web.deps.db_session`), and when SQLite gives up waiting for
another writer that transaction is rolled back whole. Running the request
again is therefore safe: its writes are stored once (second try) or not at
all (the error is shown), never twice. The runner sees the diary entry
saved instead of an error page.

Only requests whose response has not started and whose body is small
(forms, JSON; not big uploads, whose imports retry their own write) are
retried; the session cookie's contents are put back as they were before
the first try.
"""

from __future__ import annotations

import copy
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kneecoach.store.db import is_locked_error

log = logging.getLogger("kneecoach.web.busy_retry")

#: Bodies up to this size are kept for a second try.
MAX_REPLAY_BYTES = 1024 * 1024


class _Replay:
    """Records what the app reads from ``receive`` so a second try can read it again."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.messages: list[Message] = []
        self.size = 0

    async def first(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size <= MAX_REPLAY_BYTES:
                self.messages.append(message)
        return message

    def replayable(self) -> bool:
        return self.size <= MAX_REPLAY_BYTES

    def second(self) -> Receive:
        """The recorded body again, then the real channel (the rest of a body the first try did
        not read, or the client's ``http.disconnect``, which a disconnect listener waits for)."""
        pending = list(self.messages)
        upstream = self._receive

        async def receive() -> Message:
            if pending:
                return pending.pop(0)
            return await upstream()

        return receive


class RetryWhenLocked:
    """ASGI middleware: one more try for a request that failed with ``database is locked``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        saved = copy.deepcopy(dict(session)) if isinstance(session, dict) else None
        replay = _Replay(receive)
        started = False

        async def send_first(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, replay.first, send_first)
            return
        except Exception as exc:
            if started or not is_locked_error(exc) or not replay.replayable():
                raise
        log.warning("database is locked: trying the request once more")
        if isinstance(session, dict) and saved is not None:
            session.clear()
            session.update(saved)
        await self.app(dict(scope), replay.second(), send)
