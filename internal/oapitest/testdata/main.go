// This program is copied into a throwaway module by TestGeneratedClient
// (oapitest_test.go), next to package cinchapi that oapi-codegen generates
// from the served OpenAPI document. It uses the generated client as an
// application would and prints what it saw as one JSON object. It is not
// part of the cinch module (testdata is ignored by the go command).

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"example.com/cinchgen/cinchapi"
)

type report struct {
	Health            string   `json:"health"`
	Tenant            string   `json:"tenant"`
	InsertedID        string   `json:"inserted_id"`
	InsertedName      string   `json:"inserted_name"`
	InsertedMany      int      `json:"inserted_many"`
	EmptyInsertStatus int      `json:"empty_insert_status"`
	EmptyInsertCode   string   `json:"empty_insert_code"`
	Columns           []string `json:"columns"`
	Rows              [][]any  `json:"rows"`
	Truncated         bool     `json:"truncated"`
	QueryTypedError   string   `json:"query_typed_error,omitempty"`
}

func main() {
	var r report
	if err := run(&r); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

func value(set func(*cinchapi.SQLValue) error) cinchapi.SQLValue {
	var v cinchapi.SQLValue
	if err := set(&v); err != nil {
		panic(err)
	}
	return v
}

func text(s string) cinchapi.SQLValue {
	return value(func(v *cinchapi.SQLValue) error { return v.FromSQLText(s) })
}

func integer(n int64) cinchapi.SQLValue {
	return value(func(v *cinchapi.SQLValue) error { return v.FromSQLInteger(n) })
}

func realNum(f float64) cinchapi.SQLValue {
	return value(func(v *cinchapi.SQLValue) error { return v.FromSQLReal(f) })
}

func run(r *report) error {
	ctx := context.Background()
	key := os.Getenv("CINCH_KEY")
	auth := cinchapi.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+key)
		return nil
	})
	c, err := cinchapi.NewClientWithResponses(os.Getenv("CINCH_URL"), auth)
	if err != nil {
		return err
	}

	h, err := c.HealthWithResponse(ctx)
	if err != nil || h.JSON200 == nil {
		return fmt.Errorf("health: %v %v", err, h)
	}
	r.Health = h.JSON200.Status

	tr, err := c.CreateTenantWithResponse(ctx, "main", "main", cinchapi.TenantCreateRequest{Name: "generated"})
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	if tr.JSON201 == nil {
		return fmt.Errorf("create tenant: %d %s", tr.StatusCode(), tr.Body)
	}
	r.Tenant = tr.JSON201.Name

	var one cinchapi.RowOrRows
	if err := one.FromRow(cinchapi.Row{"name": text("Alice"), "age": integer(30), "score": realNum(2.5)}); err != nil {
		return err
	}
	ir, err := c.InsertRowsWithResponse(ctx, "main", "main", "generated", "users", one)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	if ir.JSON201 == nil {
		return fmt.Errorf("insert: %d %s", ir.StatusCode(), ir.Body)
	}
	row, err := ir.JSON201.AsRow()
	if err != nil {
		return fmt.Errorf("insert response as a row: %w", err)
	}
	if r.InsertedID, err = row["id"].AsSQLText(); err != nil {
		return err
	}
	if r.InsertedName, err = row["name"].AsSQLText(); err != nil {
		return err
	}

	var many cinchapi.RowOrRows
	if err := many.FromRowList(cinchapi.RowList{{"name": text("Bob"), "age": integer(41)}, {"name": text("Carol"), "age": integer(19)}}); err != nil {
		return err
	}
	mr, err := c.InsertRowsWithResponse(ctx, "main", "main", "generated", "users", many)
	if err != nil || mr.JSON201 == nil {
		return fmt.Errorf("insert many: %v %v", err, mr)
	}
	rows, err := mr.JSON201.AsRowList()
	if err != nil {
		return fmt.Errorf("insert response as rows: %w", err)
	}
	r.InsertedMany = len(rows)

	// A body built without From* is refused, never stored as a row of NULLs.
	er, err := c.InsertRowsWithResponse(ctx, "main", "main", "generated", "users", cinchapi.RowOrRows{})
	if err != nil {
		return fmt.Errorf("empty insert: %w", err)
	}
	r.EmptyInsertStatus = er.StatusCode()
	if er.JSON400 != nil {
		r.EmptyInsertCode = er.JSON400.Error.Code
	}

	params := []cinchapi.SQLValue{integer(20)}
	limit := 10
	req := cinchapi.QueryRequest{Sql: "SELECT name, age, score FROM users WHERE age > ? ORDER BY name", Params: &params, Limit: &limit}
	qr, err := c.QueryWithResponse(ctx, "main", "main", "generated", req)
	if err != nil {
		r.QueryTypedError = err.Error()
		return nil
	}
	if qr.JSON200 == nil {
		return fmt.Errorf("query: %d %s", qr.StatusCode(), qr.Body)
	}
	r.Columns, r.Truncated = qr.JSON200.Columns, qr.JSON200.Truncated
	for _, row := range qr.JSON200.Rows {
		name, err := row[0].AsSQLText()
		if err != nil {
			return err
		}
		age, err := row[1].AsSQLInteger()
		if err != nil {
			return err
		}
		var score any
		if b, _ := row[2].MarshalJSON(); string(b) != "null" {
			if score, err = row[2].AsSQLReal(); err != nil {
				return err
			}
		}
		r.Rows = append(r.Rows, []any{name, age, score})
	}
	return nil
}
