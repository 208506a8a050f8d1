package main

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// userRow is a users row as sqlx scans it (db tags).
type userRow struct {
	ID        string         `db:"id"`
	CreatedAt string         `db:"created_at"`
	UpdatedAt string         `db:"updated_at"`
	Name      string         `db:"name"`
	Email     sql.NullString `db:"email"`
}

// TestSqlx runs the real sqlx over SQLDB: named inserts, struct scans,
// Beginx with a read-only transaction (which once left the pooled
// connection inside an open transaction), and the guard's refusals.
func TestSqlx(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	admin, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, admin); err != nil {
		t.Fatal(err)
	}
	acme := admin.WithTenant("acme_corp")
	sqlDB, err := acme.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	sqlDB.SetMaxOpenConns(1) // every statement below reuses the one connection
	db := sqlx.NewDb(sqlDB, "sqlite3")

	if _, err := db.NamedExecContext(ctx, "INSERT INTO users (name, email) VALUES (:name, :email)",
		[]userRow{{Name: "Ann", Email: sql.NullString{String: "ann@acme", Valid: true}}, {Name: "Ben"}}); err != nil {
		t.Fatal(err)
	}

	// A read-only transaction: reads work, writes are refused, and the
	// connection is writable again afterwards.
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only BeginTxx: %v", err)
	}
	var users []userRow
	if err := tx.SelectContext(ctx, &users, "SELECT id, created_at, updated_at, name, email FROM users ORDER BY name"); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "Ann" || !users[0].Email.Valid || users[1].Email.Valid || users[0].ID == "" || users[0].CreatedAt == "" {
		t.Errorf("users = %+v", users)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM users"); err == nil {
		t.Error("a write inside a read-only transaction succeeded")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE users SET name = 'Benjamin' WHERE name = 'Ben'"); err != nil {
		t.Fatalf("write after the read-only transaction: %v", err)
	}
	var u userRow
	if err := db.GetContext(ctx, &u, "SELECT * FROM users WHERE name = ?", "Benjamin"); err != nil {
		t.Fatal(err)
	}
	if u.UpdatedAt < u.CreatedAt {
		t.Errorf("updated_at %s before created_at %s", u.UpdatedAt, u.CreatedAt)
	}
	// The write committed: cinch's own API sees it.
	res, err := acme.Query(ctx, "SELECT count(*) FROM users WHERE name = 'Benjamin'")
	if err != nil || res.Rows[0][0] != int64(1) {
		t.Errorf("cinch sees %v, %v; want the committed update", res, err)
	}
	// The guard holds through sqlx, with cinch's reason.
	_, err = db.ExecContext(ctx, "DROP TABLE users")
	if !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("DROP TABLE through sqlx: %v, want ErrQueryRejected", err)
	}
}
