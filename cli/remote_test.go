package cli_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/cli"
)

// An error from a server arrives with its hint inside the message and no
// Entity (package client keeps the server's message whole); the CLI reads
// both back, so it reports the error exactly as it reports the local one.
func TestErrorMessage_FromServer(t *testing.T) {
	for hint := range cli.CommandHints {
		for _, entity := range []string{`tenant "acme"`, `column "users.phone"`, `row "users/0190"`} {
			local := &cinch.Error{Err: cinch.ErrTenantArchived, Entity: entity, Message: entity + " is in the way", Hint: hint}
			remote := &cinch.Error{Op: "GET /v1/x", Err: cinch.ErrTenantArchived, Message: local.Error()}
			if got, want := cli.ErrorMessage(remote), cli.ErrorMessage(local); got != want {
				t.Errorf("hint %q on %s:\nfrom a server %q\nlocally       %q", hint, entity, got, want)
			}
		}
	}
	// A code's fallback hint takes the name from the message too.
	local := cinch.NotFound(cinch.ErrColumnNotFound, "column", "users.phone", "")
	remote := &cinch.Error{Err: cinch.ErrColumnNotFound, Message: local.Error()}
	if got, want := cli.ErrorMessage(remote), cli.ErrorMessage(local); got != want {
		t.Errorf("fallback hint: from a server %q, locally %q", got, want)
	}
}

// A server that does not answer is named, with what to check.
func TestErrorMessage_Unreachable(t *testing.T) {
	urlErr := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/v1/health", Err: errors.New("connection refused")}
	err := fmt.Errorf("cinch client: GET /v1/health: %w", urlErr)
	got := cli.ErrorMessage(err)
	want := "cannot reach the cinch server at http://127.0.0.1:1: connection refused (check --server or CINCH_SERVER, and that cinch serve runs there)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
