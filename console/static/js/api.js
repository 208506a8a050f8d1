// The console's only way to the server: the public HTTP API under /v1,
// with the key from session storage as a Bearer header.

/** An error answer of the API: its code and message (and details, e.g. merge conflicts). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const seg = encodeURIComponent;

export class Api {
  constructor(key) {
    this.key = key;
  }

  /** Sends a request; resolves to {data, headers}, rejects with ApiError. */
  async request(method, path, body) {
    const headers = { Authorization: "Bearer " + this.key, Accept: "application/json" };
    const init = { method, headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, "unreachable", "the server did not answer (" + e.message + "); is cinch serve running?");
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new ApiError(res.status, e.code || "http_" + res.status, e.message || res.statusText || "request failed", e.details);
    }
    return { data, headers: res.headers };
  }

  async get(path) {
    return (await this.request("GET", path)).data;
  }
  async post(path, body) {
    return (await this.request("POST", path, body ?? {})).data;
  }
  async patch(path, body) {
    return (await this.request("PATCH", path, body)).data;
  }
}

/** The path of a branch: /v1/databases/{db}/branches/{branch}. */
export function branchPath(db, branch) {
  return "/v1/databases/" + seg(db) + "/branches/" + seg(branch);
}

/** The path of a tenant of a branch. */
export function tenantPath(db, branch, tenant) {
  return branchPath(db, branch) + "/tenants/" + seg(tenant);
}

export { seg };
