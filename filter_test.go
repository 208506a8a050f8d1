package cinch_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cinchdb/cinch"
)

func TestParseFilter(t *testing.T) {
	f := func(col string, op cinch.Op, vals ...any) cinch.Filter {
		return cinch.Filter{Column: col, Op: op, Values: vals}
	}
	cases := []struct {
		in   string
		want cinch.Filter
	}{
		{"name=Alice", f("name", cinch.OpEq, "Alice")},
		{"  name = Alice  ", f("name", cinch.OpEq, "Alice")},
		{"name==Alice", f("name", cinch.OpEq, "Alice")},
		{"name!=Bob", f("name", cinch.OpNe, "Bob")},
		{"name<>Bob", f("name", cinch.OpNe, "Bob")},
		{"age>30", f("age", cinch.OpGt, "30")},
		{"age>=30", f("age", cinch.OpGe, "30")},
		{"age<30", f("age", cinch.OpLt, "30")},
		{"age <= 30", f("age", cinch.OpLe, "30")},
		{"name=Ada Lovelace", f("name", cinch.OpEq, "Ada Lovelace")},             // the rest of the text
		{"url=https://x.io/?a=b&c", f("url", cinch.OpEq, "https://x.io/?a=b&c")}, // = inside the value
		{"name='  padded '", f("name", cinch.OpEq, "  padded ")},
		{`name="say ""hi"""`, f("name", cinch.OpEq, `say "hi"`)},
		{"name='it''s'", f("name", cinch.OpEq, "it's")},
		{"name=''", f("name", cinch.OpEq, "")},
		{"name=O'Brien", f("name", cinch.OpEq, "O'Brien")}, // a quote inside a bare value
		{"name= =x", f("name", cinch.OpEq, "=x")},
		{"name like A%", f("name", cinch.OpLike, "A%")},
		{"name LIKE '%a b%'", f("name", cinch.OpLike, "%a b%")},
		{"id in (a,b)", f("id", cinch.OpIn, "a", "b")},
		{"id IN ( a , 'b, c' , \"d)\" )", f("id", cinch.OpIn, "a", "b, c", "d)")},
		{"id in(x y)", f("id", cinch.OpIn, "x y")},
		{"phone is null", f("phone", cinch.OpIsNull)},
		{"phone IS  NULL ", f("phone", cinch.OpIsNull)},
		{"phone is not null", f("phone", cinch.OpNotNull)},
		{"created_at<2024-01-01", f("created_at", cinch.OpLt, "2024-01-01")},
		{"id=0190a1b2", f("id", cinch.OpEq, "0190a1b2")},
	}
	for _, tc := range cases {
		got, err := cinch.ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseFilter(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseFilter_Invalid(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", cinch.ErrInvalidInput},
		{"name", cinch.ErrInvalidInput},
		{"=Alice", cinch.ErrInvalidInput},
		{"name=", cinch.ErrInvalidInput},
		{"name=   ", cinch.ErrInvalidInput},
		{"name='open", cinch.ErrInvalidInput},
		{"name='a' b", cinch.ErrInvalidInput},
		{"name ~ x", cinch.ErrInvalidInput},
		{"name !x", cinch.ErrInvalidInput},
		{"name like", cinch.ErrInvalidInput},
		{"name likeA%", cinch.ErrInvalidInput},
		{"name like%", cinch.ErrInvalidInput},
		{"id in a,b", cinch.ErrInvalidInput},
		{"id in ()", cinch.ErrInvalidInput},
		{"id in (a,,b)", cinch.ErrInvalidInput},
		{"id in (a, b", cinch.ErrInvalidInput},
		{"id in ('a' 'b')", cinch.ErrInvalidInput},
		{"id in (a) x", cinch.ErrInvalidInput},
		{"phone is", cinch.ErrInvalidInput},
		{"phone isnull", cinch.ErrInvalidInput},
		{"phone is nothing", cinch.ErrInvalidInput},
		{"phone is not", cinch.ErrInvalidInput},
		{"phone is null x", cinch.ErrInvalidInput},
		// Names are checked (SPEC §3): nothing but a valid identifier reaches the SQL.
		{"Name=Alice", cinch.ErrInvalidName},
		{`"name"=x`, cinch.ErrInvalidName},
		{"name;drop=x", cinch.ErrInvalidName},
		{"users.name=x", cinch.ErrInvalidName},
		{"sqlite_master=x", cinch.ErrInvalidName},
		{"na-me=x", cinch.ErrInvalidName},
	}
	for _, tc := range cases {
		_, err := cinch.ParseFilter(tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("ParseFilter(%q) = %v, want %v", tc.in, err, tc.want)
		}
		var ce *cinch.Error
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("ParseFilter(%q): %T is not a *cinch.Error", tc.in, err)
		}
	}
	many := "id in (" + strings.Repeat("x,", cinch.MaxInValues) + "x)"
	if _, err := cinch.ParseFilter(many); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("in with %d values: %v", cinch.MaxInValues+1, err)
	}
}

