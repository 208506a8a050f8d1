"""cinch: the Python client of ``cinch serve`` (standard library only).

cinch is multi-tenant SQLite: one SQLite file per tenant, one schema shared by
every tenant of a branch through tracked changes. This package talks to a
``cinch serve`` server over HTTP with the vocabulary of CinchDB's Python SDK::

    import cinch

    db = cinch.connect("http://127.0.0.1:8080", api_key, tenant="acme_corp")
    users = db.query("SELECT name, email FROM users WHERE active = ?", [True])
    for row in users:
        print(row["name"], row[1])            # by name (first of that name) or position

    wayne = db.switch_tenant("wayne_ent")     # no I/O
    wayne.insert("users", {"name": "Bruce"})  # returns the stored row (id, timestamps)
    db.columns.add_column("users", cinch.Column(name="phone", type="TEXT"))  # every tenant

    try:
        db.switch_tenant("nope").query("SELECT 1")
    except cinch.TenantNotFound as e:
        print(e.code, e.status)               # tenant_not_found 404

See ``docs/clients.md`` in the cinch repository for how each call maps to the
HTTP API and to the seed's CinchDB calls.
"""

from ._version import __version__
from .db import DB, Branches, Cluster, Columns, Fleet, Groups, Indexes, Tables, Tenants, Views, connect
from .kv import KV
from .errors import *  # noqa: F401,F403  (one class per error code)
from .errors import CODES, AlreadyExists, CinchConnectionError, CinchError, NotFound, error_class
from .errors import __all__ as _error_names
from .models import (BranchInfo, Change, ClusterAdminKey, ClusterNode, Column, ColumnInfo, ForeignKey, Group,
                     IndexInfo, MaintenanceResult, MergeConflict, MergeResult, MigrateResult, NodeDrain, TableInfo,
                     TenantCheck, TenantInfo, TenantMove, TenantStats, ViewInfo)
from .results import Result, Row, TenantResult

__all__ = [
    "__version__", "connect", "DB", "Result", "Row", "TenantResult",
    "Column", "ForeignKey", "ColumnInfo", "TableInfo", "IndexInfo", "ViewInfo", "Change", "TenantInfo",
    "TenantStats", "TenantCheck", "MaintenanceResult", "MigrateResult", "BranchInfo", "MergeResult", "MergeConflict", "Group",
    "Tenants", "Tables", "Columns", "Views", "Indexes", "Branches", "Fleet", "Groups", "KV",
    "Cluster", "ClusterNode", "ClusterAdminKey", "TenantMove", "NodeDrain",
] + list(_error_names)
