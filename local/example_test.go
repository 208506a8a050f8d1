package local_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// A project is a folder holding .cinchdb: Init makes one (database main,
// branch main, tenant main), Open opens it, Close closes every tenant file
// it opened.
func ExampleOpen() {
	ctx := context.Background()
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

	dbs, err := p.Databases(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dbs {
		fmt.Println("database", d.Name)
	}

	// A folder without a project is ErrNoProject.
	_, err = local.Open(ctx, local.Config{Dir: filepath.Join(dir, "elsewhere")})
	fmt.Println(errors.Is(err, cinch.ErrNoProject))
	// Output:
	// database main
	// true
}

// Connect returns a handle on one tenant (empty names mean main). It does
// no I/O: a handle is cheap, and an unknown tenant fails on first use. Each
// tenant is its own SQLite file, so a tenant sees only its own rows.
func ExampleProject_Connect() {
	ctx := context.Background()
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

	db, err := p.Connect(cinch.Target{}) // database main, branch main, tenant main
	if err != nil {
		log.Fatal(err)
	}
	name, err := cinch.ParseColumnSpec("name:TEXT")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "acme_corp", cinch.TenantCreateOptions{}); err != nil {
		log.Fatal(err)
	}

	acme, err := p.Connect(cinch.Target{Tenant: "acme_corp"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := acme.Insert(ctx, "users", cinch.Record{"name": "Alice"}); err != nil {
		log.Fatal(err)
	}
	for _, tdb := range []*local.DB{acme, db} {
		res, err := tdb.Query(ctx, "SELECT count(*) AS n FROM users")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d users\n", tdb.Target().Tenant, res.Value(0, "n"))
	}

	// Names are checked at once; tenants when first used.
	_, err = p.Connect(cinch.Target{Tenant: "Acme Corp"})
	fmt.Println(errors.Is(err, cinch.ErrInvalidName))
	ghost, err := p.Connect(cinch.Target{Tenant: "ghost"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = ghost.Query(ctx, "SELECT 1")
	fmt.Println(errors.Is(err, cinch.ErrTenantNotFound))
	// Output:
	// acme_corp: 1 users
	// main: 0 users
	// true
	// true
}

// Query runs one SQL statement on the tenant. A read returns its column
// names in order and each row as a []any in that order, so two columns of
// the same name both keep their values; Value and Records read by name.
func ExampleDB_Query() {
	ctx := context.Background()
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
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		log.Fatal(err)
	}
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	age, _ := cinch.ParseColumnSpec("age:INTEGER")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name, age}); err != nil {
		log.Fatal(err)
	}
	if _, err := db.InsertMany(ctx, "users", []cinch.Record{
		{"name": "Alice", "age": 36}, {"name": "Bob", "age": 41}, {"name": "Carol", "age": 7},
	}); err != nil {
		log.Fatal(err)
	}

	res, err := db.Query(ctx, "SELECT name, age FROM users WHERE age > ? ORDER BY name", 18)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Columns)
	for _, row := range res.Rows { // values in res.Columns order
		fmt.Println(row[0], row[1])
	}
	fmt.Println(res.Value(1, "name"))
	fmt.Println(res.Records())

	// A write returns the rows it changed.
	res, err = db.Query(ctx, "UPDATE users SET age = age + 1 WHERE age < ?", 40)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.RowsAffected, "rows affected")

	// Schema changes go through the schema services, never through Query.
	_, err = db.Query(ctx, "DROP TABLE users")
	fmt.Println(errors.Is(err, cinch.ErrQueryRejected))
	// Output:
	// [name age]
	// Alice 36
	// Bob 41
	// Bob
	// [map[age:36 name:Alice] map[age:41 name:Bob]]
	// 2 rows affected
	// true
}

// Insert adds one row and returns it as stored: with its id (a UUID v7),
// created_at, updated_at and the columns' defaults filled in.
func ExampleDB_Insert() {
	ctx := context.Background()
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
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		log.Fatal(err)
	}
	name, _ := cinch.ParseColumnSpec("name:TEXT:not_null")
	active, _ := cinch.ParseColumnSpec("active:BOOLEAN:default=true")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name, active}); err != nil {
		log.Fatal(err)
	}

	rec, err := db.Insert(ctx, "users", cinch.Record{"name": "Alice"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(slices.Sorted(maps.Keys(rec)))
	fmt.Println(rec["name"], rec["active"])

	// A refused row is an error of cinch's vocabulary, as from every backend.
	_, err = db.Insert(ctx, "users", cinch.Record{"active": false})
	fmt.Println(errors.Is(err, cinch.ErrConstraint))
	_, err = db.Insert(ctx, "users", cinch.Record{"name": "Bob", "email": "bob@example.com"})
	fmt.Println(errors.Is(err, cinch.ErrColumnNotFound))
	// Output:
	// [active created_at id name updated_at]
	// Alice true
	// true
	// true
}

// Columns().Add is a tracked schema change: recorded in the branch's
// history and rolled out to every tenant of the branch, each in one
// transaction, including tenants no process has open.
func ExampleDB_Columns() {
	ctx := context.Background()
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
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		log.Fatal(err)
	}
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "acme_corp", cinch.TenantCreateOptions{}); err != nil {
		log.Fatal(err)
	}

	phone, err := cinch.ParseColumnSpec("phone:TEXT")
	if err != nil {
		log.Fatal(err)
	}
	ch, err := db.Columns().Add(ctx, "users", phone)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ch.Type, ch.Entity)
	for _, stmt := range ch.SQL {
		fmt.Println(stmt)
	}

	// Every tenant has the column now.
	res, err := db.WithTenant("acme_corp").Query(ctx, "SELECT * FROM users")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Columns)
	// Output:
	// ADD_COLUMN users
	// ALTER TABLE "users" ADD COLUMN "phone" TEXT
	// [id created_at updated_at name phone]
}
