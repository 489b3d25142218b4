"""Web face of the single-leg squat video: upload per side, background job, results, apply, API."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path

import pytest

from kneecoach.video.analysis import analyse
from kneecoach.video.container import check_clip
from kneecoach.video.quality import VideoQualityError
from kneecoach.video.report import VideoReport
from kneecoach.web.video_jobs import VideoJobs
from tests.video.synth import squat_series
from tests.web.conftest import Browser

CLIP = Path(__file__).parent.parent / "data" / "video" / "pose_squats.mp4"
#: Starts like an MP4 (an ``ftyp`` box), so the upload check lets it through to the fake analyser.
FAKE_CLIP = b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom" + b"fake clip bytes"
BAD_CLIP = b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom" + b"bad bytes"
#: The container check without OpenCV's open (the fake clips are not decodable).
MAGIC_ONLY = partial(check_clip, open_with_opencv=False)


def fake_analyser(clip: Path, side, out_dir: Path, progress):
    """Synthetic landmarks instead of the pose model: the runner, storage and pages are under test."""
    data = clip.read_bytes()
    if data == BAD_CLIP:
        raise VideoQualityError("not_a_video", "clip.mp4 could not be read as a video.")
    assert data == FAKE_CLIP
    progress(0.5)
    fppa = 15.0 if side == "left" else 4.0
    report = VideoReport(analyse(squat_series(side or "left", fppa=fppa)), 10.0)
    from kneecoach.video.render import angle_chart  # matplotlib only: no OpenCV needed

    report.images["chart"] = str(angle_chart(report.analysis, out_dir / "c.png"))
    return report.to_json()


@pytest.fixture()
def jobs(app, tmp_path: Path) -> VideoJobs:
    j = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    app.state.video_jobs = j
    return j


def _upload(b: Browser, side: str, body: bytes = FAKE_CLIP, api: bool = False):
    path = "/api/v1/selftests/video" if api else "/selftests/video"
    token = b.token("/selftests") if not api else b.c.get("/api/v1/csrf").json()["csrf_token"]
    headers = {"x-csrf-token": token} if api else {}
    return b.c.post(path, data={"side": side, "csrf_token": token}, files={"clip": ("clip.mp4", io.BytesIO(body), "video/mp4")},
                    headers=headers, follow_redirects=False)


def test_upload_analyse_show_and_apply(browser: Browser, jobs: VideoJobs, tmp_path: Path) -> None:
    uid = browser.signup("vid@example.org")
    browser.intake()
    page = browser.c.get("/selftests").text
    assert 'action="/selftests/video"' in page and "not a diagnosis" in page
    r = _upload(browser, "left")
    assert r.status_code == 303
    job_id = r.headers["location"].rsplit("/", 1)[1]
    st = jobs.wait(uid, job_id)
    assert st["status"] == "done"
    assert not list((tmp_path / "jobs").rglob("clip"))  # the clip is not kept
    html = browser.c.get(f"/selftests/video/{job_id}").text
    assert "+15.0°" in html and "Record in my self-tests" in html
    png = browser.c.get(f"/selftests/video/{job_id}/chart.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    r = browser.post(f"/selftests/video/{job_id}/apply")
    assert r.status_code == 303 and r.headers["location"] == f"/u/{uid}/results"
    profile = browser.c.get(f"/api/v1/users/{uid}/profile").json()
    assert profile["self_tests"]["single_leg_squat"]["left"]["valgus_angle_deg"] == pytest.approx(15.0, abs=0.5)
    assert profile["self_tests"]["single_leg_squat"]["left"]["knee_falls_inward"] is True
    results = browser.c.get(f"/u/{uid}/results").text
    assert "knee drops inward" in results.lower()
    assert "Recorded in your self-tests" in browser.c.get(f"/selftests/video/{job_id}").text


def test_quality_problem_is_shown(browser: Browser, jobs: VideoJobs) -> None:
    uid = browser.signup("bad@example.org")
    browser.intake()
    r = _upload(browser, "right", BAD_CLIP)
    job_id = r.headers["location"].rsplit("/", 1)[1]
    assert jobs.wait(uid, job_id)["status"] == "failed"
    html = browser.c.get(f"/selftests/video/{job_id}").text
    assert "Could not measure this clip" in html and "could not be read as a video" in html
    assert browser.post(f"/selftests/video/{job_id}/apply").status_code == 409


def test_jobs_are_private(app, jobs: VideoJobs) -> None:
    a, b = Browser(app), Browser(app)
    uid = a.signup("a@example.org")
    a.intake()
    b.signup("b@example.org")
    job_id = _upload(a, "left").headers["location"].rsplit("/", 1)[1]
    jobs.wait(uid, job_id)
    assert b.c.get(f"/selftests/video/{job_id}").status_code == 404
    assert b.c.get(f"/selftests/video/{job_id}/chart.png").status_code == 404
    assert b.c.get(f"/api/v1/selftests/video/{job_id}").status_code == 404
    assert b.post(f"/selftests/video/{job_id}/apply").status_code == 404


def test_api_flow(browser: Browser, jobs: VideoJobs) -> None:
    uid = browser.signup("api@example.org")
    browser.intake()
    r = _upload(browser, "right", api=True)
    assert r.status_code == 202
    job_id = r.json()["id"]
    jobs.wait(uid, job_id)
    body = browser.c.get(r.json()["status_url"]).json()
    assert body["status"] == "done" and body["result"]["sides"]["right"]["fppa_deg"] == pytest.approx(4.0, abs=0.5)
    token = browser.c.get("/api/v1/csrf").json()["csrf_token"]
    ok = browser.c.post(f"/api/v1/selftests/video/{job_id}/apply", headers={"x-csrf-token": token})
    assert ok.status_code == 200 and ok.json()["recorded"]["right"]["knee_falls_inward"] is False
    bad = browser.c.post("/api/v1/selftests/video", data={"side": "middle"}, headers={"x-csrf-token": token},
                         files={"clip": ("c.mp4", io.BytesIO(b"x"), "video/mp4")})
    assert bad.status_code == 422


def test_real_clip_through_the_real_runner(app, browser: Browser, tmp_path: Path) -> None:
    from kneecoach.video.pose import video_available

    if video_available():
        pytest.skip(video_available())
    jobs = VideoJobs(tmp_path / "real")
    app.state.video_jobs = jobs
    uid = browser.signup("real@example.org")
    browser.intake()
    job_id = _upload(browser, "left", CLIP.read_bytes(), api=True).json()["id"]
    st = jobs.wait(uid, job_id, timeout=120)
    assert st["status"] == "failed" and st["error_code"] == "not_frontal"  # the test clip is filmed turned
    assert not list((tmp_path / "real").rglob("clip"))


def test_progress_is_shown_while_running(app, browser: Browser, tmp_path: Path) -> None:
    import threading

    release = threading.Event()
    halfway = threading.Event()

    def slow(clip, side, out_dir, progress):
        progress(0.5)
        halfway.set()
        release.wait(10)
        return fake_analyser(clip, side, out_dir, lambda x: None)

    jobs = VideoJobs(tmp_path / "slow", analyser=slow, probe=MAGIC_ONLY)
    app.state.video_jobs = jobs
    uid = browser.signup("slow@example.org")
    browser.intake()
    job_id = _upload(browser, "left").headers["location"].rsplit("/", 1)[1]
    assert halfway.wait(10)
    html = browser.c.get(f"/selftests/video/{job_id}").text
    assert "Analysing… 50%" in html and 'http-equiv="refresh"' in html
    assert browser.c.get(f"/api/v1/selftests/video/{job_id}").json()["progress"] == 0.5
    release.set()
    assert jobs.wait(uid, job_id)["status"] == "done"


def test_too_large_upload_is_refused_and_not_kept(browser: Browser, jobs: VideoJobs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import kneecoach.web.video_jobs as vj

    monkeypatch.setattr(vj, "MAX_CLIP_BYTES", 10)
    browser.signup("big@example.org")
    browser.intake()
    r = _upload(browser, "left", b"x" * 100, api=True)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    r = _upload(browser, "left", b"x" * 100)
    assert r.status_code == 303 and r.headers["location"] == "/selftests#squat-video"
    assert list((tmp_path / "jobs").iterdir()) == []


def _upload_kept(b: Browser, side: str, api: bool = False):
    path = "/api/v1/selftests/video" if api else "/selftests/video"
    token = b.token("/selftests") if not api else b.c.get("/api/v1/csrf").json()["csrf_token"]
    headers = {"x-csrf-token": token} if api else {}
    return b.c.post(path, data={"side": side, "csrf_token": token, "keep": "true"},
                    files={"clip": ("my squat.mp4", io.BytesIO(FAKE_CLIP), "video/mp4")},
                    headers=headers, follow_redirects=False)


def test_a_clip_is_kept_only_when_asked_and_can_be_watched_and_deleted(app, jobs: VideoJobs, tmp_path: Path) -> None:
    runner, other, clinician = Browser(app), Browser(app), Browser(app)
    uid = runner.signup("keep@example.org")
    runner.intake()
    other.signup("other@example.org")
    other.intake()

    # Not asked: nothing stored anywhere.
    plain = _upload(runner, "left").headers["location"].rsplit("/", 1)[1]
    assert jobs.wait(uid, plain)["clip_id"] is None
    assert runner.c.get(f"/api/v1/users/{uid}/clips").json() == []
    assert "Your clip has been deleted" in runner.c.get(f"/selftests/video/{plain}").text

    # Asked: stored in the database, owned by the runner, out of the job folder.
    kept = _upload_kept(runner, "left").headers["location"].rsplit("/", 1)[1]
    st = jobs.wait(uid, kept)
    assert st["status"] == "done" and st["clip_id"]
    assert not list((tmp_path / "jobs").rglob("clip"))
    assert "Your clip is kept" in runner.c.get(f"/selftests/video/{kept}").text
    (meta,) = runner.c.get(f"/api/v1/users/{uid}/clips").json()
    assert meta["side"] == "left" and meta["size"] == len(FAKE_CLIP) and meta["filename"] == "my squat.mp4"
    assert meta["summary"]["sides"]["left"]["fppa_deg"] == pytest.approx(15.0, abs=0.5)
    video = runner.c.get(meta["url"])
    assert video.status_code == 200 and video.content == FAKE_CLIP
    assert video.headers["content-type"] == "video/mp4" and "no-store" in video.headers["cache-control"]
    assert f'/u/{uid}/clips/{meta["id"]}' in runner.c.get("/selftests").text

    # Nobody else sees it; an invited clinician does.
    assert other.c.get(meta["url"]).status_code == 404
    assert other.c.get(f"/api/v1/users/{uid}/clips").status_code == 404
    assert other.post(f"/selftests/clips/{meta['id']}/delete").status_code == 404
    import re

    runner.post("/invites", {})
    code = re.search(r"<code>([^<]+)</code>", runner.c.get("/home").text).group(1)
    clinician.signup("doc@example.org", role="clinician")
    clinician.post("/invites/accept", {"code": code})
    assert clinician.c.get(meta["url"]).content == FAKE_CLIP

    # It goes with the export, then the runner deletes it.
    import zipfile

    export = runner.c.get("/api/v1/account/export")
    assert export.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert "data/video_clips.json" in names and any(n.startswith("files/video_clips") for n in names)
    r = runner.post(f"/selftests/clips/{meta['id']}/delete")
    assert r.status_code == 303
    assert runner.c.get(f"/api/v1/users/{uid}/clips").json() == []
    assert runner.c.get(meta["url"]).status_code == 404


def test_api_keeps_and_deletes_a_clip(browser: Browser, jobs: VideoJobs) -> None:
    uid = browser.signup("apikeep@example.org")
    browser.intake()
    r = _upload_kept(browser, "right", api=True)
    assert r.status_code == 202
    st = jobs.wait(uid, r.json()["id"])
    body = browser.c.get(r.json()["status_url"]).json()
    assert body["keep"] is True and body["clip_id"] == st["clip_id"]
    token = browser.c.get("/api/v1/csrf").json()["csrf_token"]
    assert browser.c.get(f"/api/v1/users/{uid}/clips/{st['clip_id']}").content == FAKE_CLIP
    assert browser.c.delete(f"/api/v1/clips/{st['clip_id']}", headers={"x-csrf-token": token}).json() == {
        "deleted": st["clip_id"]}
    assert browser.c.delete(f"/api/v1/clips/{st['clip_id']}", headers={"x-csrf-token": token}).status_code == 404
