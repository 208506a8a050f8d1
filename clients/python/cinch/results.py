"""Query results: every column, in order, and every value.

A :class:`Result` is a sequence of :class:`Row`. A row is a tuple of the values
in column order, so two columns with the same name (``SELECT 1 AS x, 2 AS x``,
or ``SELECT *`` over a join: every cinch table has ``id``, ``created_at`` and
``updated_at``) both keep their value. A row can also be read by column name,
which gives the first column of that name::

    res = db.query("SELECT u.id, o.id, o.total FROM users u JOIN orders o ON o.user_id = u.id")
    res.columns            # ['id', 'id', 'total']
    res[0]                 # ('0193...', '0194...', 19.5)
    res[0][1]              # the order's id
    res[0]["total"]        # 19.5
    res.dicts()            # [{'id': '0193...', 'total': 19.5}]: lossy, the first 'id' wins

Values are None, bool (BOOLEAN columns), int (any size: Python ints do not
round), float (``inf``/``-inf`` for the server's ``9e999``/``-9e999``) or str.
BLOB values arrive as base64 text (``base64.b64decode`` them); timestamps
(``created_at``, ``updated_at``) are RFC 3339 text.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Sequence, overload

from .errors import CinchError

_MISSING = object()


class Row(tuple):
    """One row: a tuple of values in column order, also readable by column name.

    ``row[i]`` is the i-th value, ``row["name"]`` the value of the first column
    called ``name`` (KeyError if there is none). ``row.columns`` are the names.
    A row equals the plain tuple of its values.
    """

    __slots__ = ()
    columns: tuple = ()
    _index: dict = {}

    @overload
    def __getitem__(self, key: int) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise KeyError(f"no column {key!r} (columns: {', '.join(self.columns)})") from None
        return tuple.__getitem__(self, key)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of the first column called name, or default."""
        i = self._index.get(name)
        return default if i is None else tuple.__getitem__(self, i)

    def as_dict(self) -> dict:
        """The row as a dict of column name to value. Lossy when names repeat:
        the first column of a name wins, as with ``row[name]``."""
        out: dict = {}
        for name, value in zip(self.columns, self):
            out.setdefault(name, value)
        return out

    def __repr__(self) -> str:
        return tuple.__repr__(self)

    def __reduce__(self):
        return (_make_row, (self.columns, tuple(self)))


def _row_type(columns: Sequence[str]) -> type:
    """A Row subclass that knows these columns (one per result, so rows carry
    no per-row names)."""
    index: dict = {}
    for i, name in enumerate(columns):
        index.setdefault(name, i)
    return type("Row", (Row,), {"__slots__": (), "columns": tuple(columns), "_index": index})


def _make_row(columns: Sequence[str], values: Sequence[Any]) -> Row:
    return _row_type(columns)(values)


class Result(Sequence[Row]):
    """What a query returns: ``columns`` (names in order), ``rows`` (each a
    :class:`Row`), ``rows_affected`` (rows a write changed) and ``truncated``
    (True when a server limit, ``--max-rows`` or ``--max-result-bytes``, or the
    query's ``limit`` cut the rows short).

    A result is a sequence of its rows: ``len(res)``, ``res[0]``,
    ``for row in res``.
    """

    __slots__ = ("columns", "rows", "rows_affected", "truncated", "_row")

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], rows_affected: int = 0,
                 truncated: bool = False) -> None:
        self.columns: List[str] = list(columns)
        self._row = _row_type(self.columns)
        make = self._row
        self.rows: List[Row] = [make(r) for r in rows]
        self.rows_affected: int = rows_affected
        self.truncated: bool = truncated

    @classmethod
    def _from_json(cls, obj: dict) -> "Result":
        return cls(obj.get("columns") or [], obj.get("rows") or [], obj.get("rows_affected") or 0,
                   bool(obj.get("truncated")))

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> List[Row]: ...

    def __getitem__(self, i):
        return self.rows[i]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def dicts(self) -> List[dict]:
        """Every row as a dict of column name to value.

        Lossy when two columns share a name: only the first column of each name
        is kept (name your columns with AS, or use the rows, which keep every
        value).
        """
        return [r.as_dict() for r in self.rows]

    def value(self, row: int, name: str, default: Any = _MISSING) -> Any:
        """The value of the first column called name in row number row."""
        if default is _MISSING:
            return self.rows[row][name]
        return self.rows[row].get(name, default)

    def column(self, name: str) -> list:
        """The values of the first column called name, one per row."""
        i = self._row._index.get(name)
        if i is None:
            raise KeyError(f"no column {name!r} (columns: {', '.join(self.columns)})")
        return [tuple.__getitem__(row, i) for row in self.rows]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return (self.columns, self.rows, self.rows_affected, self.truncated) == \
            (other.columns, other.rows, other.rows_affected, other.truncated)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        more = f", rows_affected={self.rows_affected}" if self.rows_affected else ""
        cut = ", truncated=True" if self.truncated else ""
        return f"Result(columns={self.columns!r}, rows={len(self.rows)}{more}{cut})"


class TenantResult:
    """One tenant's answer to a fan-out query (:meth:`cinch.DB.query_all`).

    ``tenant`` is the tenant's name; ``error`` is its error (a
    :class:`cinch.CinchError`, not raised) or None. ``result`` is its
    :class:`Result`; reading ``result`` of a tenant that failed raises its
    error. ``ok`` says whether it succeeded.
    """

    __slots__ = ("tenant", "error", "_result")

    def __init__(self, tenant: str, result: Optional[Result] = None, error: Optional[CinchError] = None) -> None:
        self.tenant = tenant
        self._result = result
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def result(self) -> Result:
        if self.error is not None:
            raise self.error
        assert self._result is not None
        return self._result

    def __repr__(self) -> str:
        if self.error is not None:
            return f"TenantResult(tenant={self.tenant!r}, error={self.error!r})"
        return f"TenantResult(tenant={self.tenant!r}, result={self._result!r})"

