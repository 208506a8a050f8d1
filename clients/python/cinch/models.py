"""What the server describes: tenants, tables, columns, changes, branches, groups.

Each class is a dataclass read from the server's JSON (the schemas of the same
names in ``GET /v1/openapi.json``). Times are timezone-aware ``datetime``
values; fields a newer server adds are ignored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Dict, List, Optional


def _time(v: Any) -> Optional[datetime]:
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v
    return datetime.fromisoformat(v)


class _Model:
    """Builds a dataclass from a JSON object: known fields only, nested models
    and times converted."""

    _times: ClassVar[tuple] = ()
    _nested: ClassVar[Dict[str, type]] = {}

    @classmethod
    def _from_json(cls, obj: Any):
        if obj is None:
            return None
        kw = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in obj:
                continue
            v = obj[f.name]
            if f.name in cls._times:
                v = _time(v)
            elif f.name in cls._nested:
                sub = cls._nested[f.name]
                v = [sub._from_json(x) for x in v] if isinstance(v, list) else sub._from_json(v)
            kw[f.name] = v
        return cls(**kw)

    @classmethod
    def _list(cls, objs: Any) -> list:
        return [cls._from_json(o) for o in objs or []]


@dataclass
class ForeignKey(_Model):
    """A column's reference to another table's column."""
    table: str
    column: str
    on_delete: Optional[str] = None

    def _json(self) -> dict:
        d = {"table": self.table, "column": self.column}
        if self.on_delete:
            d["on_delete"] = self.on_delete
        return d


@dataclass
class Column:
    """A column to create or add (the seed's ``Column(name="phone", type="TEXT")``).

    type is TEXT, INTEGER, REAL, BLOB, NUMERIC or BOOLEAN (any case). Columns
    are nullable unless ``nullable=False``; ``default`` is the column's
    default (written as SQL takes it: ``"pending"``, ``0``, ``True``).
    """
    name: str
    type: str
    nullable: bool = True
    default: Any = None
    unique: bool = False
    foreign_key: Optional[ForeignKey] = None

    def _json(self) -> dict:
        d: Dict[str, Any] = {"name": self.name, "type": self.type}
        if not self.nullable:
            d["nullable"] = False
        if self.default is not None:
            d["default"] = _default_text(self.default)
        if self.unique:
            d["unique"] = True
        if self.foreign_key is not None:
            fk = self.foreign_key
            d["foreign_key"] = fk._json() if isinstance(fk, ForeignKey) else dict(fk)
        return d


def _default_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _column_json(c: Any) -> dict:
    """A Column, or a dict in the server's ColumnSpec form."""
    if isinstance(c, Column):
        return c._json()
    if isinstance(c, dict):
        return dict(c)
    raise TypeError(f"a column is a cinch.Column or a dict, not {type(c).__name__}")


@dataclass
class ColumnInfo(_Model):
    """A column of a table, as the server describes it. ``automatic`` marks
    the columns every table has: id, created_at, updated_at."""
    name: str
    type: str
    nullable: bool
    default: Optional[str] = None
    primary_key: bool = False
    unique: bool = False
    automatic: bool = False
    foreign_key: Optional[ForeignKey] = None
    _nested: ClassVar[Dict[str, type]] = {"foreign_key": ForeignKey}


@dataclass
class IndexInfo(_Model):
    name: str
    table: str
    columns: List[str]
    unique: bool = False


@dataclass
class TableInfo(_Model):
    name: str
    columns: List[ColumnInfo]
    sql: str = ""
    indexes: List[IndexInfo] = field(default_factory=list)
    _nested: ClassVar[Dict[str, type]] = {"columns": ColumnInfo, "indexes": IndexInfo}


@dataclass
class ViewInfo(_Model):
    name: str
    sql: str


@dataclass
class Change(_Model):
    """One tracked schema change of a branch, with the SQL every tenant runs."""
    id: str
    timestamp: datetime
    type: str
    entity: str
    details: Any = None
    sql: List[str] = field(default_factory=list)
    merged_from: Optional[str] = None
    rebuild: bool = False
    _times: ClassVar[tuple] = ("timestamp",)


@dataclass
class TenantInfo(_Model):
    """A tenant: state is materialized, lazy (no file until its first write)
    or archived."""
    name: str
    state: str
    created_at: datetime
    size_bytes: int = 0
    schema_version: int = 0
    behind: bool = False
    encrypted: bool = False
    group: Optional[str] = None
    _times: ClassVar[tuple] = ("created_at",)


@dataclass
class TenantStats(_Model):
    """A tenant's metrics: size, tables, rows, last write, schema version."""
    name: str
    state: str
    created_at: datetime
    size_bytes: int = 0
    schema_version: int = 0
    encrypted: bool = False
    wal_bytes: int = 0
    tables: int = 0
    rows: int = 0
    pending_schema: bool = False
    last_write: Optional[datetime] = None
    group: Optional[str] = None
    _times: ClassVar[tuple] = ("created_at", "last_write")


@dataclass
class TenantCheck(_Model):
    """A tenant brought to the branch's schema and checked (integrity_check)."""
    tenant: str
    state: str
    schema_version: int
    branch_version: int
    drift: bool
    integrity: List[str]
    ok: bool


@dataclass
class MaintenanceResult(_Model):
    """A tenant's VACUUM or ANALYZE: its size before and after."""
    tenant: str
    bytes_before: int
    bytes_after: int
    error: Optional[str] = None
    messages: List[str] = field(default_factory=list)


@dataclass
class MigrateResult(_Model):
    """What ``db.fleet.migrate`` did: of the tenants it covered, how many were
    behind the branch's schema, how many of those it brought up to date, and
    how many remain behind (encrypted tenants not named with their key)."""
    behind: int
    migrated: int
    remaining: int = 0


@dataclass
class BranchInfo(_Model):
    """A branch. ``tenants`` is None for keys limited to one tenant."""
    name: str
    database: str
    created_at: datetime
    changes: int = 0
    parent: Optional[str] = None
    tenants: Optional[int] = None
    behind: Optional[int] = None
    error: Optional[str] = None
    _times: ClassVar[tuple] = ("created_at",)


@dataclass
class MergeConflict(_Model):
    entity: str
    source: List[Change]
    target: List[Change]
    reason: Optional[str] = None
    _nested: ClassVar[Dict[str, type]] = {"source": Change, "target": Change}


@dataclass
class MergeResult(_Model):
    """A merge (or its plan, with ``dry_run``): the changes it applies, and
    the conflicts that refused it."""
    source: str
    target: str
    fast_forward: bool
    dry_run: bool
    changes: List[Change]
    tenants: int = 0
    ancestor: Optional[str] = None
    conflicts: List[MergeConflict] = field(default_factory=list)
    _nested: ClassVar[Dict[str, type]] = {"changes": Change, "conflicts": MergeConflict}


@dataclass
class Group(_Model):
    """A tenant group and its limits (0: no limit)."""
    name: str
    max_db_bytes: int = 0
    max_concurrent: int = 0


@dataclass
class ClusterNode(_Model):
    """A node of a cluster as ``GET /v1/cluster/status`` shows it, from its
    last heartbeat (at most a second old).

    writes_per_sec: commits appended per second over the last 10 s;
    control_lag: control log entries (schema changes, tenant registry) not
    applied yet, control_lag_seconds the age of the oldest; tenants_catching_up:
    owned tenants being rebuilt or refusing writes until rebuilt; log_tail: log
    records of owned tenants past their snapshots; snapshot_age_seconds: age of
    the oldest snapshot among owned tenants (0: none has one).
    """
    name: str
    addr: str = ""
    alive: bool = False
    draining: bool = False
    tenants_owned: int = 0
    writes_per_sec: float = 0.0
    control_applied: int = 0
    control_lag: int = 0
    control_lag_seconds: float = 0.0
    tenants_catching_up: int = 0
    log_tail: int = 0
    snapshot_age_seconds: float = 0.0
    at: Optional[datetime] = None
    _times: ClassVar[tuple] = ("at",)


@dataclass
class ClusterAdminKey(_Model):
    """A new cluster's admin API key (``POST /v1/cluster/init``), shown once."""
    id: str
    key: str


@dataclass
class TenantMove(_Model):
    """A tenant moved to node ``to``; requests on it waited ``pause`` (a Go
    duration such as ``"42ms"``)."""
    tenant: str
    to: str
    pause: str = ""


@dataclass
class NodeDrain(_Model):
    """A node marked as draining (it hands its tenants away) or not."""
    node: str
    draining: bool
