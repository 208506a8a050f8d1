package cli

import (
	"io"

	"github.com/spf13/cobra"
)

// Internal helpers exported to the external test package cli_test.
var (
	ParseParam    = parseParam
	DecodeRecords = decodeRecords
	WriteResult   = writeResult
	FormatValue   = formatValue
	ErrorMessage  = errorMessage
)

// RootCommand returns the command tree, for checks of its help texts.
func RootCommand() *cobra.Command {
	return (&app{stdout: io.Discard, stderr: io.Discard, env: func(string) string { return "" }}).rootCommand()
}

// HasErrorCode reports whether the CLI's error table covers code.
func HasErrorCode(code string) bool {
	_, ok := errorTable[code]
	return ok
}
