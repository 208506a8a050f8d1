// The per-tenant key-value store (db.kv): cinch.KVService over the routes
// under .../tenants/{tenant}/kv. Values travel typed ({type, value}, see
// internal/wire/kv.go), so each comes back as the JavaScript type it was
// set with: text a string, int a number (a bigint beyond ±(2^53 - 1)),
// float a number, bool a boolean, bytes a Uint8Array, json the parsed
// object or array, null null.

import type { CinchDB, Schemas } from "./client.js";
import { InternalError, InvalidInputError } from "./errors.js";

/** A KV value's stored type. */
export type KVType = Schemas["KVEntry"]["type"];

/** A JSON document stored as a json value: an object or an array (of any JSON, bigints allowed). */
export type KVJSON = { [key: string]: unknown } | unknown[];

/** A KV value: string, number or bigint, boolean, Uint8Array (bytes), a JSON object or array, or null. */
export type KVValue = string | number | bigint | boolean | Uint8Array | KVJSON | null;

/** Options of kv.set. */
export interface KVSetOptions {
  /** Milliseconds until the key expires; absent or 0: never. */
  ttlMs?: number;
  /** Only set the key if it is not set; set() then resolves false when it was. */
  nx?: boolean;
}

/** A key's time to live: expires false for a key without one, else ttlMs left. */
export interface KVTTL {
  key: string;
  expires: boolean;
  ttlMs?: number;
}

function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) {
    s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The wire form ({type, value}) of a value. */
export function encodeKV(v: KVValue): { type: KVType; value: unknown } {
  if (v === null) return { type: "null", value: null };
  switch (typeof v) {
    case "string":
      return { type: "text", value: v };
    case "boolean":
      return { type: "bool", value: v };
    case "bigint":
      return { type: "int", value: v };
    case "number":
      return { type: Number.isSafeInteger(v) ? "int" : "float", value: v };
    case "object":
      if (v instanceof Uint8Array) return { type: "bytes", value: toBase64(v) };
      if (v instanceof ArrayBuffer) return { type: "bytes", value: toBase64(new Uint8Array(v)) };
      if (ArrayBuffer.isView(v)) return { type: "bytes", value: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
      return { type: "json", value: v };
  }
  throw new InvalidInputError(`a KV value cannot be of type ${typeof v}`);
}

/** The value of a wire entry ({type, value}). */
export function decodeKV(type: string, value: unknown): KVValue {
  switch (type) {
    case "text":
    case "bool":
    case "json":
      return value as KVValue;
    case "int":
    case "float":
      return value as number | bigint;
    case "null":
      return null;
    case "bytes":
      if (typeof value !== "string") throw new InternalError("decoding a KV bytes value: not a base64 string");
      return fromBase64(value);
  }
  throw new InternalError(`decoding a KV value: unknown type ${JSON.stringify(type)}`);
}

/** The tenant's key-value store (db.kv). A missing or expired key is KeyNotFoundError. */
export class KV {
  constructor(private readonly db: CinchDB) {}

  /** Sets key to value (its JavaScript type is kept); resolves false only when nx found the key set. */
  async set(key: string, value: KVValue, options: KVSetOptions = {}): Promise<boolean> {
    const res = await this.db.call("put", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv", {
      path: this.db.here,
      body: {
        key,
        ...encodeKV(value),
        ...(options.ttlMs !== undefined && { ttl_ms: options.ttlMs }),
        ...(options.nx !== undefined && { nx: options.nx }),
      },
    });
    return res.set;
  }

  /** The value under key, as it was set; KeyNotFoundError when the key is not set (or expired). */
  async get(key: string): Promise<KVValue> {
    const e = await this.getEntry(key);
    return e.value;
  }

  /** The value under key with its stored type (int and float both read as numbers: the type tells them apart). */
  async getEntry(key: string): Promise<{ key: string; type: KVType; value: KVValue }> {
    const e = await this.db.call("get", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv", { path: this.db.here, query: { key } });
    return { key: e.key, type: e.type, value: decodeKV(e.type, e.value) };
  }

  /** Deletes keys; resolves how many were set. */
  async delete(...keys: string[]): Promise<number> {
    const res = await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/delete", {
      path: this.db.here,
      body: { keys },
    });
    return Number(res.deleted);
  }

  /** Whether key is set. */
  async exists(key: string): Promise<boolean> {
    const res = await this.db.call("get", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/exists", { path: this.db.here, query: { key } });
    return res.exists;
  }

  /** The keys matching a glob (* any run, ? one character, \ quotes), sorted; without a pattern every key. */
  async keys(pattern?: string): Promise<string[]> {
    const res = await this.db.call("get", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/keys", {
      path: this.db.here,
      ...(pattern !== undefined && { query: { pattern } }),
    });
    return res.keys ?? [];
  }

  /** How many keys match a glob; without a pattern every key. */
  async count(pattern?: string): Promise<number> {
    const res = await this.db.call("get", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/count", {
      path: this.db.here,
      ...(pattern !== undefined && { query: { pattern } }),
    });
    return Number(res.count);
  }

  /** A key's time to live; KeyNotFoundError when the key is not set. */
  async ttl(key: string): Promise<KVTTL> {
    const res = await this.db.call("get", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/ttl", { path: this.db.here, query: { key } });
    return { key: res.key, expires: res.expires, ...(res.ttl_ms !== undefined && { ttlMs: Number(res.ttl_ms) }) };
  }

  /** Makes key expire ttlMs from now. */
  async expire(key: string, ttlMs: number): Promise<void> {
    await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/expire", {
      path: this.db.here,
      body: { key, ttl_ms: ttlMs },
    });
  }

  /** Removes key's expiry. */
  async persist(key: string): Promise<void> {
    await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/persist", { path: this.db.here, body: { key } });
  }

  /**
   * Adds by (default 1) to the number under key, atomically (a missing key
   * counts as 0), and resolves the new value: an integer by adds to an
   * integer, a number with a fraction makes the value a float.
   */
  async incr(key: string, by: number | bigint = 1): Promise<number | bigint> {
    const res = await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/incr", {
      path: this.db.here,
      body: { key, by: by as number }, // bigint: written by stringifyJSON
    });
    return decodeKV(res.type, res.value) as number | bigint;
  }

  /** The values of the keys that are set (the others are left out), in one read. */
  async mget(...keys: string[]): Promise<Map<string, KVValue>> {
    const res = await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/mget", {
      path: this.db.here,
      body: { keys },
    });
    return new Map(res.map((e) => [e.key, decodeKV(e.type, e.value)] as const));
  }

  /** Sets several keys in one transaction, with one ttl. */
  async mset(items: Map<string, KVValue> | Record<string, KVValue>, options: { ttlMs?: number } = {}): Promise<void> {
    const entries = items instanceof Map ? [...items.entries()] : Object.entries(items);
    await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/mset", {
      path: this.db.here,
      body: {
        items: entries.map(([key, v]) => ({ key, ...encodeKV(v) })),
        ...(options.ttlMs !== undefined && { ttl_ms: options.ttlMs }),
      },
    });
  }

  /** Removes the expired keys from the tenant's file; resolves how many. */
  async deleteExpired(): Promise<number> {
    const res = await this.db.call("post", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/expired/delete", { path: this.db.here });
    return Number(res.deleted);
  }

  /** Bytes the values of keys take; with no keys, of every key. */
  async size(...keys: string[]): Promise<number> {
    const res = await this.db.call("get", "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/kv/size", {
      path: this.db.here,
      ...(keys.length > 0 && { query: { key: keys } }),
    });
    return Number(res.bytes);
  }
}
