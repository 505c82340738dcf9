package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "€", "😀", "\xff", "\xc3", "<", "\u2028"}
	for i := 0; i < 20000; i++ {
		var sb strings.Builder
		n := r.IntN(40)
		for j := 0; j < n; j++ {
			if r.IntN(3) == 0 {
				sb.WriteString(alphabet[r.IntN(len(alphabet))])
			} else {
				sb.WriteByte(byte('a' + r.IntN(26)))
			}
		}
		s := sb.String()
		got := appendString(nil, []byte(s))
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, got, err)
		}
		// Each invalid byte becomes U+FFFD, as encoding/json does.
		want := string([]rune(s))
		if back != want {
			t.Fatalf("%q → %s → %q, want %q", s, got, back, want)
		}
	}
}

// One byte to escape (or not plain ASCII) at each position of plain strings of every length up
// to 24: the 8-byte skips, and the check of a string's last 8 bytes, must stop at it.
func TestAppendStringOneSpecialByte(t *testing.T) {
	for _, special := range []string{"\"", "\\", "\n", "\x00", "\x1f", "é", "\xff"} {
		for n := 1; n <= 24; n++ {
			for at := 0; at < n; at++ {
				s := strings.Repeat("a", at) + special + strings.Repeat("b", n-at-1)
				got := appendString(nil, []byte(s))
				var back string
				if err := json.Unmarshal(got, &back); err != nil {
					t.Fatalf("%q → %s: %v", s, got, err)
				}
				if want := string([]rune(s)); back != want {
					t.Fatalf("%q → %s → %q, want %q", s, got, back, want)
				}
			}
		}
	}
}

func TestAppendTimestampMatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 100000; i++ {
		// Years 1 to 9999, at random microseconds. (Time.Sub saturates at 292 years: go by Unix
		// seconds.)
		lo := (time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - epoch.Unix()) * 1e6
		hi := (time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - epoch.Unix()) * 1e6
		us := lo + r.Int64N(hi-lo)
		if i%3 == 0 {
			us -= us % 1000000
		}
		// time.Duration spans only 292 years: go by days.
		days, rem := us/86400e6, us%86400e6
		if rem < 0 {
			days, rem = days-1, rem+86400e6
		}
		tm := epoch.AddDate(0, 0, int(days)).Add(time.Duration(rem) * time.Microsecond)
		want := `"` + strings.Replace(tm.Format("2006-01-02T15:04:05.999999"), "T", " ", 1) + `"`
		if got := string(appendTimestamp(nil, us, false)); got != want {
			t.Fatalf("timestamp %d: got %s, want %s", us, got, want)
		}
		want = `"` + tm.Format("2006-01-02T15:04:05.999999Z07:00") + `"`
		if got := string(appendTimestamp(nil, us, true)); got != want {
			t.Fatalf("timestamptz %d: got %s, want %s", us, got, want)
		}
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100000; i++ {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f, 64); string(got) != string(want) {
			t.Fatalf("%v: got %s, want %s", f, got, want)
		}
		f32 := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(f32)) || math.IsInf(float64(f32), 0) {
			continue
		}
		want, _ = json.Marshal(f32)
		if got := appendFloat(nil, float64(f32), 32); string(got) != string(want) {
			t.Fatalf("float32 %v: got %s, want %s", f32, got, want)
		}
	}
}

func TestAppendTextArrayMalformed(t *testing.T) {
	// Not an array literal: still valid JSON (the text as a string).
	for _, in := range []string{"", "{", `{"a`, "{a,b", "[1:2]", "{a}x"} {
		got := appendTextArray(nil, []byte(in), ',', nil)
		if !json.Valid(got) {
			t.Errorf("%q → invalid JSON %s", in, got)
		}
	}
}

// isoYear is the year as appendYear must write it, built independently: four digits from 0 to
// 9999, else a sign and at least six digits.
func isoYear(y int) string {
	switch {
	case y >= 0 && y <= 9999:
		return fmt.Sprintf("%04d", y)
	case y < 0:
		return fmt.Sprintf("-%06d", -y)
	}
	return fmt.Sprintf("+%06d", y)
}

