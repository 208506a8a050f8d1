package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

// Internal helpers exported to the external test package cli_test.
var (
	ParseParam    = parseParam
	DecodeRecords = decodeRecords
	WriteResult   = writeResult
	FormatValue   = formatValue
	JSONKeys      = jsonKeys
	ErrorMessage  = errorMessage
	ParseSize     = parseSize
	ParseAge      = parseAge
	ParseNames    = parseNames
	CommandHints  = commandHints
)

// Progress returns the progress callback and finish function of a run in
// table format whose stderr is w, forced on as if w were a terminal.
func Progress(w io.Writer) (func(done, total int), func()) {
	a := &app{stdout: io.Discard, stderr: w, format: FormatTable, forceProgress: true, env: func(string) string { return "" }}
	cb, finish := a.progress(context.Background(), "test")
	return cb, finish
}

// RootCommand returns the command tree, for checks of its help texts.
func RootCommand() *cobra.Command {
	return (&app{stdout: io.Discard, stderr: io.Discard, env: func(string) string { return "" }}).rootCommand()
}

// HasErrorCode reports whether the CLI's error table covers code.
func HasErrorCode(code string) bool {
	_, ok := errorTable[code]
	return ok
}

// ArgCompletions is the table of positional-argument completions.
var ArgCompletions = argCompletions

// The KV command's value parser and the sweep loop of cinch serve.
var (
	ParseKVValue  = parseKVValue
	RunKVSweeps   = runKVSweeps
	StartKVSweeps = startKVSweeps
)
