"""Errors: one exception class per error code of the server.

The server answers every error as ``{"error": {"code": "...", "message": "..."}}``
with one HTTP status per code (the table ``statusByCode`` in ``server/errors.go``).
The client raises the class of the code, so::

    try:
        db.switch_tenant("nope").query("SELECT 1")
    except cinch.TenantNotFound as e:
        print(e.code, e.status, e.message)   # tenant_not_found 404 tenant "nope" not found (...)

Every class derives from :class:`CinchError`; the ``*_not_found`` classes also
derive from :class:`NotFound` and the ``*_exists`` classes from
:class:`AlreadyExists`. A code this client does not know (a newer server) is
raised as :class:`CinchError` itself, with its ``code`` set.

Errors found before any request (an invalid parameter value, say) use the same
classes. Failures to reach the server or read its answer are
:class:`CinchConnectionError` (also a builtin ``ConnectionError``); they have no
code.
"""

from __future__ import annotations

from typing import Any, Optional


class CinchError(Exception):
    """Base of every error the client raises.

    Attributes:
        code: the server's stable error code (``"tenant_not_found"``), or None
            for :class:`CinchConnectionError`.
        status: the HTTP status of that code (404), or of the response when a
            server or proxy answered without an error body; None when there is
            no code.
        message: the server's message, for humans (it often says what to do).
        details: more about some errors (a refused merge's plan), else None.
        request_id: the response's X-Request-Id (the server's log line for the
            request has it), or None.
    """

    code: Optional[str] = None
    status: Optional[int] = None

    def __init__(self, message: str, *, code: Optional[str] = None, status: Optional[int] = None,
                 details: Any = None, request_id: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Keeps code, status and the rest through pickle (multiprocessing).
        return (_rebuild, (type(self), self.message, self.__dict__))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


def _rebuild(cls: type, message: str, state: dict) -> "CinchError":
    e = cls.__new__(cls, message)
    CinchError.__init__(e, message)
    e.__dict__.update(state)
    return e


class NotFound(CinchError):
    """Base of the ``*_not_found`` errors (404)."""


class AlreadyExists(CinchError):
    """Base of the ``*_exists`` errors (409)."""


class CinchConnectionError(CinchError, ConnectionError):
    """The server could not be reached, or its answer could not be read
    (connection refused or reset, timeout, a body cut short). No code."""


# The server's table, code -> (class name, HTTP status). Keep it in step with
# statusByCode in server/errors.go; tests/test_errors.py checks both ways.
_TABLE = [
    ("invalid_name", "InvalidName", 400),
    ("invalid_input", "InvalidInput", 400),
    ("query_rejected", "QueryRejected", 400),
    ("limit_exceeded", "LimitExceeded", 400),
    ("confirmation_needed", "ConfirmationNeeded", 400),
    ("tenant_required", "TenantRequired", 400),
    ("unauthorized", "Unauthorized", 401),
    ("forbidden", "Forbidden", 403),
    ("read_only", "ReadOnly", 403),
    ("encryption_key", "EncryptionKey", 403),
    ("database_not_found", "DatabaseNotFound", 404),
    ("branch_not_found", "BranchNotFound", 404),
    ("tenant_not_found", "TenantNotFound", 404),
    ("table_not_found", "TableNotFound", 404),
    ("column_not_found", "ColumnNotFound", 404),
    ("view_not_found", "ViewNotFound", 404),
    ("index_not_found", "IndexNotFound", 404),
    ("row_not_found", "RowNotFound", 404),
    ("key_not_found", "KeyNotFound", 404),
    ("group_not_found", "GroupNotFound", 404),
    ("route_not_found", "RouteNotFound", 404),
    ("method_not_allowed", "MethodNotAllowed", 405),
    ("unsupported_media_type", "UnsupportedMediaType", 415),
    ("canceled", "Canceled", 408),
    ("project_exists", "ProjectExists", 409),
    ("database_exists", "DatabaseExists", 409),
    ("branch_exists", "BranchExists", 409),
    ("tenant_exists", "TenantExists", 409),
    ("table_exists", "TableExists", 409),
    ("column_exists", "ColumnExists", 409),
    ("view_exists", "ViewExists", 409),
    ("index_exists", "IndexExists", 409),
    ("group_exists", "GroupExists", 409),
    ("tenant_archived", "TenantArchived", 409),
    ("protected", "Protected", 409),
    ("constraint_failed", "ConstraintFailed", 409),
    ("rollout_failed", "RolloutFailed", 409),
    ("schema_drift", "SchemaDrift", 409),
    ("conflict", "Conflict", 409),
    ("busy", "Busy", 409),
    ("too_large", "TooLarge", 413),
    ("disk_full", "DiskFull", 507),
    ("rate_limited", "RateLimited", 429),
    # Not "NotImplemented": that is a Python builtin constant.
    ("not_implemented", "NotImplementedOnServer", 501),
    ("not_owner", "NotOwner", 503),
    ("unavailable", "Unavailable", 503),
    ("no_project", "NoProject", 500),
    ("internal", "InternalError", 500),
]


# The classes, written out so that editors and type checkers see them; the
# loop at the end checks that they match _TABLE.

class InvalidName(CinchError, ValueError):
    """A name breaks the naming rules (tenants: a-z, 0-9 and _; see the message)."""


class InvalidInput(CinchError, ValueError):
    """A request is malformed: a bad value, parameter or SQL syntax."""


class QueryRejected(CinchError):
    """The query guard refused the statement (DDL, ATTACH, schema pragmas, ...)."""


class LimitExceeded(CinchError):
    """A limit was hit (a group's maximum database size, say)."""


class ConfirmationNeeded(CinchError):
    """The operation needs an explicit confirmation."""


class TenantRequired(CinchError):
    """No tenant named where the project requires one (strict_tenant)."""


class Unauthorized(CinchError):
    """The API key is missing, wrong, expired or revoked."""


class Forbidden(CinchError):
    """The key's scope does not reach what was asked for."""


class ReadOnly(CinchError):
    """A write with a read-only key, or with ``read_only=True``."""


class EncryptionKey(CinchError):
    """An encrypted tenant without its key, or with a wrong one."""


class DatabaseNotFound(NotFound):
    pass


class BranchNotFound(NotFound):
    pass


class TenantNotFound(NotFound):
    pass


class TableNotFound(NotFound):
    pass


class ColumnNotFound(NotFound):
    pass


class ViewNotFound(NotFound):
    pass


class IndexNotFound(NotFound):
    pass


class RowNotFound(NotFound):
    pass


class KeyNotFound(NotFound):
    pass


class GroupNotFound(NotFound):
    pass


class RouteNotFound(NotFound):
    """No route of the server matches the path (a client newer than the server?)."""


class MethodNotAllowed(CinchError):
    """The route exists for other HTTP methods."""


class UnsupportedMediaType(CinchError):
    """The request body was not sent as JSON."""


class Canceled(CinchError):
    """The request ran past the server's ``--query-timeout`` and was interrupted."""


class ProjectExists(AlreadyExists):
    pass


class DatabaseExists(AlreadyExists):
    pass


class BranchExists(AlreadyExists):
    pass


class TenantExists(AlreadyExists):
    pass


class TableExists(AlreadyExists):
    pass


class ColumnExists(AlreadyExists):
    pass


class ViewExists(AlreadyExists):
    pass


class IndexExists(AlreadyExists):
    pass


class GroupExists(AlreadyExists):
    pass


class TenantArchived(CinchError):
    """The tenant is archived: restore it first."""


class Protected(CinchError):
    """The operation is refused on this entity (tenant or branch main)."""


class ConstraintFailed(CinchError):
    """A UNIQUE, NOT NULL, CHECK or foreign key constraint refused the write."""


class RolloutFailed(CinchError):
    """A schema change could not be applied to a tenant's data; nothing changed."""


class SchemaDrift(CinchError):
    """A tenant's schema differs from the branch's."""


class Conflict(CinchError):
    """The request conflicts with the current state (a refused merge: see ``details``)."""


class Busy(CinchError):
    """The tenant or branch is busy; retry."""


class TooLarge(CinchError):
    """A request body or a result's first row is over the server's limit."""


class DiskFull(CinchError):
    """The server's disk is full; nothing was written."""


class RateLimited(CinchError):
    """Too many requests for this key. ``retry_after`` is the server's
    Retry-After in seconds (or None)."""

    retry_after: Optional[float] = None


class NotImplementedOnServer(CinchError):
    """The server does not implement this (code ``not_implemented``)."""


class NotOwner(CinchError):
    """Another cluster node owns the tenant; retry (code ``not_owner``)."""


class Unavailable(CinchError):
    """The cluster cannot take writes now (no quorum); retry later."""


class NoProject(CinchError):
    """The server has no project."""


class InternalError(CinchError):
    """The server failed; its log has the details, under the request id."""


CODES: dict = {}
"""Error code -> exception class, one entry per code of the server's table."""

for _code, _name, _status in _TABLE:
    _cls = globals()[_name]
    assert issubclass(_cls, CinchError) and "code" not in _cls.__dict__, _name
    _cls.code = _code
    _cls.status = _status
    CODES[_code] = _cls
del _code, _name, _status, _cls

# What a status means when an error response has no JSON body (a proxy in
# between, say): the same fallback as the Go client.
_STATUS_CODES = {400: "invalid_input", 401: "unauthorized", 403: "forbidden", 404: "route_not_found",
                 413: "too_large", 429: "rate_limited"}


def error_class(code: str) -> type:
    """The exception class of a code; :class:`CinchError` for unknown codes."""
    return CODES.get(code, CinchError)


def make_error(code: str, message: str, *, status: Optional[int] = None, details: Any = None,
               request_id: Optional[str] = None) -> CinchError:
    """The exception for an error object of the server."""
    cls = error_class(code)
    if cls is CinchError:
        return CinchError(message, code=code, status=status, details=details, request_id=request_id)
    return cls(message, status=status, details=details, request_id=request_id)


def from_status(status: int, reason: str, request_id: Optional[str] = None) -> CinchError:
    """The exception for an error response without a JSON error body."""
    code = _STATUS_CODES.get(status, "internal")
    return make_error(code, f"server answered {status} {reason}".strip(), status=status, request_id=request_id)


__all__ = ["CinchError", "NotFound", "AlreadyExists", "CinchConnectionError", "CODES", "error_class"] + [name for _, name, _ in _TABLE]
