"""The handle: one tenant of one branch of one database, through a server."""

from __future__ import annotations

import datetime as _dt
import urllib.parse
from typing import Any, Iterable, List, Optional, Sequence, Union

from ._transport import Transport, segment, wire_params, wire_record, wire_value
from .errors import CinchConnectionError, CinchError, InvalidInput, make_error
from .models import (BranchInfo, Change, ClusterAdminKey, ClusterNode, ColumnInfo, Group, IndexInfo,
                     MaintenanceResult, MergeResult, MigrateResult, NodeDrain, TableInfo, TenantCheck, TenantInfo,
                     TenantMove, TenantStats, ViewInfo, _column_json, _default_text)
from .kv import KV
from .results import Result, TenantResult

DEFAULT = "main"


def connect(url: str, api_key: Optional[str] = None, database: str = DEFAULT, branch: str = DEFAULT,
            tenant: str = DEFAULT, *, tenant_key: Optional[str] = None, timeout: Optional[float] = None,
            user_agent: Optional[str] = None) -> "DB":
    """A handle on one tenant of a ``cinch serve`` server. No I/O: an unknown
    tenant fails on first use (:class:`cinch.TenantNotFound`).

    Args:
        url: the server, ``http://HOST:PORT`` or ``https://HOST:PORT``.
        api_key: a key from ``cinch key create`` (sent as a Bearer token).
        database, branch, tenant: what the handle works on (default main).
        tenant_key: the encryption key of an encrypted tenant, sent with each
            request in the X-Cinch-Tenant-Key header (use https).
        timeout: seconds to wait for the server (connect and each read);
            None waits as long as the server takes (its ``--query-timeout``
            bounds a query).

    The seed's ``cinchdb.connect("myapp", tenant="acme_corp")`` is
    ``cinch.connect(url, key, database="myapp", tenant="acme_corp")``.
    """
    t = Transport(url, api_key, tenant_key=tenant_key, timeout=timeout, user_agent=user_agent)
    return DB(t, database, branch, tenant)


