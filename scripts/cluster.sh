#!/usr/bin/env bash
# scripts/cluster.sh (make cluster): three cinch cluster nodes on this machine, each with its own
# folder and embedded NATS server, HTTP on 127.0.0.1:8081-8083. Ctrl-C stops them.
#
#   make cluster                          # in one terminal
#   cinch cluster init --server http://127.0.0.1:8081    # in another: prints the admin key
#   export CINCH_SERVER=http://127.0.0.1:8082 CINCH_API_KEY=<that key>
#   cinch table create users name:TEXT && cinch tenant create acme
#   cinch data insert users --tenant acme --data '{"name":"Ada"}'
#   cinch cluster status
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${CLUSTER_DIR:-.cluster}
BIN="$DIR/cinch"
mkdir -p "$DIR"
go build -o "$BIN" ./cmd/cinch
ROUTES=nats://127.0.0.1:6251,nats://127.0.0.1:6252,nats://127.0.0.1:6253
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait; echo "cluster stopped (folders kept in $DIR)"' EXIT INT TERM
for i in 1 2 3; do
  "$BIN" serve --cluster --node "n$i" --dir "$DIR/n$i" --addr "127.0.0.1:808$i" \
    --nats-listen "127.0.0.1:614$i" --nats-cluster "127.0.0.1:625$i" --nats-routes "$ROUTES" \
    2> >(sed "s/^/[n$i] /" >&2) &
  pids+=($!)
done
echo "three nodes starting: http://127.0.0.1:8081, :8082, :8083 (folders in $DIR); Ctrl-C stops them"
echo "next: $BIN cluster init --server http://127.0.0.1:8081"
wait
