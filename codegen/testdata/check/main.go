// Command check decodes the rows the HTTP API returned (records.json, one
// query result per table or view) into the generated Go models and prints
// what it read; codegen's TestCompile runs it in a throwaway module, beside
// the generated packages.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"codegencheck/live"
)

type result struct {
	Columns []string            `json:"columns"`
	Rows    [][]json.RawMessage `json:"rows"`
}

// records turns a result's rows into JSON objects, values kept as sent.
func records(r result) [][]byte {
	var out [][]byte
	for _, row := range r.Rows {
		var b bytes.Buffer
		b.WriteString("{")
		for i, c := range r.Columns {
			if i > 0 {
				b.WriteString(",")
			}
			k, _ := json.Marshal(c)
			b.Write(k)
			b.WriteString(":")
			b.Write(row[i])
		}
		b.WriteString("}")
		out = append(out, b.Bytes())
	}
	return out
}

func decode[T any](data []byte) T {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		fmt.Fprintf(os.Stderr, "decode %s into %T: %v\n", data, v, err)
		os.Exit(1)
	}
	return v
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var results map[string]result
	if err := json.Unmarshal(data, &results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, rec := range records(results["every_type"]) {
		e := decode[live.EveryType](rec)
		if e.CreatedAt.IsZero() || !e.CreatedAt.Equal(e.UpdatedAt.Time) {
			fmt.Fprintf(os.Stderr, "every_type %s: created_at %v, updated_at %v\n", e.TextReq, e.CreatedAt, e.UpdatedAt)
			os.Exit(1)
		}
		fmt.Printf("every_type %s: text_opt %s int_opt %s real_req %v num_req %v bool_req %t bool_opt %s blob_req %s blob_opt %s api_url %s\n",
			e.TextReq, str(e.TextOpt), str(e.IntOpt), e.RealReq, e.NumReq, e.BoolReq, str(e.BoolOpt), blob(e.BlobReq), blob(e.BlobOpt), str(e.APIURL))
	}
	for _, rec := range records(results["order_items"]) {
		o := decode[live.OrderItems](rec)
		fmt.Printf("order_items: qty %d every_type_id set %t\n", o.Qty, o.EveryTypeID != nil)
	}
	for _, rec := range records(results["every_view"]) {
		v := decode[live.EveryView](rec)
		fmt.Printf("every_view %s: created %t int_opt %v bool_req %v doubled %v num_real %v item_count %v\n",
			str(v.TextReq), v.CreatedAt != nil && !v.CreatedAt.IsZero(), str(v.IntOpt), str(v.BoolReq), v.Doubled, str(v.NumReal), v.ItemCount)
	}
	var e live.EveryType
	for _, bad := range []string{`{"created_at": "yesterday"}`, `{"bool_req": 1}`, `{"int_req": 1.5}`, `{"blob_req": "not base64!"}`} {
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			fmt.Fprintf(os.Stderr, "%s decoded without error\n", bad)
			os.Exit(1)
		}
	}
	fmt.Println("errors ok")
}

// blob shows bytes as a list of numbers, nil as nil.
func blob(b []byte) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(b)
}

// str shows what a pointer points to, or nil.
func str[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