class DB:
    """A handle on one tenant: queries and row operations reach that tenant's
    SQLite file only; schema operations (``tables``, ``columns``, ...) change
    the branch, and so every tenant of it.

    Handles are cheap values: :meth:`switch_tenant` and :meth:`switch_branch`
    return new ones without I/O, and share the connection settings.
    """

    is_local = False
    """Always False: this handle works through a server (the seed's ``db.is_local``)."""

    def __init__(self, transport: Transport, database: str = DEFAULT, branch: str = DEFAULT,
                 tenant: str = DEFAULT) -> None:
        self._t = transport
        self._database = database
        self._branch = branch
        self._tenant = tenant

    # ---- the handle ----

    @property
    def url(self) -> str:
        return self._t.url

    @property
    def database(self) -> str:
        return self._database

    @property
    def branch(self) -> str:
        return self._branch

    @property
    def tenant(self) -> str:
        return self._tenant

    def __repr__(self) -> str:
        return f"<cinch.DB {self._t.url} database={self._database!r} branch={self._branch!r} tenant={self._tenant!r}>"

    def switch_tenant(self, name: str) -> "DB":
        """A handle on another tenant of the same branch. No I/O."""
        return DB(self._t, self._database, self._branch, name)

    def switch_branch(self, name: str) -> "DB":
        """A handle on the same tenant of another branch. No I/O."""
        return DB(self._t, self._database, name, self._tenant)

    def switch_database(self, name: str) -> "DB":
        """A handle on tenant main of branch main of another database. No I/O."""
        return DB(self._t, name, DEFAULT, DEFAULT)

    def with_key(self, key: Optional[str]) -> "DB":
        """A handle that sends key (an encrypted tenant's key) with every request."""
        return DB(self._t.with_tenant_key(key), self._database, self._branch, self._tenant)

    def health(self) -> bool:
        """True when the server answers ``GET /v1/health`` (raises otherwise)."""
        out = self._t.request("GET", "/v1/health")
        return isinstance(out, dict) and out.get("status") == "ok"

    def _db_path(self) -> str:
        return "/v1/databases/" + segment(self._database, "database")

    def _branch_path(self) -> str:
        return self._db_path() + "/branches/" + segment(self._branch, "branch")

    def _tenant_path(self, name: Optional[str] = None) -> str:
        return self._branch_path() + "/tenants/" + segment(self._tenant if name is None else name, "tenant")

    # ---- queries and rows ----

    def query(self, sql: str, params: Optional[Sequence[Any]] = None, *, limit: Optional[int] = None,
              read_only: bool = False) -> Result:
        """Runs one SQL statement on the tenant and returns every column and row.

        params are the values of the ``?`` placeholders, in order. limit caps
        the rows (the server caps them at its ``--max-rows`` anyway;
        ``Result.truncated`` says a limit cut). read_only=True refuses a
        statement that writes (:class:`cinch.ReadOnly`). Refused statements
        raise :class:`cinch.QueryRejected`; a statement that fails after the
        server started sending rows raises too (never a short result).
        """
        if not isinstance(sql, str):
            raise InvalidInput(f"sql must be a str, not {type(sql).__name__}")
        body: dict = {"sql": sql}
        p = wire_params(params)
        if p:
            body["params"] = p
        if limit is not None:
            body["limit"] = limit
        if read_only:
            body["read_only"] = True
        out = self._t.request("POST", self._tenant_path() + "/query", body)
        if not isinstance(out, dict) or ("columns" not in out and "error" not in out):
            raise CinchConnectionError("unexpected answer to a query: " + repr(out)[:200])
        if "error" in out:
            # The server failed after it had started streaming the rows: the
            # body ends with the error instead of the summary.
            e = out["error"] or {}
            raise make_error(str(e.get("code") or "internal"), str(e.get("message") or "query failed"),
                             details=e.get("details"))
        return Result._from_json(out)

    def _rows_path(self, table: str) -> str:
        return self._tenant_path() + "/tables/" + segment(table, "table") + "/rows"

    def insert(self, table: str, *records: dict) -> Union[dict, List[dict]]:
        """Inserts rows and returns them as stored (with id, created_at,
        updated_at and defaults).

        ``insert("users", {"name": "Alice"})`` returns one dict;
        ``insert("users", r1, r2, ...)`` (or one list of records) stores them
        in one transaction, all or none, and returns a list.
        """
        if len(records) == 1 and isinstance(records[0], (list, tuple)):
            return self.insert_many(table, records[0])
        if len(records) == 1:
            out = self._t.request("POST", self._rows_path(table), wire_record(records[0], "record"))
            return out
        return self.insert_many(table, records)

    def insert_many(self, table: str, records: Iterable[dict]) -> List[dict]:
        """Inserts records in one transaction (all or none); returns them as stored."""
        recs = [wire_record(r, f"records[{i}]") for i, r in enumerate(records)]
        if not recs:
            return []
        return self._t.request("POST", self._rows_path(table), recs)

    def update(self, table: str, id: str, data: dict) -> dict:
        """Changes the given columns of the row with id; returns the row as
        stored. An unknown id raises :class:`cinch.RowNotFound`."""
        return self._t.request("PATCH", self._rows_path(table) + "/" + segment(id, "row id"),
                               wire_record(data, "data"))

    def delete(self, table: str, *ids: str) -> int:
        """Deletes rows by id (one statement) and returns how many existed."""
        if not ids:
            return 0
        if len(ids) == 1:
            out = self._t.request("DELETE", self._rows_path(table) + "/" + segment(ids[0], "row id"))
        else:
            for i in ids:
                if not isinstance(i, str):
                    raise InvalidInput(f"row ids are str, not {type(i).__name__}")
            out = self._t.request("POST", self._rows_path(table) + "/delete", {"ids": list(ids)})
        return int(out["deleted"])

    def _filtered_path(self, table: str, query: List[tuple]) -> str:
        p = self._rows_path(table)
        if query:
            p += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        return p

    def select(self, table: str, *where: str, order_by: Union[str, Sequence[str], None] = None,
               limit: Optional[int] = None, offset: Optional[int] = None) -> Result:
        """The rows of table matching every filter in where, as a :class:`Result`.

        Filters are text: ``"name=Alice"``, ``"age>30"``, ``"name!=Bob"``,
        ``"name like A%"``, ``"id in (a, b)"``, ``"phone is null"``; quote
        values with spaces or commas (``"name='Ada Lovelace'"``). order_by is
        a column, ``"COLUMN:desc"``, or a list of them (then by insertion
        order). No filter reads every row (the server's --max-rows caps them).
        """
        q: List[tuple] = [("where", _where_text(w)) for w in _where_list(where)]
        if order_by is not None:
            for o in ([order_by] if isinstance(order_by, str) else list(order_by)):
                if not isinstance(o, str):
                    raise InvalidInput(f"order_by is a column name (or COLUMN:desc), not {type(o).__name__}")
                q.append(("order_by", o))
        for name, v in (("limit", limit), ("offset", offset)):
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise InvalidInput(f"{name} must be a whole number, 0 or more, got {v!r}")
                q.append((name, str(v)))
        out = self._t.request("GET", self._filtered_path(table, q))
        if not isinstance(out, dict) or ("columns" not in out and "error" not in out):
            raise CinchConnectionError("unexpected answer to a select: " + repr(out)[:200])
        if "error" in out:
            e = out["error"] or {}
            raise make_error(str(e.get("code") or "internal"), str(e.get("message") or "select failed"),
                             details=e.get("details"))
        return Result._from_json(out)

    def _write_where(self, table: str, where: Any, all: bool) -> str:
        ws = _where_list((where,) if isinstance(where, str) else (where or ()))
        if not ws and not all:
            raise InvalidInput("refusing to change every row: no where given (pass all=True to mean every row)")
        q: List[tuple] = [("where", _where_text(w)) for w in ws]
        if all:
            q.append(("all", "true"))
        return self._filtered_path(table, q)

    def update_where(self, table: str, where: Union[str, Sequence[str], None], data: dict, all: bool = False) -> int:
        """Changes the given columns of the rows matching where (a filter or a
        list of them, all must match); returns how many rows changed. With no
        filter, all=True is needed to mean every row."""
        out = self._t.request("PATCH", self._write_where(table, where, all), wire_record(data, "data"))
        return int(out["updated"])

    def delete_where(self, table: str, where: Union[str, Sequence[str], None], all: bool = False) -> int:
        """Deletes the rows matching where (a filter or a list of them); returns
        how many. With no filter, all=True is needed to mean every row."""
        out = self._t.request("DELETE", self._write_where(table, where, all))
        return int(out["deleted"])

    # ---- the branch ----

    def changes(self) -> List[Change]:
        """The branch's tracked schema changes, oldest first, with their SQL."""
        return Change._list(self._t.request("GET", self._branch_path() + "/changes"))

    def query_all(self, sql: str, params: Optional[Sequence[Any]] = None, *, tenants: Optional[Sequence[str]] = None,
                  group: Optional[str] = None, limit: Optional[int] = None, total_rows: Optional[int] = None,
                  total_bytes: Optional[int] = None) -> List[TenantResult]:
        """Runs one read-only statement on many tenants of the branch at once
        (each on its own file: there is still no cross-tenant query).

        tenants: only these (all must exist); group: only the tenants of a
        group; neither: every served tenant. Returns one
        :class:`cinch.TenantResult` per tenant, in order; a tenant that
        failed has its ``error`` set (reading its ``result`` raises it) and
        the others stand. limit caps each tenant's rows; total_rows and
        total_bytes cap all tenants together (the server's --max-rows and
        --max-result-bytes cap them anyway).
        """
        body: dict = {"sql": sql}
        p = wire_params(params)
        if p:
            body["params"] = p
        if tenants is not None:
            if isinstance(tenants, str):
                raise InvalidInput("tenants is a list of tenant names")
            body["tenants"] = list(tenants)
        if group:
            body["group"] = group
        for k, v in (("limit", limit), ("total_rows", total_rows), ("total_bytes", total_bytes)):
            if v is not None:
                body[k] = v
        out = self._t.request("POST", self._branch_path() + "/fleet/query", body)
        results = []
        for a in out:
            err = a.get("error")
            if err:
                results.append(TenantResult(a["tenant"], error=make_error(str(err.get("code") or "internal"),
                                                                          str(err.get("message") or ""))))
            else:
                results.append(TenantResult(a["tenant"], Result(a.get("columns") or [], a.get("rows") or [], 0,
                                                                bool(a.get("truncated")))))
        return results

    def stats(self, tenants: Optional[Sequence[str]] = None) -> List[TenantStats]:
        """Metrics of the given tenants, or of every served tenant: size,
        tables, rows, last write, schema version."""
        return self.fleet.stats(tenants)

    # ---- services ----

    @property
    def tenants(self) -> "Tenants":
        """The tenants of the handle's branch."""
        return Tenants(self)

    @property
    def tables(self) -> "Tables":
        """The tables of the handle's branch (changes reach every tenant)."""
        return Tables(self)

    @property
    def columns(self) -> "Columns":
        """The columns of the branch's tables (changes reach every tenant)."""
        return Columns(self)

    @property
    def views(self) -> "Views":
        return Views(self)

    @property
    def indexes(self) -> "Indexes":
        return Indexes(self)

    @property
    def branches(self) -> "Branches":
        """The branches of the handle's database."""
        return Branches(self)

    @property
    def fleet(self) -> "Fleet":
        """Operations on many tenants of the branch at once."""
        return Fleet(self)

    @property
    def kv(self) -> KV:
        """The tenant's key-value store."""
        return KV(self)

    @property
    def groups(self) -> "Groups":
        """Tenant groups of the branch and their limits."""
        return Groups(self)

    @property
    def cluster(self) -> "Cluster":
        """The cluster the server is a node of (``cinch serve --cluster``)."""
        return Cluster(self)


