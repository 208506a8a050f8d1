"""HTTP: one request, one JSON answer, errors as exceptions (urllib only)."""

from __future__ import annotations

import datetime as _dt
import gzip
import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
import zlib
from typing import Any, Optional

from ._version import __version__
from .errors import (CinchConnectionError, CinchError, InvalidInput, InvalidName, RateLimited, from_status,
                     make_error)

TENANT_KEY_HEADER = "X-Cinch-Tenant-Key"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The API never redirects; following one would resend the key elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)


def wire_value(v: Any, where: str) -> Any:
    """A parameter or record value as JSON carries it; refuses what JSON (or
    the server) cannot take faithfully."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)  # bool handled above; IntEnum and the like become plain ints
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise InvalidInput(f"{where}: {v!r} cannot be sent (the server stores no NaN or infinity)")
        return v
    if isinstance(v, _dt.datetime):
        # cinch.TimeFormat: RFC 3339 in UTC with milliseconds, as created_at
        # is stored. A naive datetime is taken as local time.
        u = v.astimezone(_dt.timezone.utc)
        return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        raise InvalidInput(f"{where}: BLOB values cannot be sent over HTTP "
                           "(encode binary data as text, base64 say, in a TEXT column)")
    raise InvalidInput(f"{where}: a {type(v).__name__} cannot be sent: values are None, bool, int, float, "
                       "str, datetime or date (store nested data as JSON text)")


def wire_record(rec: Any, where: str) -> dict:
    if not isinstance(rec, dict):
        raise InvalidInput(f"{where}: a record is a dict of column name to value, not {type(rec).__name__}")
    return {str(k): wire_value(v, f"{where}: column {k!r}") for k, v in rec.items()}


def wire_params(params: Any) -> Optional[list]:
    if params is None:
        return None
    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise InvalidInput("params is a list (or tuple) of values for the ? placeholders, in order")
    return [wire_value(v, f"params[{i}]") for i, v in enumerate(params)]


def segment(name: Any, kind: str) -> str:
    """A name as one path segment. The server checks the naming rules; here
    only what would change the path's shape is refused."""
    if not isinstance(name, str):
        raise InvalidInput(f"{kind} name must be a str, not {type(name).__name__}")
    if name in ("", ".", ".."):
        raise InvalidName(f"invalid {kind} {name!r}")
    return urllib.parse.quote(name, safe="")


class Transport:
    """The server's address, the API key, and how requests are sent. Shared
    by every handle made from one :func:`cinch.connect`; safe across threads
    (each request opens its own connection)."""

    def __init__(self, url: str, api_key: Optional[str], *, tenant_key: Optional[str] = None,
                 timeout: Optional[float] = None, user_agent: Optional[str] = None) -> None:
        u = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if u is None or u.scheme not in ("http", "https") or not u.netloc or u.query or u.fragment:
            raise InvalidInput(f"invalid server URL {url!r}: use http://HOST:PORT or https://HOST:PORT")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.tenant_key = tenant_key
        self.timeout = timeout
        self.user_agent = user_agent or f"cinch-python/{__version__}"
        self._opener = _opener()

    def with_tenant_key(self, key: Optional[str]) -> "Transport":
        t = object.__new__(Transport)
        t.__dict__.update(self.__dict__)
        t.tenant_key = key
        return t

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Sends one request; returns the decoded JSON answer (None for 204).
        An error answer raises its exception."""
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip", "User-Agent": self.user_agent}
        data = None
        if body is not None:
            try:
                data = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
            except (TypeError, ValueError) as e:
                raise InvalidInput(f"encoding the request: {e}") from None
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = "Bearer " + self.api_key
        if self.tenant_key:
            headers[TENANT_KEY_HEADER] = self.tenant_key
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        where = f"{method} {path}"
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                status = resp.status
                raw = _read(resp, where)
        except urllib.error.HTTPError as e:
            with e:
                raise _http_error(e, where) from None
        except CinchError:
            raise
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise CinchConnectionError(f"{where}: cannot reach the server at {self.url}: {reason}") from e
        if status == 204 or not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise CinchConnectionError(f"{where}: the answer is not complete JSON ({e})") from None


def _read(resp: Any, where: str) -> bytes:
    try:
        raw = resp.read()
    except (OSError, http.client.HTTPException) as e:  # IncompleteRead: the body was cut short
        raise CinchConnectionError(f"{where}: reading the answer: {e!r}") from e
    if resp.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise CinchConnectionError(f"{where}: the answer's gzip stream is broken ({e})") from None
    return raw


def _http_error(e: urllib.error.HTTPError, where: str) -> CinchError:
    request_id = e.headers.get("X-Request-Id") if e.headers else None
    try:
        raw = _read(e, where)
        obj = json.loads(raw)
        err = obj["error"]
        code, message = err["code"], err["message"]
        if not isinstance(code, str) or not code:
            raise ValueError
    except (ValueError, KeyError, TypeError, CinchError):
        return from_status(e.code, e.reason or "", request_id)
    out = make_error(code, message, status=e.code, details=err.get("details"), request_id=request_id)
    if isinstance(out, RateLimited):
        try:
            out.retry_after = float(e.headers.get("Retry-After"))
        except (TypeError, ValueError):
            pass
    return out
