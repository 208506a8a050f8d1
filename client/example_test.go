package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// New connects to a cinch server with an API key; Connect returns a
// cinch.DB that works like a local one, errors included. Here the server
// is `cinch serve`'s handler on a loopback port, over a project in a
// temporary folder.
func ExampleNew() {
	ctx := context.Background()

	// The server side: a project, a key and the HTTP handler.
	dir, err := os.MkdirTemp("", "cinch-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := local.Init(ctx, dir, ""); err != nil {
		log.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(ctx)
	_, key, err := apikey.ForProject(p).Create(ctx, apikey.Spec{}) // a key for the whole project
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(server.New(p, apikey.ForProject(p), server.Config{}).Handler())
	defer ts.Close()

	// The client side.
	c, err := client.New(ts.URL, key)
	if err != nil {
		log.Fatal(err)
	}
	db := c.Connect(cinch.Target{}) // database main, branch main, tenant main
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Insert(ctx, "users", cinch.Record{"name": "Alice"}); err != nil {
		log.Fatal(err)
	}
	res, err := db.Query(ctx, "SELECT name FROM users")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Columns, res.Rows)

	// The engine's errors come back as the same sentinels.
	_, err = db.SwitchTenant("ghost").Query(ctx, "SELECT 1")
	fmt.Println(errors.Is(err, cinch.ErrTenantNotFound))
	bad, err := client.New(ts.URL, "cinch_wrong_key")
	if err != nil {
		log.Fatal(err)
	}
	_, err = bad.Connect(cinch.Target{}).Query(ctx, "SELECT 1")
	fmt.Println(errors.Is(err, cinch.ErrUnauthorized))
	// Output:
	// [name] [[Alice]]
	// true
	// true
}
