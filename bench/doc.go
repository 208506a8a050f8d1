// Package bench holds cinch's benchmarks against raw SQLite: each case runs
// once through cinch's local engine and once through a baseline that uses
// the same driver (github.com/ncruces/go-sqlite3, native API) directly, on
// the same kind of file, with the same pragmas (WAL, synchronous=NORMAL,
// foreign_keys=ON, busy_timeout) and the same table shape. The package has
// no code of its own; see bench_test.go and docs/benchmarks.md.
//
// Run them with:
//
//	go test -run XXX -bench . -benchtime 2s -count 5 -timeout 30m ./bench/
package bench