func TestFilter_MarshalText(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.FixedZone("X", 3600))
	cases := []struct {
		f    cinch.Filter
		want string
	}{
		{cinch.Where("name", "=", "Alice"), "name=Alice"},
		{cinch.Where("age", ">", 30), "age>30"},
		{cinch.Where("age", "<=", int64(-2)), "age<=-2"},
		{cinch.Where("score", ">=", 1.5), "score>=1.5"},
		{cinch.Where("score", "<", math.Inf(1)), "score<9e999"},
		{cinch.Where("score", "<", float32(0.25)), "score<0.25"},
		{cinch.Where("n", "=", json.Number("12")), "n=12"},
		{cinch.Where("active", "!=", true), "active!=true"},
		{cinch.Where("created_at", "<", when), "created_at<2024-01-02T02:04:05.006Z"},
		{cinch.Where("name", "=", ""), "name=''"},
		{cinch.Where("name", "=", " x"), "name=' x'"},
		{cinch.Where("name", "=", "it's"), "name=it's"},
		{cinch.Where("name", "=", "'quoted'"), "name='''quoted'''"},
		{cinch.Where("name", ">", "=x"), "name>'=x'"},
		{cinch.Where("name", "LIKE", "A%"), "name like A%"},
		{cinch.Where("id", "in", "a", "b, c", 3), "id in (a, 'b, c', 3)"},
		{cinch.Where("phone", "is null"), "phone is null"},
		{cinch.Where("phone", "IS NOT NULL"), "phone is not null"},
	}
	for _, tc := range cases {
		got, err := tc.f.MarshalText()
		if err != nil {
			t.Errorf("%#v.MarshalText: %v", tc.f, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%#v.MarshalText = %q, want %q", tc.f, got, tc.want)
		}
		if tc.f.String() != tc.want {
			t.Errorf("String() = %q, want %q", tc.f.String(), tc.want)
		}
		var back cinch.Filter
		if err := back.UnmarshalText(got); err != nil {
			t.Errorf("UnmarshalText(%q): %v", got, err)
		}
	}
	for _, f := range []cinch.Filter{cinch.AllRows(), cinch.Where("data", "=", []byte{1}), cinch.Where("x", "=", nil)} {
		if _, err := f.MarshalText(); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("%v.MarshalText: %v, want ErrInvalidInput", f, err)
		}
	}
}

func TestFilter_Validate(t *testing.T) {
	cases := []struct {
		f    cinch.Filter
		want error
	}{
		{cinch.Where("age", ">", 30), nil},
		{cinch.Where("id", "in", "a"), nil},
		{cinch.Where("data", "=", []byte{1}), nil},
		{cinch.Where("created_at", ">", time.Now()), nil},
		{cinch.Where("n", "=", json.Number("9e999")), nil},
		{cinch.AllRows(), nil},
		{cinch.Filter{Column: "x", Op: cinch.OpAll}, cinch.ErrInvalidInput},
		{cinch.Where("age", ">"), cinch.ErrInvalidInput},
		{cinch.Where("age", ">", 1, 2), cinch.ErrInvalidInput},
		{cinch.Where("age", "is null", 1), cinch.ErrInvalidInput},
		{cinch.Where("id", "in"), cinch.ErrInvalidInput},
		{cinch.Where("age", "~", 1), cinch.ErrInvalidInput},
		{cinch.Filter{Column: "age", Op: "LIKE", Values: []any{"x"}}, cinch.ErrInvalidInput}, // not canonical
		{cinch.Where("age", "=", nil), cinch.ErrInvalidInput},
		{cinch.Where("age", "=", math.NaN()), cinch.ErrInvalidInput},
		{cinch.Where("age", "=", json.Number("x1")), cinch.ErrInvalidInput},
		{cinch.Where("age", "=", []int{1}), cinch.ErrInvalidInput},
		{cinch.Where("age", "=", map[string]any{}), cinch.ErrInvalidInput},
		{cinch.Where("Age", "=", 1), cinch.ErrInvalidName},
		{cinch.Where(`age" OR 1=1 --`, "=", 1), cinch.ErrInvalidName},
		{cinch.Where("id", "in", make([]any, cinch.MaxInValues+1)...), cinch.ErrLimitExceeded},
	}
	for _, tc := range cases {
		err := tc.f.Validate()
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%#v.Validate() = %v, want %v", tc.f, err, tc.want)
		}
	}
}