def _where_list(where: Any) -> List[str]:
    """Filters given as separate arguments, or one list of them."""
    if len(where) == 1 and isinstance(where[0], (list, tuple)):
        where = where[0]
    return list(where)


def _where_text(w: Any) -> str:
    if not isinstance(w, str) or not w.strip():
        raise InvalidInput(f"a filter is text like 'name=Alice' or 'age>30', not {w!r}")
    return w


class _Service:
    __slots__ = ("_db",)

    def __init__(self, db: DB) -> None:
        self._db = db

    @property
    def _t(self) -> Transport:
        return self._db._t


class Tenants(_Service):
    """``db.tenants``: create, list, delete, copy and rename the branch's tenants.
    The seed's names work too: ``create_tenant``, ``list_tenants``, ... ."""

    def _base(self) -> str:
        return self._db._branch_path() + "/tenants"

    def list(self) -> List[TenantInfo]:
        return TenantInfo._list(self._t.request("GET", self._base()))

    def get(self, name: str) -> TenantInfo:
        return TenantInfo._from_json(self._t.request("GET", self._db._tenant_path(name)))

    def create(self, name: str, *, lazy: bool = False, template: Optional[str] = None, encrypt: bool = False,
               key: Optional[str] = None) -> TenantInfo:
        """Creates a tenant with the branch's schema. lazy: only register it
        (its file appears on first write); template: copy data and schema from
        this tenant; encrypt: encrypt it under key (never stored: send it
        again with :meth:`DB.with_key`)."""
        body: dict = {"name": name}
        if lazy:
            body["lazy"] = True
        if template:
            body["from"] = template
        t = self._t
        if encrypt:
            if not key:
                raise InvalidInput("an encrypted tenant needs a key")
            body["encrypt"] = True
            t = t.with_tenant_key(key)
        return TenantInfo._from_json(t.request("POST", self._base(), body))

    def create_many(self, names: Sequence[str], *, lazy: bool = False) -> List[TenantInfo]:
        """Creates several tenants in one request, sharing the work (much
        faster than one create each); returns them in the order given. The
        names must be new and distinct, else none is created. lazy: only
        register them (each file appears on its first write)."""
        body: dict = {"names": list(names)}
        if lazy:
            body["lazy"] = True
        return TenantInfo._list(self._t.request("POST", self._base() + ":batch", body))

    def delete(self, name: str) -> None:
        """Deletes a tenant and its file (not main)."""
        self._t.request("DELETE", self._db._tenant_path(name))

    def copy(self, source: str, target: str, *, no_data: bool = False) -> TenantInfo:
        """Copies a tenant (data and schema, or schema only with no_data)."""
        body = {"target": target, "no_data": bool(no_data)}
        return TenantInfo._from_json(self._t.request("POST", self._db._tenant_path(source) + "/copy", body))

    def rename(self, old_name: str, new_name: str) -> TenantInfo:
        """Renames a tenant (not main)."""
        return TenantInfo._from_json(self._t.request("PATCH", self._db._tenant_path(old_name), {"name": new_name}))

    # The seed's (CinchDB's) names.
    list_tenants = list
    get_tenant = get
    create_tenant = create
    create_tenants = create_many
    delete_tenant = delete
    copy_tenant = copy
    rename_tenant = rename


