"""Generators for real-format watch files with known ground truth.

Each generator builds a run from a :class:`Design` (route along a fixed
bearing, designed altitude profile, constant heart rate and cadence) and
writes it in the real format with the real tool: GPX with ``gpxpy``, TCX as
Garmin-schema XML text, FIT with the ``fit_tool`` encoder. Tests then check
the importers against the design, not against numbers copied from a parse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

EARTH_RADIUS_M = 6_371_008.8


def destination(lat: float, lon: float, bearing_deg: float, dist_m: float) -> tuple[float, float]:
    """Point ``dist_m`` from (lat, lon) along ``bearing_deg`` on a sphere (great circle)."""
    p1, l1, th = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    d = dist_m / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(th))
    l2 = l1 + math.atan2(math.sin(th) * math.sin(d) * math.cos(p1),
                         math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


def profile_altitude(dist_m: float) -> float:
    """Designed altitude: +50 m over 0-2 km, -30 m over 2-3 km, +20 m over 3-4 km, flat after.

    Total designed climb: 70 m.
    """
    if dist_m <= 2000:
        return 100 + 50 * dist_m / 2000
    if dist_m <= 3000:
        return 150 - 30 * (dist_m - 2000) / 1000
    if dist_m <= 4000:
        return 120 + 20 * (dist_m - 3000) / 1000
    return 140.0


DESIGNED_CLIMB_M = 70.0


@dataclass(frozen=True)
class Design:
    """Ground truth for a generated run."""

    start: datetime = datetime(2026, 3, 2, 7, 30, tzinfo=timezone.utc)
    distance_m: float = 5000.0
    step_m: float = 10.0
    seconds_per_step: int = 3            # 10 m / 3 s = 3.33 m/s (5:00 /km)
    bearing_deg: float = 45.0
    lat0: float = 47.3769
    lon0: float = 8.5417
    heart_rate: int = 150
    cadence_per_leg: int = 86            # -> 172 steps/min
    noise_m: float = 0.0                 # +-noise added to altitude, alternating sign
    sport: str = "running"

    @property
    def n_points(self) -> int:
        return int(round(self.distance_m / self.step_m)) + 1

    @property
    def duration_s(self) -> float:
        return (self.n_points - 1) * self.seconds_per_step

    @property
    def cadence_spm(self) -> float:
        return 2.0 * self.cadence_per_leg

    def points(self) -> list[tuple[datetime, float, float, float, float]]:
        """(time, lat, lon, altitude, cumulative distance) for every point."""
        out = []
        for i in range(self.n_points):
            d = i * self.step_m
            lat, lon = destination(self.lat0, self.lon0, self.bearing_deg, d)
            alt = profile_altitude(d) + (self.noise_m if i % 2 else -self.noise_m)
            out.append((self.start + timedelta(seconds=i * self.seconds_per_step), lat, lon, alt, d))
        return out


# --------------------------------------------------------------------------- GPX

def make_gpx(design: Design, *, segments: int = 1, with_extensions: bool = True,
             with_time: bool = True) -> bytes:
    """A GPX 1.1 track written with gpxpy, Garmin TrackPointExtension hr/cad included."""
    import xml.etree.ElementTree as ET

    import gpxpy.gpx

    ns = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = ns
    track = gpxpy.gpx.GPXTrack(name="Morning Run")
    track.type = design.sport
    gpx.tracks.append(track)
    pts = design.points()
    # Split into ``segments`` pieces that share their boundary point, so the
    # summed segment length equals the route length.
    bounds = [round(k * (len(pts) - 1) / segments) for k in range(segments + 1)]
    for a, b in zip(bounds, bounds[1:]):
        seg = gpxpy.gpx.GPXTrackSegment()
        for t, lat, lon, alt, _ in pts[a:b + 1]:
            p = gpxpy.gpx.GPXTrackPoint(lat, lon, elevation=alt, time=t if with_time else None)
            if with_extensions:
                ext = ET.Element(f"{{{ns}}}TrackPointExtension")
                ET.SubElement(ext, f"{{{ns}}}hr").text = str(design.heart_rate)
                ET.SubElement(ext, f"{{{ns}}}cad").text = str(design.cadence_per_leg)
                p.extensions.append(ext)
            seg.points.append(p)
        track.segments.append(seg)
    return gpx.to_xml(version="1.1").encode("utf-8")


# --------------------------------------------------------------------------- TCX

def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def make_tcx(design: Design, *, laps: int = 2, with_times: bool = True,
             sport: str = "Running") -> bytes:
    """Garmin TCX v2 text with laps, trackpoints and ActivityExtension RunCadence."""
    pts = design.points()
    per_lap = (len(pts) - 1) // laps
    bounds = [k * per_lap for k in range(laps)] + [len(pts) - 1]
    lap_xml = []
    for k in range(laps):
        a, b = bounds[k], bounds[k + 1]
        chunk = pts[a:b + 1] if k == laps - 1 else pts[a:b]
        lap_dist = pts[b][4] - pts[a][4]
        lap_secs = (pts[b][0] - pts[a][0]).total_seconds()
        tps = []
        for t, lat, lon, alt, d in chunk:
            time_el = f"<Time>{_iso(t)}</Time>" if with_times else ""
            tps.append(
                f"<Trackpoint>{time_el}<Position><LatitudeDegrees>{lat:.8f}</LatitudeDegrees>"
                f"<LongitudeDegrees>{lon:.8f}</LongitudeDegrees></Position>"
                f"<AltitudeMeters>{alt:.2f}</AltitudeMeters><DistanceMeters>{d:.2f}</DistanceMeters>"
                f"<HeartRateBpm><Value>{design.heart_rate}</Value></HeartRateBpm>"
                f"<Extensions><ns3:TPX><ns3:RunCadence>{design.cadence_per_leg}</ns3:RunCadence>"
                f"</ns3:TPX></Extensions></Trackpoint>"
            )
        start_attr = f' StartTime="{_iso(pts[a][0])}"' if with_times else ""
        secs_el = f"<TotalTimeSeconds>{lap_secs:.1f}</TotalTimeSeconds>" if with_times else ""
        lap_xml.append(
            f"<Lap{start_attr}>{secs_el}<DistanceMeters>{lap_dist:.2f}</DistanceMeters>"
            f"<Calories>100</Calories><AverageHeartRateBpm><Value>{design.heart_rate}</Value>"
            f"</AverageHeartRateBpm><Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>"
            f"<Track>{''.join(tps)}</Track></Lap>"
        )
    id_el = f"<Id>{_iso(design.start)}</Id>" if with_times else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
        f'<Activities><Activity Sport="{sport}">{id_el}{"".join(lap_xml)}</Activity></Activities>'
        "</TrainingCenterDatabase>"
    )
    return xml.encode("utf-8")


# --------------------------------------------------------------------------- FIT

@dataclass(frozen=True)
class FitDesign:
    """A 1 Hz FIT recording: constant speed along a bearing, designed climb."""

    start: datetime = datetime(2026, 3, 4, 6, 0, tzinfo=timezone.utc)
    seconds: int = 1200                   # records = seconds + 1
    speed_mps: float = 3.0
    bearing_deg: float = 120.0
    lat0: float = 51.5
    lon0: float = -0.12
    heart_rate: int = 142
    cadence_per_leg: int = 84
    fractional: float = 0.5               # per-leg fractional cadence (FIT 1/128 units)
    climb_m: float = 36.0                 # linear climb over the first half, flat after
    sport: str = "running"
    extras: dict[str, float] = field(default_factory=dict)
    record_every_s: int = 1               # > 1: sparser records, for tests that need many files fast

    @property
    def distance_m(self) -> float:
        return self.speed_mps * self.seconds

    @property
    def cadence_spm(self) -> float:
        return 2.0 * (self.cadence_per_leg + self.fractional)

    def altitude(self, i: int) -> float:
        half = self.seconds / 2
        return 200.0 + self.climb_m * min(i, half) / half


def make_fit(design: FitDesign, *, session: bool = True, with_cadence: bool = True) -> bytes:
    """Encode a FIT activity with fit_tool: file_id, events, records, lap, session, activity."""
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport

    t0 = int(design.start.timestamp() * 1000)
    b = FitFileBuilder(auto_define=True, min_string_size=50)
    fid = FileIdMessage()
    fid.type = FileType.ACTIVITY
    fid.manufacturer = Manufacturer.DEVELOPMENT.value
    fid.product = 0
    fid.serial_number = 0x12345678
    fid.time_created = t0
    b.add(fid)
    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.START
    ev.timestamp = t0
    b.add(ev)
    recs = []
    offsets = list(range(0, design.seconds, design.record_every_s)) + [design.seconds]
    for i in offsets:
        lat, lon = destination(design.lat0, design.lon0, design.bearing_deg, design.speed_mps * i)
        r = RecordMessage()
        r.timestamp = t0 + i * 1000
        r.position_lat = lat
        r.position_long = lon
        r.distance = design.speed_mps * i
        r.altitude = design.altitude(i)
        r.heart_rate = design.heart_rate
        if with_cadence:
            r.cadence = design.cadence_per_leg
            r.fractional_cadence = design.fractional
        recs.append(r)
    b.add_all(recs)
    t_end = t0 + design.seconds * 1000
    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.STOP_ALL
    ev.timestamp = t_end
    b.add(ev)
    sport = {"running": Sport.RUNNING, "cycling": Sport.CYCLING}[design.sport]
    if session:
        lap = LapMessage()
        lap.timestamp = t_end
        lap.start_time = t0
        lap.total_elapsed_time = design.seconds
        lap.total_timer_time = design.seconds
        lap.total_distance = design.distance_m
        b.add(lap)
        s = SessionMessage()
        s.timestamp = t_end
        s.start_time = t0
        s.sport = sport
        s.total_elapsed_time = design.seconds
        s.total_timer_time = design.seconds
        s.total_distance = design.distance_m
        s.total_ascent = round(design.climb_m)
        s.avg_heart_rate = design.heart_rate
        if with_cadence:
            s.avg_cadence = design.cadence_per_leg
            s.avg_fractional_cadence = design.fractional
        b.add(s)
        act = ActivityMessage()
        act.timestamp = t_end
        act.total_timer_time = design.seconds
        act.num_sessions = 1
        b.add(act)
    return b.build().to_bytes()
