"""Is an uploaded file a video at all? Judged from its bytes, before it is queued for analysis.

The file name and the browser's Content-Type are the client's word, so neither is trusted: an
upload is sniffed from its first bytes (the container signature), and, where OpenCV is installed,
opened and one frame decoded (so the codec is one the analysis can read, and the clip is not too
long). A file that fails is refused at upload with a reason, instead of waiting on disk for the
analysis worker. The media type found here is also the one a kept clip is served with.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kneecoach.video.quality import VideoQualityError

#: Top-level boxes an ISO-BMFF/QuickTime file may start with (after the 4-byte size).
_QUICKTIME_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EBML = b"\x1a\x45\xdf\xa3"  # Matroska / WebM

#: Media types a kept clip may be served with: the ones :func:`sniff_video_type` can answer.
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/3gpp", "video/webm", "video/x-matroska",
                         "video/x-msvideo"})


class ClipRejected(VideoQualityError):
    """An upload that is not a video the analysis can read; ``code`` names why (empty, not_a_video, ...)."""


def sniff_video_type(head: bytes) -> str | None:
    """The video container's media type from a file's first bytes (64 are plenty), or None."""
    if len(head) >= 12 and head[4:8] in _QUICKTIME_BOXES:
        if head[4:8] != b"ftyp":
            return "video/quicktime"
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand.startswith(b"3g"):
            return "video/3gpp"
        return "video/mp4"
    if head.startswith(_EBML):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    return None


def opencv_available() -> bool:
    return importlib.util.find_spec("cv2") is not None


def check_clip(path: Path, *, open_with_opencv: bool = True) -> str:
    """Refuse what is not a readable video (:class:`ClipRejected`); return its media type.

    ``open_with_opencv`` (default) also opens the file with OpenCV and decodes a frame when
    OpenCV is installed; without OpenCV only the container signature is checked.
    """
    size = path.stat().st_size
    if size == 0:
        raise ClipRejected("empty", "The file is empty.")
    with path.open("rb") as fh:
        head = fh.read(64)
    media = sniff_video_type(head)
    if media is None:
        raise ClipRejected("not_a_video", "The file is not a video (MP4, MOV, WebM, MKV or AVI from a phone or camera).")
    if open_with_opencv and opencv_available():
        from kneecoach.video.pose import open_clip

        try:
            cap, *_ = open_clip(path)
        except VideoQualityError as exc:
            raise ClipRejected(exc.code, exc.problem) from None
        cap.release()
    return media


__all__ = ["VIDEO_TYPES", "ClipRejected", "check_clip", "opencv_available", "sniff_video_type"]
