package cluster

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cinchdb/cinch/sqlite"
)

func page(no uint32, fill byte) sqlite.Page {
	return sqlite.Page{No: no, Data: bytes.Repeat([]byte{fill}, 512)}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []Record{
		{Kind: KindTakeover, Node: "n2"},
		{Kind: KindCommit, Node: "node-1", Commit: sqlite.Commit{PageSize: 512, DBPages: 3, Pages: []sqlite.Page{page(1, 1), page(3, 9)}}},
		{Kind: KindCommit, Node: "", Commit: sqlite.Commit{PageSize: 512, DBPages: 0}},
	} {
		got, err := DecodeRecord(EncodeRecord(r))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(r, got, cmp.Comparer(func(a, b []sqlite.Page) bool {
			if len(a) != len(b) {
				return false
			}
			for i := range a {
				if a[i].No != b[i].No || !bytes.Equal(a[i].Data, b[i].Data) {
					return false
				}
			}
			return true
		})); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	}
}

func TestDecodeRecordRefusesCorruption(t *testing.T) {
	good := EncodeRecord(Record{Kind: KindCommit, Node: "n", Commit: sqlite.Commit{PageSize: 512, DBPages: 1, Pages: []sqlite.Page{page(1, 7)}}})
	outOfRange := EncodeRecord(Record{Kind: KindCommit, Commit: sqlite.Commit{PageSize: 512, DBPages: 1, Pages: []sqlite.Page{page(2, 7)}}})
	badSize := EncodeRecord(Record{Kind: KindCommit, Commit: sqlite.Commit{PageSize: 500, DBPages: 1}})
	for name, b := range map[string][]byte{
		"empty":          nil,
		"magic":          append([]byte("XX1"), good[3:]...),
		"kind":           append(append([]byte{}, good[:3]...), append([]byte{9}, good[4:]...)...),
		"truncated body": good[:len(good)-3],
		"page past size": outOfRange,
		"odd page size":  badSize,
		"short name":     good[:6],
	} {
		if _, err := DecodeRecord(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: %v, want a corrupt-record error", name, err)
		}
	}
}

// FuzzDecodeRecord: no input panics, and what decodes re-encodes to a
// record that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(EncodeRecord(Record{Kind: KindTakeover, Node: "a"}))
	f.Add(EncodeRecord(Record{Kind: KindCommit, Node: "b", Commit: sqlite.Commit{PageSize: 512, DBPages: 2, Pages: []sqlite.Page{page(2, 3)}}}))
	f.Add([]byte("CR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		again, err := DecodeRecord(EncodeRecord(r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if again.Kind != r.Kind || again.Node != r.Node || len(again.Commit.Pages) != len(r.Commit.Pages) {
			t.Fatal("re-encoded record decodes differently")
		}
	})
}
