// Package cluster is cinch's replication core on NATS JetStream
// (docs/cluster.md): an embedded NATS server, the tenant write log (shard
// streams, one subject per tenant, appends fenced by the expected last
// sequence of the subject), ownership leases (one KV key with a per-key
// TTL per node, renewed by it; a key per tenant naming its owner),
// snapshots (object store), and a Node that acquires a tenant (lease,
// rebuild of the local file from snapshot and log, takeover record) and
// hands every commit of the tenants it owns to the log before the commit
// becomes visible (sqlite.Capturer).
//
// JetStream does the consensus (Raft per stream, fsync before ack); this
// package only decides what goes where and in which order.
package cluster
