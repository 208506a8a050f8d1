package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestRunJSONShape runs two cases at the smallest scale and checks the
// shape of the -json output (fields and types), not the numbers.
func TestRunJSONShape(t *testing.T) {
	results, err := run(context.Background(), tinyScale, []string{"point-read", "tenant-create/lazy", "tenant-create/eager-batch", "add-column"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 6 { // the add-column cases: commit, converge, wait
		t.Fatalf("%d results, want 6", len(results))
	}
	data, err := json.Marshal(results)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(data, &objs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"case": "string", "cinch_ns": "number", "baseline_ns": "number", "ratio": "number", "target": "string", "meets": "bool"}
	for _, o := range objs {
		for field, typ := range want {
			v, ok := o[field]
			if !ok {
				t.Fatalf("%v: no field %q", o, field)
			}
			var got string
			switch v.(type) {
			case string:
				got = "string"
			case float64:
				got = "number"
			case bool:
				got = "bool"
			}
			if got != typ {
				t.Errorf("%s.%s = %v (%T), want a %s", o["case"], field, v, v, typ)
			}
		}
		if o["cinch_ns"].(float64) <= 0 {
			t.Errorf("%s: cinch_ns %v", o["case"], o["cinch_ns"])
		}
	}
	if objs[0]["case"] != "point-read" || objs[0]["baseline_ns"].(float64) <= 0 {
		t.Errorf("point-read has no baseline: %v", objs[0])
	}
	var buf bytes.Buffer
	printTable(&buf, tinyScale, results)
	if !strings.Contains(buf.String(), "point-read") {
		t.Errorf("table:\n%s", buf.String())
	}
}
