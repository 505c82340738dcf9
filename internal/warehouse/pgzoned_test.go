package warehouse

import (
	"math/rand/v2"
	"testing"
)

// TestZonedTextMalformed: zonedText never panics on a text and a binary value that do not
// match or are cut short (a value is rewritten only when both read as expected); it reports
// false rather than writing a part.
func TestZonedTextMalformed(t *testing.T) {
	types := map[uint32]pgType{
		anonymousRecord:      {oid: anonymousRecord, send: true, delim: ','},
		anonymousRecordArray: {oid: anonymousRecordArray, elem: anonymousRecord, send: true},
		90001:                {oid: 90001, attrs: []uint32{1184, 25}, send: true, delim: ','},
		90002:                {oid: 90002, array: true, elem: 90001, send: true},
		90003:                {oid: 90003, sub: 1186, send: true},
	}
	good := []byte("\x00\x00\x00\x02\x00\x00\x04\xa0\x00\x00\x00\x08\x00\x02\x3e\x07\x86\xc2\x60\x00\x00\x00\x00\x19\x00\x00\x00\x01x")
	if out, ok := zonedText(nil, 90001, []byte(`("2020-01-01 13:45:00+13:45",x)`), good, types, 0); !ok || string(out) != `("2020-01-01 00:00:00+00",x)` {
		t.Fatalf("well-formed value: %q, %v", out, ok)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	texts := []string{"", "(", ")", "()", `("a`, `(a,"b""c",\`, "{", "{}", `{"(a)",NULL}`, "[0:1]=", "[1:1]={(1)}", `("2020-01-01 13:45:00+13:45",x)`}
	for range 20000 {
		bin := append([]byte(nil), good...)
		switch rng.IntN(3) {
		case 0:
			bin = bin[:rng.IntN(len(bin)+1)]
		case 1:
			bin[rng.IntN(len(bin))] = byte(rng.IntN(256))
		default:
			bin = make([]byte, rng.IntN(40))
			for i := range bin {
				bin[i] = byte(rng.IntN(256))
			}
		}
		txt := []byte(texts[rng.IntN(len(texts))])
		for _, oid := range []uint32{anonymousRecord, anonymousRecordArray, 90001, 90002, 90003} {
			zonedText(nil, oid, txt, bin, types, 0) // must not panic
		}
	}
}
