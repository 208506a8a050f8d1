package codegen_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/codegen"
	"github.com/cinchdb/cinch/local"
)

// Load reads the branch's tables and views from any cinch.DB; Generate
// writes the models. Here, the Go struct of a users table.
func ExampleGenerate() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "codegen-example-*")
	defer os.RemoveAll(dir)
	local.Init(ctx, dir, "")
	p, _ := local.Open(ctx, local.Config{Dir: dir})
	defer p.Close(ctx)
	db, _ := p.Connect(cinch.Target{})
	var cols []cinch.Column
	for _, spec := range []string{"name:TEXT:not_null", "email:TEXT:unique", "active:BOOLEAN:default=true"} {
		c, _ := cinch.ParseColumnSpec(spec)
		cols = append(cols, c)
	}
	db.Tables().Create(ctx, "users", cols)

	s, err := codegen.Load(ctx, db)
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := codegen.Generate(codegen.Go, s, codegen.Options{Package: "models"})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := strings.Index(string(src), "// Users")
	end := strings.Index(string(src), "}\n") + 2
	fmt.Print(string(src[start:end]))
	// Output:
	// // Users is a row of table "users".
	// type Users struct {
	// 	ID        string  `db:"id" json:"id"`                 // automatic primary key (TEXT, a UUID unless given)
	// 	CreatedAt Time    `db:"created_at" json:"created_at"` // automatic: set on insert (RFC 3339 text, UTC)
	// 	UpdatedAt Time    `db:"updated_at" json:"updated_at"` // automatic: moves on every update (RFC 3339 text, UTC)
	// 	Name      string  `db:"name" json:"name"`             // TEXT NOT NULL
	// 	Email     *string `db:"email" json:"email"`           // TEXT UNIQUE
	// 	Active    *bool   `db:"active" json:"active"`         // BOOLEAN DEFAULT true
	// }
}
