"""The results store: one SQLite file, one row per job (``bprr-store/1``).

Why SQLite (stdlib ``sqlite3``) and not DuckDB: a sweep writes one small row
at a time while other processes read (a test polling progress, ``bprr
report`` on a running sweep).  SQLite in WAL mode lets readers in other
processes run next to the one writer, and commits each row durably and
atomically; DuckDB allows a single process to open a file that is being
written, and is built for large analytical scans rather than many tiny
transactions.  Analysis goes through pandas anyway (:meth:`frame`), and
export to Parquet covers columnar tools.

Crash safety: the driver alone writes; each finished job is one
transaction (``INSERT ... ON CONFLICT(key) DO NOTHING``) with
``synchronous=FULL``, so a row is either entirely there or absent after a
SIGKILL or a power cut, and the primary key makes a duplicate impossible.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import BprrError
from ..fileio import atomic_write_bytes, atomic_write_text

__all__ = ["COLUMNS", "DETERMINISTIC_COLUMNS", "STORE_FORMAT", "ResultStore",
           "StoreError"]

STORE_FORMAT = "bprr-store/1"


class StoreError(BprrError):
    """The store file is missing, unreadable or not a bprr results store."""


# (name, SQL type); key is the primary key.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "TEXT NOT NULL PRIMARY KEY"),
    ("sweep", "TEXT"),
    ("kind", "TEXT NOT NULL"),
    ("instance_hash", "TEXT NOT NULL"),
    ("instance_name", "TEXT"),
    ("method", "TEXT NOT NULL"),
    ("solver", "TEXT NOT NULL"),
    ("params", "TEXT NOT NULL"),
    ("seed", "INTEGER"),
    ("rep", "INTEGER NOT NULL"),
    ("version", "TEXT NOT NULL"),
    ("status", "TEXT NOT NULL"),
    ("value", "REAL"),
    ("bound", "REAL"),
    ("gap", "REAL"),
    ("runtime_s", "REAL"),
    ("feasible", "INTEGER"),
    ("message", "TEXT"),
    ("stats", "TEXT"),
    ("error", "TEXT"),
    ("traceback", "TEXT"),
    ("result", "TEXT"),
    ("worker", "TEXT"),
    ("started_at", "TEXT"),
    ("finished_at", "TEXT"),
)
_NAMES = tuple(c for c, _ in COLUMNS)

# Columns that depend only on a job's inputs (not on timing or host): two
# runs of the same sweep must agree on them.
DETERMINISTIC_COLUMNS = (
    "key", "sweep", "kind", "instance_hash", "instance_name", "method",
    "solver", "params", "seed", "rep", "version", "status", "value", "bound",
    "gap", "feasible", "error")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS instances (
    hash TEXT PRIMARY KEY, name TEXT, source TEXT, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs ({", ".join(f"{c} {t}" for c, t in COLUMNS)});
CREATE INDEX IF NOT EXISTS jobs_instance ON jobs (instance_hash);
"""


