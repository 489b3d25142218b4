"""Data rights: everything kneecoach holds about a person, as one zip; and erasure.

Generic over the schema on purpose. :func:`owner_scoped_models` finds every
mapped table with an ``owner_id`` column, so a table added later (re-tests,
import jobs, ...) is exported and erased with no change here, and the README
inside the zip is written from the same metadata, so it always describes the
columns actually present. A table that belongs to a person through another
column than ``owner_id`` needs one line in :data:`EXTRA_PERSON_COLUMNS`.

Binary columns (e.g. an original upload, if a table keeps one) are written as
separate files under ``files/`` and referenced from the JSON by path.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.orm import Session

from kneecoach.intake.units import KM_PER_MILE, UNIT_WORDS, check_unit
from kneecoach.store.models import Base, User

FORMAT_VERSION = 1

#: Tables tied to a person by columns other than ``owner_id``: table -> columns.
#: Rows where any listed column is the person's id are exported (and removed on erasure).
EXTRA_PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "care_links": ("runner_id", "clinician_id"),
}

#: Columns never exported: secrets, not personal data the person gave us.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    "care_links": frozenset({"invite_code"}),
}

#: Tables that are security machinery, not data about the person (session tokens, attempt counters).
NOT_EXPORTED = frozenset({"user_sessions", "auth_attempts"})


def owner_scoped_tables() -> list[Table]:
    """Every table with an ``owner_id`` column, in dependency order (parents first)."""
    return [t for t in Base.metadata.sorted_tables if "owner_id" in t.c]


def _person_tables() -> list[tuple[Table, tuple[str, ...]]]:
    found = [(t, ("owner_id",)) for t in owner_scoped_tables()]
    for t in Base.metadata.sorted_tables:
        if t.name in EXTRA_PERSON_COLUMNS:
            found.append((t, EXTRA_PERSON_COLUMNS[t.name]))
    return found


def _jsonable(value: Any, table: str, row_id: Any, column: str, files: dict[str, bytes]) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        path = f"files/{table}/{row_id}_{column}.bin"
        files[path] = bytes(value)
        return {"file": path}
    return value


def _rows(db: Session, table: Table, columns: tuple[str, ...], user_id: int) -> Iterator[dict[str, Any]]:
    condition = or_(*(table.c[c] == user_id for c in columns))
    order = table.c["id"] if "id" in table.c else list(table.primary_key.columns)[0]
    for row in db.execute(select(table).where(condition).order_by(order)).mappings():
        yield dict(row)


def collect(db: Session, user_id: int) -> tuple[dict[str, list[dict[str, Any]]], dict[str, bytes]]:
    """Table name -> the person's rows (JSON-ready), and binary files by path inside the zip."""
    user = db.get(User, user_id)
    if user is None:
        raise LookupError(f"no user with id {user_id}")
    files: dict[str, bytes] = {}
    data: dict[str, list[dict[str, Any]]] = {}
    for table, columns in [(User.__table__, ("id",)), *_person_tables()]:
        if table.name in NOT_EXPORTED:
            continue
        hidden = SECRET_COLUMNS.get(table.name, frozenset())
        rows = []
        for row in _rows(db, table, columns, user_id):
            rid = row.get("id")
            rows.append({k: _jsonable(v, table.name, rid, k, files) for k, v in row.items() if k not in hidden})
        data[table.name] = rows
    return data, files


