"""``kneecoach serve`` starts a working server (one worker and several), on loopback only."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_starts_and_stores_a_private_key(tmp_path, workers):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"KNEECOACH_SECRET_KEY", "KNEECOACH_DB"}}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    cmd = [sys.executable, "-c", "from kneecoach.cli import main; main()", "serve", "--port", str(port),
           "--db", str(tmp_path / "serve.db"), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 200
        key = tmp_path / "data" / "kneecoach" / "secret_key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        # cookies signed by one worker are accepted by the others (same key)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            tok = c.get("/api/v1/csrf").json()["csrf_token"]
            for _ in range(6):
                assert c.get("/api/v1/csrf").json()["csrf_token"] == tok
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