func TestParseOrder(t *testing.T) {
	for in, want := range map[string]cinch.Order{
		"name":       cinch.OrderBy("name"),
		"name:asc":   cinch.OrderBy("name"),
		"name:DESC":  cinch.OrderByDesc("name"),
		" age:desc ": cinch.OrderByDesc("age"),
	} {
		got, err := cinch.ParseOrder(in)
		if err != nil || got != want {
			t.Errorf("ParseOrder(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := cinch.ParseOrder(got.String()); back != want {
			t.Errorf("ParseOrder(%q.String()) = %v", got, back)
		}
	}
	for in, want := range map[string]error{
		"":           cinch.ErrInvalidName,
		"name:":      cinch.ErrInvalidInput,
		"name:up":    cinch.ErrInvalidInput,
		"Name":       cinch.ErrInvalidName,
		"name;drop":  cinch.ErrInvalidName,
		":desc":      cinch.ErrInvalidName,
		"a b:desc":   cinch.ErrInvalidName,
		"name desc":  cinch.ErrInvalidName,
		"rowid:desc": nil, // a valid identifier; the engine checks it against the table
	} {
		_, err := cinch.ParseOrder(in)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("ParseOrder(%q) = %v, want %v", in, err, want)
		}
	}
}

func TestNewSelection(t *testing.T) {
	base := cinch.Selection{Where: []cinch.Filter{cinch.Where("a", "=", 1)}, Limit: 5}
	got := cinch.NewSelection(
		cinch.Where("age", ">", 30), base, cinch.OrderBy("name"), cinch.OrderByDesc("age"),
		cinch.Limit(10), cinch.Offset(20), nil)
	want := cinch.Selection{
		Where:   []cinch.Filter{cinch.Where("age", ">", 30), cinch.Where("a", "=", 1)},
		OrderBy: []cinch.Order{{Column: "name"}, {Column: "age", Desc: true}},
		Limit:   10, Offset: 20,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewSelection (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, bad := range []cinch.Selection{
		{Limit: -1}, {Offset: -1},
		{Where: []cinch.Filter{cinch.Where("age", "~", 1)}},
		{OrderBy: []cinch.Order{{Column: "Bad"}}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
}

// FuzzParseFilter: any text either fails with a *cinch.Error or parses to
// a valid filter whose text form parses back to the same filter.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"name=Alice", "age>=30", "name like A%", "id in (a, 'b, c', \"d\")", "phone is null",
		"phone is not null", "name=''", "name='it''s'", "x= =y", "a<>b", "a in(x y)", "q=\xff",
		"n='\u00a0x'", "n=\u2028", "id in (' ', \"\")",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := cinch.ParseFilter(s)
		if err != nil {
			var ce *cinch.Error
			if !errors.As(err, &ce) || !(errors.Is(err, cinch.ErrInvalidInput) || errors.Is(err, cinch.ErrInvalidName)) {
				t.Fatalf("ParseFilter(%q): %v (%T)", s, err, err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ParseFilter(%q) = %#v, which is invalid: %v", s, got, err)
		}
		if err := cinch.ValidateIdentifier(cinch.KindColumn, got.Column); err != nil {
			t.Fatalf("ParseFilter(%q) let column %q through", s, got.Column)
		}
		text, err := got.MarshalText()
		if err != nil {
			t.Fatalf("MarshalText(%#v): %v", got, err)
		}
		back, err := cinch.ParseFilter(string(text))
		if err != nil {
			t.Fatalf("ParseFilter(%q) (from %q): %v", text, s, err)
		}
		if !reflect.DeepEqual(back, got) {
			t.Fatalf("round trip of %q through %q: %#v, want %#v", s, text, back, got)
		}
	})
}
