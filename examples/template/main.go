// Command template is the Go version of "Best Practices: 2. Template
// Pattern" in the multi-tenancy concept document: keep a template tenant
// with seed data, create new tenants as copies of it, then customize them.
//
// CLI equivalent: cinch tenant create NAME --from _template_default
//
//	go run ./examples/template [DIR]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func main() {
	dir, cleanup, err := projectDir()
	if err == nil {
		err = run(context.Background(), dir, os.Stdout)
		cleanup()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// projectDir returns os.Args[1] or a fresh temporary folder (removed by cleanup).
func projectDir() (string, func(), error) {
	if len(os.Args) > 1 {
		return os.Args[1], func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cinch-example-*")
	return dir, func() { os.RemoveAll(dir) }, err
}

// CreateTenantFromTemplate creates tenantName as a consistent copy of
// _template_<template> (schema and data), then records where it came from.
// created_at is not set by hand: every cinch table stamps it itself.
func CreateTenantFromTemplate(ctx context.Context, db cinch.DB, tenantName, template string) (cinch.Record, error) {
	if template == "" {
		template = "default"
	}
	// Copy template tenant.
	if _, err := db.Tenants().Create(ctx, tenantName, cinch.TenantCreateOptions{From: "_template_" + template}); err != nil {
		return nil, err
	}
	// Customize.
	tenantDB := db.SwitchTenant(tenantName)
	return tenantDB.Insert(ctx, "settings", cinch.Record{
		"tenant_name":  tenantName,
		"created_from": template,
	})
}

func run(ctx context.Context, dir string, out io.Writer) error {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	if err := setupTemplate(ctx, db); err != nil {
		return err
	}

	for _, name := range []string{"customer_12345", "customer_67890"} {
		settings, err := CreateTenantFromTemplate(ctx, db, name, "default")
		if err != nil {
			return err
		}
		cats, err := categoryNames(ctx, db.SwitchTenant(name))
		if err != nil {
			return err
		}
		createdAt, _ := settings["created_at"].(string)
		fmt.Fprintf(out, "%s: created_from=%s, created_at set: %t, categories: %s\n",
			name, settings["created_from"], createdAt != "", strings.Join(cats, ", "))
	}
	// Customizing a copy leaves the template alone.
	res, err := db.SwitchTenant("_template_default").Query(ctx, "SELECT COUNT(*) AS count FROM settings")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "_template_default settings rows: %d\n", res.Value(0, "count"))
	_, err = CreateTenantFromTemplate(ctx, db, "customer_x", "enterprise")
	fmt.Fprintf(out, "from missing template: %s\n", cinch.Code(err))
	return nil
}

// setupTemplate creates the tables and the _template_default tenant with
// the default categories every new customer starts with.
func setupTemplate(ctx context.Context, db cinch.DB) error {
	name, _ := cinch.ParseColumnSpec("name:TEXT:not_null:unique")
	tenantName, _ := cinch.ParseColumnSpec("tenant_name:TEXT:not_null")
	createdFrom, _ := cinch.ParseColumnSpec("created_from:TEXT")
	if _, err := db.Tables().Create(ctx, "categories", []cinch.Column{name}); err != nil {
		return err
	}
	if _, err := db.Tables().Create(ctx, "settings", []cinch.Column{tenantName, createdFrom}); err != nil {
		return err
	}
	if _, err := db.Tenants().Create(ctx, "_template_default", cinch.TenantCreateOptions{}); err != nil {
		return err
	}
	_, err := db.SwitchTenant("_template_default").InsertMany(ctx, "categories", []cinch.Record{
		{"name": "General"}, {"name": "Billing"}, {"name": "Support"},
	})
	return err
}

func categoryNames(ctx context.Context, db cinch.DB) ([]string, error) {
	res, err := db.Query(ctx, "SELECT name FROM categories ORDER BY name")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range res.Rows {
		names = append(names, r[0].(string))
	}
	return names, nil
}