def format_readme(data: dict[str, list[dict[str, Any]]], unit: str = "km") -> str:
    """The README inside the export: how the files are laid out, what every column means, and that stored
    distances are metric whatever ``unit`` (the runner's display unit) is."""
    shown = check_unit(unit)
    lines = [
        "kneecoach data export",
        "=====================",
        "",
        f"Format version {FORMAT_VERSION}. Everything kneecoach stores about you, one JSON file per table",
        "under data/, each a list of rows (objects keyed by column name), oldest first.",
        "Times are ISO 8601 in UTC; days are YYYY-MM-DD. Profiles, assessments and plans keep every",
        "version as a separate row; their 'data' column is the full document kneecoach worked from.",
        "Binary columns (original files, where a table keeps them) are under files/ and referenced",
        "from the JSON as {\"file\": \"files/...\"}. Passwords (only a hash is ever kept), invite codes",
        "and sign-in session tokens are not included: they are secrets, not information about you.",
        "kneecoach gives education and a plan, not a diagnosis.",
        "",
        "Units",
        "-----",
        "Stored distances are metric, whatever unit you read them in: columns and keys say which",
        "(distance_m is metres, *_km is kilometres, elevation_gain_m is metres, duration_s is seconds).",
        f"Your display unit is {shown} ({UNIT_WORDS[shown]}; users.distance_unit). To convert: 1 mi = "
        f"{KM_PER_MILE} km exactly, so miles = km / {KM_PER_MILE}.",
        "Sentences kneecoach wrote at the time (plan notes, review reasons) are kept as written, in the",
        "unit you used then.",
        "",
        "Tables",
        "------",
    ]
    for table in [User.__table__, *[t for t, _ in _person_tables()]]:
        if table.name not in data:
            continue
        hidden = SECRET_COLUMNS.get(table.name, frozenset())
        doc = _model_doc(table)
        lines += ["", f"data/{table.name}.json ({len(data[table.name])} rows)", f"  {doc}".rstrip()]
        for col in table.columns:
            if col.name in hidden:
                continue
            lines.append(f"  - {col.name}: {col.type}{'' if col.nullable is False else ', may be null'}")
    return "\n".join(lines) + "\n"


def _model_doc(table: Table) -> str:
    """The first paragraph of the model's docstring, on one line: the table's meaning in words."""
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return " ".join((mapper.class_.__doc__ or "").split("\n\n")[0].split())
    return ""


def export_zip(db: Session, user_id: int) -> bytes:
    """One zip: README.txt, manifest.json and data/<table>.json (+ files/ for binary columns)."""
    data, files = collect(db, user_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        owner = db.get(User, user_id)
        zf.writestr("README.txt", format_readme(data, getattr(owner, "distance_unit", None) or "km"))
        manifest = {
            "format": "kneecoach-export",
            "format_version": FORMAT_VERSION,
            "exported_at": datetime.now(timezone.utc).isoformat(),
            "user_id": user_id,
            "tables": {name: len(rows) for name, rows in data.items()},
            "stored_units": {"distance": "metric (distance_m: metres, *_km: kilometres)", "km_per_mile": KM_PER_MILE},
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, rows in data.items():
            zf.writestr(f"data/{name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
        for path, blob in files.items():
            zf.writestr(path, blob)
    return buf.getvalue()


def erase_user(db: Session, user_id: int) -> dict[str, int]:
    """Delete the person and everything tied to them; returns rows removed per table.

    Rows are deleted explicitly, children first, rather than trusting
    ``ON DELETE CASCADE`` alone (a SQLite connection without foreign keys on
    would otherwise leave orphans). Invites and clinician access go with the
    ``care_links`` rows and sign-ins with ``user_sessions``, in the same
    transaction, so they end at the commit.
    """
    if db.get(User, user_id) is None:
        raise LookupError(f"no user with id {user_id}")
    removed: dict[str, int] = {}
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name != "users"]
    for table in tables:
        cols = [c for c in table.columns for fk in c.foreign_keys if fk.column.table.name == "users"]
        if not cols:
            continue
        result = db.execute(delete(table).where(or_(*(c == user_id for c in cols))))
        if result.rowcount:
            removed[table.name] = int(result.rowcount)
    db.execute(delete(User.__table__).where(User.__table__.c.id == user_id))
    removed["users"] = 1
    db.expunge_all()
    return removed


__all__ = ["collect", "erase_user", "export_zip", "format_readme", "owner_scoped_tables"]
