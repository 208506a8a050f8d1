"""Imports every generated Python module (golden/*.py, live/models.py), then
decodes the rows the HTTP API returned (records.json) with the live models
and prints what it read; TestCompile runs it."""

import datetime
import importlib.util
import json
import pathlib
import sys

here = pathlib.Path(__file__).parent
mods = {}
for path in sorted(here.glob("*/*.py")):
    spec = importlib.util.spec_from_file_location(path.parent.name + "_" + path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # runs the class bodies, unlike py_compile
    mods[path.parent.name + "/" + path.name] = mod
m = mods["live/models.py"]

results = json.loads(pathlib.Path(sys.argv[1]).read_text())


def records(r):
    return [dict(zip(r["columns"], row)) for row in r["rows"]]


def show(v):
    """Prints a value as the Go and TypeScript checks do."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, bytes):
        return "[" + " ".join(str(b) for b in v) + "]"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


for rec in records(results["every_type"]):
    e = m.EveryType.from_record(rec)
    assert isinstance(e.created_at, datetime.datetime) and e.created_at.tzinfo is not None
    assert e.created_at == e.updated_at
    print(f"every_type {e.text_req}: text_opt {show(e.text_opt)} int_opt {show(e.int_opt)} real_req {show(e.real_req)} "
          f"num_req {show(e.num_req)} bool_req {show(e.bool_req)} bool_opt {show(e.bool_opt)} blob_req {show(e.blob_req)} "
          f"blob_opt {show(e.blob_opt)} api_url {show(e.api_url)}")
for rec in records(results["order_items"]):
    o = m.OrderItems.from_record(rec)
    print(f"order_items: qty {o.qty} every_type_id set {show(isinstance(o.every_type_id, str))}")
for rec in records(results["every_view"]):
    v = m.EveryView.from_record(rec)
    print(f"every_view {v.text_req}: created {show(isinstance(v.created_at, datetime.datetime))} int_opt {show(v.int_opt)} "
          f"bool_req {show(v.bool_req)} doubled {show(v.doubled)} num_real {show(v.num_real)} item_count {show(v.item_count)}")

full = records(results["every_type"])[0]


def fails(change, exc, text):
    try:
        m.EveryType.from_record({**full, **change})
    except exc as e:
        assert text in str(e), (text, str(e))
    else:
        raise AssertionError(f"no {exc.__name__} for {change}")


fails({"text_req": None}, TypeError, "every_type: column 'text_req' is null")
fails({"int_req": 1.5}, TypeError, "column 'int_req' should be an integer, got float")
fails({"bool_req": "true"}, TypeError, "column 'bool_req' should be a boolean, got str")
fails({"created_at": "yesterday"}, ValueError, "column 'created_at' holds 'yesterday'")
fails({"blob_req": "not base64!"}, ValueError, "column 'blob_req' holds text that is not base64")
assert m.EveryType.from_record({**full, "bool_req": 1}).bool_req is True
assert m.EveryType.from_record({**full, "int_req": 2**70}).int_req == 2**70
assert m.EveryType.from_record({**full, "blob_req": b"\x07"}).blob_req == b"\x07"
assert m.EveryType.from_record({k: v for k, v in full.items() if k != "text_opt"}).text_opt is None
names = mods["golden/names.py"]
t = names.Time.from_record({"id": "x", "created_at": "2025-01-02T03:04:05.000Z", "updated_at": "2025-01-02T03:04:05.000Z",
                            "class": "c", "str": "s", "int": 1, "bool": True, "from_record": "f"})
assert (t.class_, t.str_, t.int_, t.bool_, t.from_record_) == ("c", "s", 1, True, "f")
print("errors ok")