class ResultStore:
    """An open results store.

    Parameters
    ----------
    path
        The SQLite file.
    create
        Create the file and schema if missing.  Default ``False``: a missing
        file is an error (readers never create stores by accident).

    Raises
    ------
    StoreError
        If the file is missing (and ``create`` is false), is not an SQLite
        database, or is not a ``bprr-store/1`` store (an existing file is
        never modified unless it is one).
    """

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreError(f"{self.path}: no such file")
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise StoreError(f"{self.path}: folder {str(parent)!r} does not "
                             f"exist")
        fresh = not self.path.is_file() or self.path.stat().st_size == 0
        try:
            self._conn = sqlite3.connect(self.path, timeout=60,
                                         isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open ({exc})") from None
        try:
            self._conn.execute("PRAGMA busy_timeout = 60000")
            if create and fresh:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("BEGIN IMMEDIATE")
                for stmt in _SCHEMA.strip().split(";"):
                    if stmt.strip():
                        self._conn.execute(stmt)
                self._conn.execute(
                    "INSERT INTO meta VALUES ('format', ?) "
                    "ON CONFLICT(name) DO NOTHING", (STORE_FORMAT,))
                self._conn.execute("COMMIT")
            self._conn.execute("PRAGMA synchronous = FULL")
            fmt = self._conn.execute(
                "SELECT value FROM meta WHERE name = 'format'").fetchone()
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a bprr results store "
                             f"({exc})") from None
        if fmt is None or fmt[0] != STORE_FORMAT:
            self._conn.close()
            raise StoreError(f"{self.path}: not a {STORE_FORMAT} store "
                             f"(format {fmt[0] if fmt else None!r})")

    # -- context manager --------------------------------------------------------
    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------
    def add_instances(self, items: Iterable[Any]) -> None:
        """Record instance documents (``InstanceItem``), once per hash."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(
                "INSERT INTO instances VALUES (?, ?, ?, ?) "
                "ON CONFLICT(hash) DO NOTHING",
                [(it.hash, it.name, it.source, it.text) for it in items])
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def add_row(self, row: Mapping[str, Any]) -> bool:
        """Insert one job row in its own transaction.

        Returns ``False`` (and changes nothing) if the key is already
        stored.
        """
        values = [row.get(c) for c in _NAMES]
        fi = _NAMES.index("feasible")
        if values[fi] is not None:
            values[fi] = int(bool(values[fi]))
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            cur = self._conn.execute(
                f"INSERT INTO jobs ({', '.join(_NAMES)}) VALUES "
                f"({', '.join('?' * len(_NAMES))}) "
                "ON CONFLICT(key) DO NOTHING", values)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return cur.rowcount == 1

    def delete_failed(self, keys: Iterable[str]) -> int:
        """Delete the ``error`` rows among ``keys`` (to run them again)."""
        keys = list(keys)
        self._conn.execute("BEGIN IMMEDIATE")
        n = 0
        try:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                cur = self._conn.execute(
                    "DELETE FROM jobs WHERE status = 'error' AND key IN "
                    f"({', '.join('?' * len(chunk))})", chunk)
                n += cur.rowcount
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return n

    # -- reading ----------------------------------------------------------------
    def keys(self) -> set[str]:
        """Keys of every stored job."""
        return {k for (k,) in self._conn.execute("SELECT key FROM jobs")}

    def count(self) -> int:
        """Number of stored job rows."""
        return self._conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]

    def rows(self, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every job row as a dict, ordered by key."""
        cols = list(columns) if columns is not None else list(_NAMES)
        for c in cols:
            if c not in _NAMES:
                raise StoreError(f"column: unknown column {c!r}")
        cur = self._conn.execute(
            f"SELECT {', '.join(cols)} FROM jobs ORDER BY key")
        return [dict(zip(cols, r)) for r in cur]

    def frame(self, *, sweep: str | None = None, kind: str | None = None,
              full: bool = False) -> Any:
        """The job table as a :class:`pandas.DataFrame`, ordered by key.

        ``full`` keeps the bulky ``result`` and ``traceback`` columns.
        """
        import pandas as pd

        cols = [c for c in _NAMES
                if full or c not in ("result", "traceback")]
        where, args = [], []
        if sweep is not None:
            where.append("sweep = ?")
            args.append(sweep)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        sql = f"SELECT {', '.join(cols)} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY key"
        df = pd.read_sql_query(sql, self._conn, params=args)
        df["feasible"] = df["feasible"].map(
            lambda x: None if x is None or x != x else bool(x)).astype(object)
        return df

    def instance_json(self, instance_hash: str) -> str:
        """The stored instance document with this hash."""
        r = self._conn.execute("SELECT json FROM instances WHERE hash = ?",
                               (instance_hash,)).fetchone()
        if r is None:
            raise StoreError(f"instance: no instance with hash "
                             f"{instance_hash!r} in {self.path}")
        return r[0]

    def export(self, path: str | Path, *, full: bool = False) -> int:
        """Write the job table to ``.csv`` or ``.parquet`` (atomically).

        Returns the number of rows written.

        Raises
        ------
        StoreError
            If the suffix is neither ``.csv`` nor ``.parquet``.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise StoreError(f"export: file must end in .csv or .parquet, "
                             f"got {str(p)!r}")
        df = self.frame(full=full)
        if suffix == ".csv":
            atomic_write_text(p, df.to_csv(index=False))
        else:
            buf = io.BytesIO()
            df.to_parquet(buf, index=False)
            atomic_write_bytes(p, buf.getvalue())
        return len(df)
