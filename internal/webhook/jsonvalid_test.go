package webhook

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonValidCases = []string{
	``, ` `, `{}`, `[]`, `{ }`, `[ ]`, `null`, `true`, `false`, `nul`, `truex`, `"a"`, `"a`, `"\u00e9"`, `"\u00g9"`, `"\x"`,
	`"a\"b"`, `"a\\"`, "\"a\tb\"", "\"a\x7fb\"", "\"\xff\xfe\"", `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`,
	`1e`, `1e+`, `-1.5e10`, `[1,2]`, `[1,]`, `[,1]`, `[1 2]`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1,"b":[true,null]}`,
	`{"a":{"b":{"c":[]}}}`, `[{}]`, `[[]]`, `[}`, `{]`, `{"a":}`, `{"a":1}}`, `[1]]`, ` [ 1 , { "a" : "b" } ] `, "\n{\r\n\t}\n",
	`{"api":1,"data":[{"k":"v","n":-12.5e-3}]}`, `1 2`, `{"a":1}{}`, `"\/"`, `"\b\f\n\r\t"`, `[-]`, `[--1]`, `[1.e1]`,
}

// validJSON agrees with encoding/json.Valid, the rule it replaces.
func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	// Nesting up to encoding/json's bound, and one deeper.
	deep := func(n int, open, inner, close string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	cases := append(jsonValidCases, deep(maxJSONDepth, "[", "", "]"), deep(maxJSONDepth+1, "[", "", "]"),
		deep(maxJSONDepth, `{"a":`, "1", "}"), deep(maxJSONDepth+1, `{"a":`, "1", "}"))
	for _, c := range cases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.40q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range jsonValidCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

// BenchmarkValidJSON checks a templated batch's body (1000 users-shaped records, about 340 kB)
// with validJSON and with encoding/json.Valid.
func BenchmarkValidJSON(b *testing.B) {
	var recs [][]byte
	for i := range 1000 {
		recs = append(recs, []byte(`{"company":"Walsh and Sons","company_domain":"adams.co.uk","created_at":"2019-12-08T14:19:52",`+
			`"unique_id":"alycia`+strings.Repeat("x", i%7)+`@adams.co.uk","first_name":"Alycia","full_name":"Alycia Adams","last_name":"Adams",`+
			`"role":"International Mobility Assistant","type":"free user","user_id":"090ADD7A-6DBC-BE8A-CD45-459F4F7CA082","website":"http://stehrweber.biz"}`))
	}
	body := (&Meta{}).AppendEnvelope(nil, OpChanged, recs)
	for _, v := range []struct {
		name  string
		valid func([]byte) bool
	}{{"validJSON", validJSON}, {"encoding-json", json.Valid}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !v.valid(body) {
					b.Fatal("not valid")
				}
			}
		})
	}
}
