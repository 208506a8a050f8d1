"""``db.kv``: the tenant's key-value store (``.../tenants/{t}/kv``).

Values keep their Python types across the wire (internal/wire/kv.go): str
(text), int, float, bool, bytes, dict/list (JSON) and None. TTLs are seconds
(int or float) here and milliseconds on the wire.
"""

from __future__ import annotations

import base64
import binascii
import math
import urllib.parse
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .errors import CinchConnectionError, InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from .db import DB

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1


def encode_kv(v: Any, where: str = "value") -> Tuple[str, Any]:
    """A Python value as the wire's (type, JSON value)."""
    if v is None:
        return "null", None
    if isinstance(v, bool):
        return "bool", v
    if isinstance(v, int):
        if not INT64_MIN <= v <= INT64_MAX:
            raise InvalidInput(f"{where}: integer {v} does not fit in 64 bits")
        return "int", int(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise InvalidInput(f"{where}: {v!r} cannot be stored (no NaN or infinity)")
        return "float", v
    if isinstance(v, str):
        return "text", v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "bytes", base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, (dict, list, tuple)):
        return "json", list(v) if isinstance(v, tuple) else v
    raise InvalidInput(f"{where}: a {type(v).__name__} cannot be stored: values are str, int, float, bool, "
                       "bytes, dict or list (JSON) or None")


def decode_kv(typ: Any, value: Any) -> Any:
    """The wire's (type, JSON value) as a Python value."""
    if typ == "bytes":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError) as e:
            raise CinchConnectionError(f"bad bytes value from the server: {e}") from None
    if typ == "float":
        return float(value)
    if typ == "int":
        return int(value)
    if typ in ("text", "bool", "null", "json"):
        return value
    raise CinchConnectionError(f"unknown KV value type {typ!r} from the server")


def _ms(seconds: Any, what: str = "ttl") -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidInput(f"{what} is seconds (int or float), not {type(seconds).__name__}")
    if math.isnan(seconds) or seconds < 0:
        raise InvalidInput(f"{what} must be 0 seconds or more, got {seconds!r}")
    ms = int(round(seconds * 1000))
    if seconds > 0 and ms == 0:
        ms = 1  # a positive ttl under a millisecond still expires
    return ms


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise InvalidInput(f"a key is a str, not {type(key).__name__}")
    return key