class Tables(_Service):
    """``db.tables``: list, get, create, copy and drop tables."""

    def _base(self) -> str:
        return self._db._branch_path() + "/tables"

    def list(self) -> List[TableInfo]:
        return TableInfo._list(self._t.request("GET", self._base()))

    def get(self, name: str) -> TableInfo:
        return TableInfo._from_json(self._t.request("GET", self._base() + "/" + segment(name, "table")))

    info = get

    def create(self, name: str, columns: Sequence[Any]) -> Change:
        """Creates a table on every tenant; columns are :class:`cinch.Column`
        values (id, created_at and updated_at are added)."""
        body = {"name": name, "columns": [_column_json(c) for c in columns]}
        return Change._from_json(self._t.request("POST", self._base(), body))

    def copy(self, source: str, target: str, *, no_data: bool = False) -> Change:
        body = {"target": target, "no_data": bool(no_data)}
        return Change._from_json(self._t.request("POST", self._base() + "/" + segment(source, "table") + "/copy", body))

    def drop(self, name: str) -> Change:
        return Change._from_json(self._t.request("DELETE", self._base() + "/" + segment(name, "table")))

    list_tables = list
    get_table = get
    create_table = create
    copy_table = copy
    drop_table = drop


class Columns(_Service):
    """``db.columns``: the seed's ``db.columns.add_column("users", Column(name="phone", type="TEXT"))``."""

    def _base(self, table: str) -> str:
        return self._db._branch_path() + "/tables/" + segment(table, "table") + "/columns"

    def list(self, table: str) -> List[ColumnInfo]:
        return ColumnInfo._list(self._t.request("GET", self._base(table)))

    def add(self, table: str, column: Any) -> Change:
        """Adds a column on every tenant (a tracked change)."""
        return Change._from_json(self._t.request("POST", self._base(table), _column_json(column)))

    def drop(self, table: str, column: str) -> Change:
        return Change._from_json(self._t.request("DELETE", self._base(table) + "/" + segment(column, "column")))

    def rename(self, table: str, old_name: str, new_name: str) -> Change:
        return Change._from_json(self._t.request("PATCH", self._base(table) + "/" + segment(old_name, "column"),
                                                 {"name": new_name}))

    def alter_nullable(self, table: str, column: str, nullable: bool, fill_value: Any = None) -> Change:
        """Allows NULLs (True) or not (False); fill_value is what existing
        NULLs become when forbidding them."""
        body: dict = {"nullable": bool(nullable)}
        if fill_value is not None:
            body["fill_value"] = _default_text(wire_value(fill_value, "fill_value"))
        return Change._from_json(self._t.request("PATCH", self._base(table) + "/" + segment(column, "column"), body))

    list_columns = list
    add_column = add
    drop_column = drop
    rename_column = rename


