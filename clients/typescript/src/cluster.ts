// A cluster of `cinch serve --cluster` nodes (db.cluster), through any node
// (SPEC §8): init, status, move, drain, undrain. A server not started with
// --cluster answers every call with NotImplementedError (501).

import type { CinchDB, Schemas } from "./client.js";

/** A node as GET /v1/cluster/status shows it, from its last heartbeat (at most a second old). */
export type ClusterNode = Schemas["ClusterNode"];
/** A new cluster's admin API key, shown once. */
export type ClusterAdminKey = Schemas["ClusterAdminKey"];
/** A tenant moved to node `to`; requests on it waited `pause` (a Go duration, e.g. "42ms"). */
export type TenantMove = Schemas["TenantMove"];
/** A node marked as draining or not. */
export type NodeDrain = Schemas["NodeDrain"];

/** Options of cluster.move: the tenant's database and branch (default: the handle's). */
export interface MoveOptions {
  database?: string;
  branch?: string;
}

/**
 * The cluster the server is a node of (db.cluster). move, drain and undrain
 * need a key without scope limits (the admin key init returns).
 */
export class Cluster {
  constructor(private readonly db: CinchDB) {}

  /** Creates the new cluster's admin API key, once per cluster (no key needed; ConflictError afterwards). */
  init(): Promise<ClusterAdminKey> {
    return this.db.call("post", "/v1/cluster/init", { path: {} });
  }

  /** The nodes: alive, draining, tenants owned, writes/s, control lag, tenants catching up, log tail, snapshot age. */
  async status(): Promise<ClusterNode[]> {
    const out = await this.db.call("get", "/v1/cluster/status", { path: {} });
    return out.nodes;
  }

  /** Moves a tenant to node `to`: requests on it wait while it moves, none fail. */
  move(tenant: string, to: string, options: MoveOptions = {}): Promise<TenantMove> {
    return this.db.call("post", "/v1/cluster/move", {
      path: {},
      body: { database: options.database ?? this.db.database, branch: options.branch ?? this.db.branch, tenant, to },
    });
  }

  /** Marks node as draining: it hands every tenant it owns to the other nodes and takes no new ones. */
  drain(node: string): Promise<NodeDrain> {
    return this.db.call("post", "/v1/cluster/drain", { path: {}, body: { node } });
  }

  /** Lets a drained node take tenants again. */
  undrain(node: string): Promise<NodeDrain> {
    return this.db.call("post", "/v1/cluster/undrain", { path: {}, body: { node } });
  }
}