class KV:
    """``db.kv``: the handle's tenant's key-value store.

    Keys are printable UTF-8 strings (1-255 bytes, case-sensitive). A key
    with a ttl expires that many seconds after it was set; expired keys read
    as missing.
    """

    __slots__ = ("_db",)

    def __init__(self, db: "DB") -> None:
        self._db = db

    def _path(self, sub: str = "", query: Optional[List[Tuple[str, str]]] = None) -> str:
        p = self._db._tenant_path() + "/kv" + sub
        if query:
            p += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        return p

    def _req(self, method: str, sub: str = "", body: Any = None,
             query: Optional[List[Tuple[str, str]]] = None) -> Any:
        return self._db._t.request(method, self._path(sub, query), body)

    def set(self, key: str, value: Any, ttl: Optional[float] = None, nx: bool = False) -> bool:
        """Stores value under key, expiring ttl seconds from now (None: never).
        nx=True stores only when the key is not set. Returns whether it stored."""
        typ, raw = encode_kv(value)
        body: dict = {"key": _key(key), "type": typ, "value": raw}
        if ttl is not None:
            ms = _ms(ttl)
            if ms:
                body["ttl_ms"] = ms
        if nx:
            body["nx"] = True
        out = self._req("PUT", body=body)
        return bool(out.get("set"))

    def get(self, key: str) -> Any:
        """The value under key, with its type; a missing or expired key raises
        :class:`cinch.KeyNotFound`."""
        out = self._req("GET", query=[("key", _key(key))])
        return decode_kv(out.get("type"), out.get("value"))

    def delete(self, *keys: str) -> int:
        """Deletes keys; returns how many were set."""
        if len(keys) == 1 and isinstance(keys[0], (list, tuple)):
            keys = tuple(keys[0])
        if not keys:
            return 0
        out = self._req("POST", "/delete", {"keys": [_key(k) for k in keys]})
        return int(out["deleted"])

    def exists(self, key: str) -> bool:
        return bool(self._req("GET", "/exists", query=[("key", _key(key))])["exists"])

    def keys(self, pattern: str = "*") -> List[str]:
        """The keys matching a glob (``*`` any run, ``?`` one character,
        ``\\`` quotes), sorted."""
        q = [("pattern", pattern)] if pattern else None
        return list(self._req("GET", "/keys", query=q).get("keys") or [])

    def count(self, pattern: str = "*") -> int:
        q = [("pattern", pattern)] if pattern else None
        return int(self._req("GET", "/count", query=q)["count"])

    def ttl(self, key: str) -> Optional[float]:
        """Seconds left before key expires, or None for a key without expiry.
        A missing key raises :class:`cinch.KeyNotFound`."""
        out = self._req("GET", "/ttl", query=[("key", _key(key))])
        if not out.get("expires"):
            return None
        return int(out.get("ttl_ms") or 0) / 1000.0

    def expire(self, key: str, seconds: float) -> None:
        """Makes key expire seconds from now (a missing key raises KeyNotFound)."""
        self._req("POST", "/expire", {"key": _key(key), "ttl_ms": _ms(seconds, "seconds")})

    def persist(self, key: str) -> None:
        """Removes key's expiry."""
        self._req("POST", "/persist", {"key": _key(key)})

    def incr(self, key: str, by: Union[int, float] = 1) -> Union[int, float]:
        """Adds by to the number under key, atomically (a missing key counts
        as 0); returns the new value. A float by makes the value a float."""
        if isinstance(by, bool) or not isinstance(by, (int, float)):
            raise InvalidInput(f"by is an int or float, not {type(by).__name__}")
        _, raw = encode_kv(by, "by")  # json writes a float with its fraction (1.0): a float increment
        out = self._req("POST", "/incr", {"key": _key(key), "by": raw})
        return decode_kv(out.get("type"), out.get("value"))

    def mget(self, *keys: str) -> Dict[str, Any]:
        """The values of the keys that are set, in one read: a dict of key to value."""
        if len(keys) == 1 and isinstance(keys[0], (list, tuple)):
            keys = tuple(keys[0])
        if not keys:
            return {}
        out = self._req("POST", "/mget", {"keys": [_key(k) for k in keys]})
        return {e["key"]: decode_kv(e.get("type"), e.get("value")) for e in out or []}

    def mset(self, items: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]], ttl: Optional[float] = None) -> None:
        """Sets several keys in one transaction, all with the same ttl."""
        pairs = items.items() if isinstance(items, Mapping) else items
        body_items = []
        for k, v in pairs:
            typ, raw = encode_kv(v, f"value of {k!r}")
            body_items.append({"key": _key(k), "type": typ, "value": raw})
        if not body_items:
            return
        body: dict = {"items": body_items}
        if ttl is not None:
            ms = _ms(ttl)
            if ms:
                body["ttl_ms"] = ms
        self._req("POST", "/mset", body)

    def delete_expired(self) -> int:
        """Removes the expired keys from the tenant's file; returns how many."""
        return int(self._req("POST", "/expired/delete")["deleted"])

    def size(self, *keys: str) -> int:
        """Bytes the values of keys take (of every key without keys)."""
        if len(keys) == 1 and isinstance(keys[0], (list, tuple)):
            keys = tuple(keys[0])
        return int(self._req("GET", "/size", query=[("key", _key(k)) for k in keys])["bytes"])

    def __contains__(self, key: str) -> bool:
        return self.exists(key)