class Views(_Service):
    """``db.views``: list, get, create, update and drop views."""

    def _base(self) -> str:
        return self._db._branch_path() + "/views"

    def list(self) -> List[ViewInfo]:
        return ViewInfo._list(self._t.request("GET", self._base()))

    def get(self, name: str) -> ViewInfo:
        return ViewInfo._from_json(self._t.request("GET", self._base() + "/" + segment(name, "view")))

    def create(self, name: str, sql: str) -> Change:
        return Change._from_json(self._t.request("POST", self._base(), {"name": name, "sql": sql}))

    def update(self, name: str, sql: str) -> Change:
        return Change._from_json(self._t.request("PUT", self._base() + "/" + segment(name, "view"), {"sql": sql}))

    def drop(self, name: str) -> Change:
        return Change._from_json(self._t.request("DELETE", self._base() + "/" + segment(name, "view")))


class Indexes(_Service):
    """``db.indexes``: list, create and drop indexes."""

    def _base(self) -> str:
        return self._db._branch_path() + "/indexes"

    def list(self, table: Optional[str] = None) -> List[IndexInfo]:
        path = self._base()
        if table:
            path += "?table=" + segment(table, "table")
        return IndexInfo._list(self._t.request("GET", path))

    def create(self, table: str, columns: Sequence[str], *, name: Optional[str] = None, unique: bool = False) -> Change:
        body: dict = {"table": table, "columns": list(columns), "unique": bool(unique)}
        if name:
            body["name"] = name
        return Change._from_json(self._t.request("POST", self._base(), body))

    def drop(self, name: str) -> Change:
        return Change._from_json(self._t.request("DELETE", self._base() + "/" + segment(name, "index")))


