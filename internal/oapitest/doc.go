// Package oapitest proves that the OpenAPI document cinch serve publishes
// works for a code generator, not just for a linter: its test fetches the
// document from a real server, generates a Go client with oapi-codegen
// (pinned, default options) in a module of its own, compiles it, and runs a
// program that creates a tenant, inserts rows and queries them through the
// generated client against that server.
//
// The generator and its runtime dependencies stay out of cinch's go.mod:
// the test builds a throwaway module under t.TempDir and fetches them
// through the Go module proxy (or the module cache) the first time.
package oapitest
