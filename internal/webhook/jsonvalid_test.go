package webhook

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

var jsonValidCases = []string{
	``, ` `, `{}`, `[]`, `{ }`, `[ ]`, `null`, `true`, `false`, `nul`, `truex`, `"a"`, `"a`, `"\u00e9"`, `"\u00g9"`, `"\x"`,
	`"a\"b"`, `"a\\"`, "\"a\tb\"", "\"a\x7fb\"", "\"\xff\xfe\"", `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`,
	`1e`, `1e+`, `-1.5e10`, `[1,2]`, `[1,]`, `[,1]`, `[1 2]`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1,"b":[true,null]}`,
	`{"a":{"b":{"c":[]}}}`, `[{}]`, `[[]]`, `[}`, `{]`, `{"a":}`, `{"a":1}}`, `[1]]`, ` [ 1 , { "a" : "b" } ] `, "\n{\r\n\t}\n",
	`{"api":1,"data":[{"k":"v","n":-12.5e-3}]}`, `1 2`, `{"a":1}{}`, `"\/"`, `"\b\f\n\r\t"`, `[-]`, `[--1]`, `[1.e1]`,
}

// TestValidJSONAgreesWithEncodingJSON pins the rules checkJSON relies on: gjson's validator
// accepts what encoding/json accepts (it does not bound the nesting, as encoding/json does at
// 10000 levels, which checkJSON lets through).
func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range jsonValidCases {
		if got, want := gjson.ValidBytes([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("gjson.ValidBytes(%.40q) = %v, encoding/json says %v", c, got, want)
		}
	}
	deep := []byte(strings.Repeat("[", 10001) + strings.Repeat("]", 10001))
	if err := checkJSON(deep); err != nil {
		t.Errorf("checkJSON refused 10001 nested arrays: %v", err)
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range jsonValidCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := gjson.ValidBytes(b), json.Valid(b); got != want && !tooDeep(b) {
			t.Errorf("gjson.ValidBytes(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

// BenchmarkValidJSON checks a templated batch's body (1000 users-shaped records, about 340 kB)
// with gjson.ValidBytes (what checkJSON uses first) and with encoding/json.Valid.
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
	}{{"gjson", gjson.ValidBytes}, {"encoding-json", json.Valid}} {
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

// tooDeep says whether b nests more than encoding/json's 10000 levels, where only encoding/json
// refuses it.
func tooDeep(b []byte) bool {
	depth := 0
	for _, c := range b {
		switch c {
		case '[', '{':
			if depth++; depth > 10000 {
				return true
			}
		case ']', '}':
			depth--
		}
	}
	return false
}

// TestJSONBodyMustBeUTF8: JSON is UTF-8 (RFC 8259 8.1), and a body that holds other bytes is
// not valid JSON, though encoding/json's and gjson's validators take it. Liquid's url_decode
// makes such bytes of a Latin-1 escape (caf%E9), so a json body that renders them is refused,
// saying where, as the other bodies that are not JSON are.
func TestJSONBodyMustBeUTF8(t *testing.T) {
	for _, src := range []string{`{"q": "{{ record.q | url_decode }}"}`, `{"q": "caf{{ "%C3" | url_decode }}"}`} {
		got, err := buildFmt(t, "json", src, `{"q": "caf%E9"}`)
		if err == nil || !strings.Contains(err.Error(), "not UTF-8") || !strings.Contains(err.Error(), "line 1, column 11") {
			t.Errorf("%s rendered %q, err %v; want it refused as not UTF-8 at line 1, column 11", src, got, err)
		}
	}
	// Through json, such a byte is U+FFFD, and the body is sent.
	if got, err := buildFmt(t, "json", `{"q": {{ record.q | url_decode | json }}}`, `{"q": "caf%E9"}`); err != nil || got != `{"q": "caf\ufffd"}` {
		t.Errorf("json of a decoded Latin-1 escape = %q, %v", got, err)
	}
}

// TestCheckJSONDeepBody: a body template that writes a text value without the json filter
// ({"k": {{ record.k }}}) renders what the value holds; a value of 12 million '[' (24 MB, within
// a body's render limit) made checkJSON's first validator, which recurses per level, overflow
// the goroutine's stack, a fatal error that ended the runner (every sync) and the provider's
// plan. Text nested deeper than encoding/json's 10,000 levels is still JSON when it is (as
// TestValidJSONAgreesWithEncodingJSON has it), and refused as such when it is not.
func TestCheckJSONDeepBody(t *testing.T) {
	open := strings.Repeat("[", 12_000_000)
	if err := checkJSON([]byte(`{"k": ` + open + `}`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("a body of 12 million '[': %v, want it refused as not valid JSON", err)
	}
	deep := strings.Repeat("[", 20000) + `{"a":"]]\"[[","b":[1,-2.5e3,true,null]}` + strings.Repeat("]", 20000)
	for _, c := range []struct {
		body  string
		valid bool
	}{
		{deep, true}, {" " + deep + "\n", true}, {`{"k":` + deep + `}`, true},
		{deep + "]", false}, {deep + " 1", false}, {deep + "{}", false}, {deep[:len(deep)-1], false},
		{strings.Replace(deep, `"a"`, `a`, 1), false}, {strings.Replace(deep, `,"b"`, `"b"`, 1), false},
		{strings.Replace(deep, `-2.5e3`, `-2.5e`, 1), false}, {deep[:len(deep)-2] + "}]", false},
		{strings.Replace(deep, `"a"`, "\"a\x01\"", 1), false}, {strings.Replace(deep, `"a"`, "\"a\xff\"", 1), false},
	} {
		if err := checkJSON([]byte(c.body)); (err == nil) != c.valid {
			t.Errorf("%.30q...%.30q: checkJSON %v, want valid %v", c.body, c.body[len(c.body)-30:], err, c.valid)
		}
	}
}