class Branches(_Service):
    """``db.branches``: list, create, delete and merge the database's branches."""

    def _base(self) -> str:
        return self._db._db_path() + "/branches"

    def _one(self, name: str) -> str:
        return self._base() + "/" + segment(name, "branch")

    def list(self) -> List[BranchInfo]:
        return BranchInfo._list(self._t.request("GET", self._base()))

    def get(self, name: str) -> BranchInfo:
        return BranchInfo._from_json(self._t.request("GET", self._one(name)))

    def create(self, name: str, source: str = DEFAULT) -> BranchInfo:
        """Creates a branch from source (its schema history and every tenant's data)."""
        return BranchInfo._from_json(self._t.request("POST", self._base(), {"name": name, "from": source}))

    def delete(self, name: str) -> None:
        """Deletes a branch and its tenants (not main)."""
        self._t.request("DELETE", self._one(name))

    def changes(self, name: str) -> List[Change]:
        return Change._list(self._t.request("GET", self._one(name) + "/changes"))

    def merge(self, source: str, target: str = DEFAULT, *, dry_run: bool = False) -> MergeResult:
        """Merges source's schema changes into target (three-way). dry_run only
        plans. Conflicts raise :class:`cinch.Conflict` whose ``merge`` is the
        refused plan (a :class:`cinch.MergeResult` listing the conflicts)."""
        try:
            out = self._t.request("POST", self._one(source) + "/merge", {"target": target, "dry_run": bool(dry_run)})
        except CinchError as e:
            details = e.details
            if isinstance(details, dict):
                try:
                    e.merge = MergeResult._from_json(details)  # type: ignore[attr-defined]
                except (TypeError, KeyError, ValueError):
                    pass
            raise
        return MergeResult._from_json(out)

    def merge_into_main(self, source: str) -> MergeResult:
        return self.merge(source, DEFAULT)

    list_branches = list
    create_branch = create
    delete_branch = delete


def _selection(tenants: Optional[Sequence[str]]) -> dict:
    if tenants is None:
        return {}
    if isinstance(tenants, str):
        raise InvalidInput("tenants is a list of tenant names")
    return {"tenants": list(tenants)}


class Fleet(_Service):
    """``db.fleet``: many tenants of the branch at once. Needs a key for the
    whole branch (a tenant key gets :class:`cinch.Forbidden`)."""

    def _base(self) -> str:
        return self._db._branch_path() + "/fleet"

    def query(self, sql: str, params: Optional[Sequence[Any]] = None, **kw: Any) -> List[TenantResult]:
        """The same as :meth:`DB.query_all`."""
        return self._db.query_all(sql, params, **kw)

    def stats(self, tenants: Optional[Sequence[str]] = None) -> List[TenantStats]:
        path = self._base() + "/stats"
        if tenants is not None:
            if isinstance(tenants, str):
                raise InvalidInput("tenants is a list of tenant names")
            path += "?" + "&".join("tenant=" + segment(t, "tenant") for t in tenants)
        return TenantStats._list(self._t.request("GET", path))

    def check(self, tenants: Optional[Sequence[str]] = None) -> List[TenantCheck]:
        """Brings tenants to the branch's schema and checks their integrity."""
        return TenantCheck._list(self._t.request("POST", self._base() + "/check", _selection(tenants)))

    def migrate(self, tenants: Optional[Sequence[str]] = None) -> MigrateResult:
        """Brings tenants that are behind the branch's schema up to date now
        (``cinch tenant migrate``): the named ones, or every one that is
        behind. A schema change returns at its commit point and tenants
        nobody has open catch up later; this does it at once. Encrypted
        tenants are migrated only when named, on a handle with their key."""
        return MigrateResult._from_json(self._t.request("POST", self._db._branch_path() + "/tenants:migrate",
                                                        _selection(tenants)))

    def vacuum(self, tenants: Optional[Sequence[str]] = None) -> List[MaintenanceResult]:
        """VACUUM: rebuilds tenant files to reclaim free space."""
        return MaintenanceResult._list(self._t.request("POST", self._base() + "/vacuum", _selection(tenants)))

    def analyze(self, tenants: Optional[Sequence[str]] = None) -> List[MaintenanceResult]:
        """ANALYZE: refreshes the query planner's statistics."""
        return MaintenanceResult._list(self._t.request("POST", self._base() + "/analyze", _selection(tenants)))

    def inactive(self, since: Union[_dt.datetime, str]) -> List[TenantInfo]:
        """Served tenants last written before since."""
        s = wire_value(since, "since") if isinstance(since, _dt.datetime) else since
        return TenantInfo._list(self._t.request("GET", self._base() + "/inactive?since=" + segment(s, "time")))

    def archive(self, tenant: str) -> None:
        """Moves a tenant out of the serving set into a compressed archive (not main)."""
        self._t.request("POST", self._db._tenant_path(tenant) + "/archive")

    def restore(self, tenant: str) -> None:
        """Brings an archived tenant back, with the schema changes made meanwhile."""
        self._t.request("POST", self._db._tenant_path(tenant) + "/restore")