// TestAppendTimestampWholeRange compares dates and timestamps over Postgres's whole range (4713
// BC to 294276 AD for timestamps, to 5874897 AD for dates) with the time package, which counts
// years as ISO 8601 does (0 is 1 BC).
func TestAppendTimestampWholeRange(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	// time.Duration spans only 292 years: count days with Unix seconds and AddDate instead.
	days := func(tm time.Time) int64 { return (tm.Unix() - epoch.Unix()) / 86400 }
	at := func(d int64) time.Time { return epoch.AddDate(0, 0, int(d)) }
	loDay := days(time.Date(-4712, 11, 24, 0, 0, 0, 0, time.UTC))
	hiTS := days(time.Date(294277, 1, 1, 0, 0, 0, 0, time.UTC)) // past the last timestamp day
	for i := 0; i < 100000; i++ {
		var d int64
		switch i % 4 {
		case 0: // BC and the first centuries AD
			d = loDay + r.Int64N(-loDay/2)
		case 1: // around year 10000
			d = days(time.Date(9990, 1, 1, 0, 0, 0, 0, time.UTC)) + r.Int64N(20*366)
		default:
			d = loDay + r.Int64N(hiTS-loDay)
		}
		tm := at(d)
		rem := r.Int64N(86400e6)
		if i%3 == 0 {
			rem -= rem % 1000000
		}
		us := d*86400e6 + rem
		tm = tm.Add(time.Duration(rem) * time.Microsecond)
		clock := tm.Format("15:04:05.999999")
		ymd := isoYear(tm.Year()) + tm.Format("-01-02")
		if got, want := string(appendTimestamp(nil, us, false)), `"`+ymd+" "+clock+`"`; got != want {
			t.Fatalf("timestamp %d: got %s, want %s", us, got, want)
		}
		if got, want := string(appendTimestamp(nil, us, true)), `"`+ymd+"T"+clock+`Z"`; got != want {
			t.Fatalf("timestamptz %d: got %s, want %s", us, got, want)
		}
		if d >= math.MinInt32 && d <= math.MaxInt32 {
			if got, want := string(appendDate(nil, int32(d))), `"`+ymd+`"`; got != want {
				t.Fatalf("date %d: got %s, want %s", d, got, want)
			}
		}
	}
	// The last date Postgres has.
	last := time.Date(5874897, 12, 31, 0, 0, 0, 0, time.UTC)
	if got, want := string(appendDate(nil, int32(days(last)))), `"+5874897-12-31"`; got != want {
		t.Errorf("last date: got %s, want %s", got, want)
	}
}

