package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/server"
)

// TestErrors_RoundTrip runs the error table both ways: every code of
// cinch.Codes, written by the server with its status, comes back from the
// client as the same sentinel with the server's message.
func TestErrors_RoundTrip(t *testing.T) {
	var current error
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server.WriteError(w, current)
	}))
	defer ts.Close()
	c, err := client.New(ts.URL, "k")
	if err != nil {
		t.Fatal(err)
	}
	db := c.Connect(cinch.Target{})
	for _, code := range cinch.Codes {
		current = &cinch.Error{Err: code.Err, Message: "message for " + code.Code}
		_, err := db.Query(context.Background(), "SELECT 1")
		if !errors.Is(err, code.Err) {
			t.Errorf("%s: got %v, want errors.Is %v", code.Code, err, code.Err)
			continue
		}
		var ce *cinch.Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: %T is not *cinch.Error", code.Code, err)
		}
		want := "message for " + code.Code
		if code.Code == "internal" {
			want = "internal error"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: message %q lacks %q", code.Code, err.Error(), want)
		}
		rec := httptest.NewRecorder()
		server.WriteError(rec, current)
		if got, wantStatus := rec.Code, server.Status(code.Code); got != wantStatus {
			t.Errorf("%s: status %d, want %d", code.Code, got, wantStatus)
		}
	}
}

// A response without a JSON error body (a proxy) still maps by status.
func TestErrors_NoBody(t *testing.T) {
	for status, want := range map[int]error{401: cinch.ErrUnauthorized, 403: cinch.ErrForbidden, 413: cinch.ErrTooLarge,
		429: cinch.ErrRateLimited, 502: cinch.ErrInternal} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "nope", status)
		}))
		c, _ := client.New(ts.URL, "")
		err := c.Health(context.Background())
		ts.Close()
		if !errors.Is(err, want) {
			t.Errorf("status %d: %v, want %v", status, err, want)
		}
	}
}

func TestNew_BadURL(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := client.New(u, "k"); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("New(%q) = %v", u, err)
		}
	}
}

func TestDB_Handles(t *testing.T) {
	c, _ := client.New("http://127.0.0.1:1", "k")
	var db cinch.DB = c.Connect(cinch.Target{Tenant: "acme"})
	if db.IsLocal() {
		t.Error("remote handle says local")
	}
	if got := db.Target(); got != (cinch.Target{Database: "main", Branch: "main", Tenant: "acme"}) {
		t.Errorf("target = %+v", got)
	}
	// Bad names fail before any request.
	if _, err := db.SwitchTenant("../x").Query(context.Background(), "SELECT 1"); !errors.Is(err, cinch.ErrInvalidName) {
		t.Errorf("bad tenant: %v", err)
	}
	if _, err := db.Insert(context.Background(), "t", cinch.Record{"b": []byte("x")}); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("blob: %v", err)
	}
}
