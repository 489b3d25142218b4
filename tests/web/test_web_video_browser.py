"""The squat-video upload in headless Chromium: choose a clip, watch progress, see numbers and pictures.

The pose model is replaced by synthetic landmarks (tests/web/test_web_video.py::fake_analyser) so
the browser part (upload form, self-refreshing progress page, images under the CSP, record button)
is what is tested; the real pipeline has its own tests in tests/video/.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kneecoach.web import kb
from kneecoach.web.app import create_app
from kneecoach.web.video_jobs import VideoJobs

from .conftest import PASSWORD
from .test_web_browser import CHROMIUM, _free_port, assert_at, page, shot, submit  # noqa: F401  (fixture)
from .test_web_video import FAKE_CLIP, MAGIC_ONLY, fake_analyser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"headless Chromium not installed at {CHROMIUM}"),
]


@pytest.fixture()
def video_server(tmp_path):
    import uvicorn

    gate = threading.Event()

    def slow(clip, side, out_dir, progress):
        progress(0.4)
        gate.wait(20)
        return fake_analyser(clip, side, out_dir, progress)

    app = create_app(f"sqlite:///{tmp_path / 'v.db'}", secret_key="browser-video-key-" + "z" * 32)
    app.state.video_jobs = VideoJobs(tmp_path / "jobs", analyser=slow, probe=MAGIC_ONLY)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", gate
    gate.set()
    srv.should_exit = True
    thread.join(timeout=10)


def test_squat_video_upload_in_chromium(video_server, page, tmp_path):
    server, gate = video_server
    page.goto(server + "/signup")
    page.fill("#f-email", "video@example.org")
    page.fill("#f-display_name", "Vic Video")
    page.fill("#f-password", PASSWORD)
    submit(page, "button:has-text('Sign up')")
    page.fill("#f-email", "video@example.org")
    page.fill("#f-password", PASSWORD)
    submit(page, "main button:has-text('Log in')")
    page.goto(server + "/intake")
    for flag in kb.red_flags_for(None):
        page.check(f"input[name='red_flags.{flag.id}'][value='false']")
    page.check("input[name='symptoms.sides'][value='left']")
    page.check("input[name='symptoms.locations'][value='around_kneecap']")
    page.fill("#f-running\\.current_weekly_km", "18")
    page.fill("#f-running\\.target_weekly_km", "40")
    submit(page, "button:has-text('Save and continue')")
    assert_at(page, server + "/selftests")

    clip = tmp_path / "left.mp4"
    clip.write_bytes(FAKE_CLIP)
    page.set_input_files("#clip-left", str(clip))
    submit(page, "button:has-text('Analyse the left leg')")
    assert "Analysing" in page.inner_text("main")
    gate.set()
    page.wait_for_selector("#video-result", timeout=30_000)  # the page refreshes itself until done
    text = page.inner_text("main")
    assert "+15.0°" in text and "not a diagnosis" in text
    page.wait_for_function("document.querySelector('figure img').complete")
    assert page.evaluate("document.querySelector('figure img').naturalWidth") == 800  # the chart PNG loaded
    shot(page, "14-squat-video")
    submit(page, "button:has-text('Record in my self-tests')")
    assert "/results" in page.url
    assert "knee drops inward" in page.inner_text("main").lower()

    # The right leg, this time asking kneecoach to keep the clip: it is listed, playable and deletable.
    page.goto(server + "/selftests")
    right = tmp_path / "right.mp4"
    right.write_bytes(FAKE_CLIP)
    page.set_input_files("#clip-right", str(right))
    page.locator("form.video-upload:has(#clip-right) input[name='keep']").check()
    submit(page, "button:has-text('Analyse the right leg')")
    page.wait_for_selector("#clip-kept", timeout=30_000)
    page.goto(server + "/selftests#squat-video")
    kept = page.locator("ul.clips li")
    assert kept.count() == 1 and "right leg" in kept.inner_text() and "+4.0°" in kept.inner_text()
    href = kept.locator("a").get_attribute("href")
    assert page.request.get(server + href).body() == FAKE_CLIP
    page.locator("#squat-video").screenshot(path=str(Path(__file__).parents[2] / "docs" / "screenshots" / "16-kept-clip.png"))
    submit(page, "ul.clips button:has-text('Delete')")
    assert "The clip is deleted" in page.inner_text("main")
    assert page.locator("ul.clips li").count() == 0