// TestEncodeYearsOutsideRFC3339 reads real Postgres values from BC and past year 9999: they
// arrive with ISO 8601 years (1 BC is year 0, 44 BC is -43; outside 0 to 9999 a sign and six
// or more digits), and ±infinity as Postgres prints them.
func TestEncodeYearsOutsideRFC3339(t *testing.T) {
	url := newWarehouse(t) // a New York session: timestamptz must still come out in UTC
	tests := []struct{ expr, want string }{
		{"'0044-03-15 10:00:00+00 BC'::timestamptz", `"-000043-03-15T10:00:00Z"`},
		{"'0044-03-15 10:00:00.25 BC'::timestamp", `"-000043-03-15 10:00:00.25"`},
		{"'0044-03-15 BC'::date", `"-000043-03-15"`},
		{"'0001-12-31 23:59:59+00 BC'::timestamptz", `"0000-12-31T23:59:59Z"`},
		{"'0001-01-01 BC'::date", `"0000-01-01"`},
		{"'0002-06-30 BC'::date", `"-000001-06-30"`},
		{"'4713-11-24 00:00:00+00 BC'::timestamptz", `"-004712-11-24T00:00:00Z"`},
		{"'4713-11-24 BC'::date", `"-004712-11-24"`},
		{"'0001-01-01 00:00:00+00'::timestamptz", `"0001-01-01T00:00:00Z"`},
		{"'9999-12-31 23:59:59.999999+00'::timestamptz", `"9999-12-31T23:59:59.999999Z"`},
		{"'10000-01-01 00:00:00+00'::timestamptz", `"+010000-01-01T00:00:00Z"`},
		{"'10000-01-01'::date", `"+010000-01-01"`},
		{"'294276-12-31 23:59:59.999999'::timestamp", `"+294276-12-31 23:59:59.999999"`},
		{"'5874897-12-31'::date", `"+5874897-12-31"`},
		{"'infinity'::timestamptz", `"infinity"`},
		{"'-infinity'::timestamptz", `"-infinity"`},
		{"'infinity'::timestamp", `"infinity"`},
		{"'-infinity'::timestamp", `"-infinity"`},
		{"'infinity'::date", `"infinity"`},
		{"'-infinity'::date", `"-infinity"`},
		{"ARRAY['0044-03-15 BC'::date, '10000-01-01', '-infinity']", `["-000043-03-15","+010000-01-01","-infinity"]`},
		{"ARRAY['0044-03-15 10:00:00+00 BC'::timestamptz]", `["-000043-03-15T10:00:00Z"]`},
		{"ARRAY['0044-03-15 10:00:00 BC'::timestamp]", `["-000043-03-15 10:00:00"]`},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			rows, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, "SELECT 1 AS k, "+tt.expr+" AS v", "k", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			if !rows.Next() {
				t.Fatalf("no row: %v", rows.Err())
			}
			if got := string(rows.AppendValue(nil, 1)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEncodePostgresJSONText: a json value is sent as its text, which Postgres checks is JSON
// but not that its escapes are UTF-16: a lone surrogate escape ("\ud800", which strict parsers
// such as Rust's serde_json refuse, failing the whole body) is sent as "\ufffd", as a text
// value's bad bytes are; a pair, and an escaped backslash before "ud800", are left as they are.
// A json key's delete names it the same way.
func TestEncodePostgresJSONText(t *testing.T) {
	ctx := context.Background()
	url := newWarehouse(t)
	src := NewPostgres(&controlplane.PostgresConfig{URL: url})
	for _, tt := range []struct{ expr, want string }{
		{`'"\ud800"'::json`, `"\ufffd"`},
		{`'["\udc00x", "\ud83d\ude00", "\\ud800", "\uD83D\uDE00", "\ud800\ud800\udc00", "a\ud83d"]'::json`,
			`["\ufffdx", "\ud83d\ude00", "\\ud800", "\uD83D\uDE00", "\ufffd\ud800\udc00", "a\ufffd"]`},
		{`'{"\udfff": 1, "k": "\u0000é"}'::json`, `{"\ufffd": 1, "k": "\u0000é"}`},
		{`'"\ud83d\u0041"'::json`, `"\ufffd\u0041"`},
		{`ARRAY['"\ud800"'::json, '{"a": "\\\\"}']`, `["\ufffd",{"a": "\\\\"}]`},
		{`'{"a": "\ud83d\ude00"}'::jsonb`, `{"a": "😀"}`},
	} {
		q := "SELECT 1 AS id, " + tt.expr + " AS k"
		rows, err := Open(ctx, &controlplane.PostgresConfig{URL: url}, q, "k", nil)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		cols := rows.Columns()
		if !rows.Next() {
			t.Fatalf("%s: no row: %v", tt.expr, rows.Err())
		}
		got := rows.AppendValue(nil, 1)
		if string(got) != tt.want {
			t.Errorf("%s: sent %s, want %s", tt.expr, got, tt.want)
		}
		key, _ := rows.Key()
		if del := src.KeyJSON(cols[1])(nil, key); string(del) != string(got) {
			t.Errorf("%s: a delete names the key %s, its upserts %s", tt.expr, del, got)
		}
		rows.Close()
	}
}

// TestAppendJSONTextLikeEncodingJSON: a lone surrogate's escape written "\ufffd" is what
// encoding/json (and JavaScript's TextDecoder) reads it as: random strings of escapes decode
// to the same text before and after, and come out unchanged when they have no lone one.
func TestAppendJSONTextLikeEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pieces := []string{`\ud800`, `\udbff`, `\udc00`, `\udfff`, `\uD83D`, `\uDE00`, `\u0041`, `\\`, `\\u`, `\n`, `\"`, `a`, `é`, `\u00e9`, `ud800`}
	for range 20000 {
		var sb strings.Builder
		sb.WriteByte('"')
		for range r.IntN(8) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		sb.WriteByte('"')
		in := sb.String()
		out := appendJSONText(nil, []byte(in))
		var a, b string
		if err := json.Unmarshal([]byte(in), &a); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if err := json.Unmarshal(out, &b); err != nil || a != b {
			t.Fatalf("%s → %s: %q, want %q (%v)", in, out, b, a, err)
		}
		if !strings.Contains(a, "\ufffd") && string(out) != in {
			t.Fatalf("%s → %s: changed without a lone surrogate", in, out)
		}
	}
}
