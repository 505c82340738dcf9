package warehouse

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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

func TestAppendTimestampMatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 100000; i++ {
		// Years 1 to 9999, at random microseconds.
		lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(epoch).Microseconds()
		us := lo + r.Int64N(int64(9998*365.2425*86400*1e6))
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
		got := appendTextArray(nil, []byte(in), ',')
		if !json.Valid(got) {
			t.Errorf("%q → invalid JSON %s", in, got)
		}
	}
}