class Groups(_Service):
    """``db.groups``: tenant groups and their limits (0: no limit)."""

    def _base(self) -> str:
        return self._db._branch_path() + "/groups"

    def list(self) -> List[Group]:
        return Group._list(self._t.request("GET", self._base()))

    def get(self, name: str) -> Group:
        return Group._from_json(self._t.request("GET", self._base() + "/" + segment(name, "group")))

    def create(self, name: str, *, max_db_bytes: int = 0, max_concurrent: int = 0) -> Group:
        """max_db_bytes: the largest a tenant's database may grow (at least
        65536); max_concurrent: queries at once on one tenant."""
        body = {"name": name, "max_db_bytes": max_db_bytes, "max_concurrent": max_concurrent}
        return Group._from_json(self._t.request("POST", self._base(), body))

    def set_limits(self, name: str, *, max_db_bytes: int = 0, max_concurrent: int = 0) -> Group:
        """Replaces a group's limits; open tenants pick them up at once."""
        body = {"max_db_bytes": max_db_bytes, "max_concurrent": max_concurrent}
        return Group._from_json(self._t.request("PUT", self._base() + "/" + segment(name, "group"), body))

    def set_tenant(self, tenant: str, group: Optional[str]) -> None:
        """Puts a tenant in a group, or in none with None."""
        self._t.request("PUT", self._db._tenant_path(tenant) + "/group", {"group": group or ""})


class Cluster(_Service):
    """``db.cluster``: a cluster of ``cinch serve --cluster`` nodes, through any
    node (SPEC §8). A server not started with ``--cluster`` raises
    :class:`cinch.NotImplementedOnServer` for every call. move, drain and
    undrain need a key without scope limits (the admin key of :meth:`init`).
    """

    def init(self) -> ClusterAdminKey:
        """Creates the new cluster's admin API key, once per cluster (no key
        needed; :class:`cinch.Conflict` afterwards). The key is shown only now."""
        return ClusterAdminKey._from_json(self._t.request("POST", "/v1/cluster/init"))

    def status(self) -> List[ClusterNode]:
        """The nodes: alive, draining, tenants owned, writes/s, log lag, snapshot age."""
        out = self._t.request("GET", "/v1/cluster/status")
        return ClusterNode._list((out or {}).get("nodes"))

    def move(self, tenant: str, to: str, *, database: Optional[str] = None,
             branch: Optional[str] = None) -> TenantMove:
        """Moves a tenant (of the handle's database and branch unless given) to
        node ``to``: requests on it wait while it moves, none fail."""
        body = {"database": database or self._db.database, "branch": branch or self._db.branch,
                "tenant": tenant, "to": to}
        return TenantMove._from_json(self._t.request("POST", "/v1/cluster/move", body))

    def drain(self, node: str) -> NodeDrain:
        """Marks node as draining: it hands every tenant it owns to the other
        nodes and takes no new ones."""
        return NodeDrain._from_json(self._t.request("POST", "/v1/cluster/drain", {"node": node}))

    def undrain(self, node: str) -> NodeDrain:
        """Lets a drained node take tenants again."""
        return NodeDrain._from_json(self._t.request("POST", "/v1/cluster/undrain", {"node": node}))
