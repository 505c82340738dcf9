package warehouse

import (
	"github.com/tidwall/gjson"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// Strict JSON out of text a database hands over as JSON. Every record the runner sends is strict
// JSON (README: JSON rules), but a database's JSON text need not be: DuckDB's JSON type keeps the
// text its parser (yyjson) accepted, which takes NaN, Infinity and -Infinity (as Inf, any case,
// -NaN too) and trailing commas, and its to_json writes a NaN or infinite DOUBLE as NaN,
// Infinity or -Infinity.

// Text a database gave as JSON is sent as JSON only when its arrays and objects nest at most
// jsondepth.Value levels (encoding/json's bound less the body around it); deeper text is sent as
// a string of itself, as other text a strict parser refuses is. The bound also keeps the text from gjson's check, which
// recurses per level: 12 million levels (24 MB of brackets, which DuckDB's JSON takes)
// overflowed the goroutine's stack, a fatal error that no recover catches, which ended the
// runner and the provider's plan.

// validJSON: v is JSON (RFC 8259) nested at most jsondepth.Value levels.
func validJSON(v []byte) bool { return validJSONWithin(v, jsondepth.Value) }

// validJSONWithin: v is JSON (RFC 8259) nested at most limit levels.
func validJSONWithin(v []byte, limit int) bool {
	return jsondepth.Within(v, limit) && gjson.ValidBytes(v)
}

// appendStrictJSON appends v, text a database gave as JSON, as strict JSON: as it is when it is
// valid (checked once, which is all valid text pays); when its only fault is NaN or infinity
// tokens in place of values, with each of them the string a float's is sent as ("NaN",
// "Infinity", "-Infinity"); otherwise (text nested deeper than jsondepth.Value too) as a JSON
// string of the text.
func appendStrictJSON(b, v []byte) []byte { return appendStrictJSONWithin(b, v, jsondepth.Value) }

// appendStrictJSONWithin is appendStrictJSON for text inside other JSON (a LIST's element): it
// may nest limit levels, jsondepth.Value less those around it, so that the whole value sent
// nests at most jsondepth.Value.
func appendStrictJSONWithin(b, v []byte, limit int) []byte {
	if validJSONWithin(v, limit) {
		return append(b, v...)
	}
	if out, ok := appendNonFiniteAsStrings(b, v); ok && validJSONWithin(out[len(b):], limit) {
		return out
	}
	return appendString(b, v)
}

// appendJSONOrString appends v, text a database gave as JSON, as it is when it is valid JSON
// (a lone surrogate's escape as "\ufffd": appendJSONText) and else (nested deeper than
// jsondepth.Value too) as a JSON string of the text: never as is.
func appendJSONOrString(b, v []byte) []byte {
	if !validJSON(v) {
		return appendString(b, v)
	}
	return appendJSONText(b, v)
}

// appendNonFiniteAsStrings appends v with each token nan, inf or infinity (in any case, with
// or without a leading '-') that stands where a value may (the document, an array's element,
// an object's member's value) written as the string appendFloat writes for it: "NaN" (-nan
// too), "Infinity", "-Infinity". Strings are copied as they are, escapes and all, and so is
// everything else. ok is false when there was no such token (the text's fault is another). The
// result is not checked: the caller does.
func appendNonFiniteAsStrings(b, v []byte) (out []byte, ok bool) {
	// open holds the containers the scan is in, true for an array; prev is the last byte
	// outside strings and blanks (0 before any): a value may stand after none, '[' and ':', and
	// after ',' in an array.
	var open []bool
	var prev byte
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(v) && v[j] != '"' {
				if v[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(v))
			b = append(b, v[i:j]...)
			i, prev = j, '"'
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			b = append(b, c)
			i++
			continue
		case c == '[' || c == '{':
			open = append(open, c == '[')
		case c == ']' || c == '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case isLetter(c) || c == '-' && i+1 < len(v) && isLetter(v[i+1]):
			j := i + 1
			for j < len(v) && isLetter(v[j]) {
				j++
			}
			atValue := prev == 0 || prev == '[' || prev == ':' || prev == ',' && len(open) > 0 && open[len(open)-1]
			if s := nonFinite(v[i:j]); s != "" && atValue {
				b = append(b, s...)
				ok = true
			} else {
				b = append(b, v[i:j]...)
			}
			i, prev = j, 'a'
			continue
		}
		b = append(b, c)
		i++
		prev = c
	}
	return b, ok
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// nonFinite is the JSON string a token nan, inf or infinity (any case, '-' before it or not)
// stands for, or "" for any other word.
func nonFinite(word []byte) string {
	neg := word[0] == '-'
	if neg {
		word = word[1:]
	}
	switch {
	case equalFoldASCII(word, "nan"):
		return `"NaN"`
	case !equalFoldASCII(word, "inf") && !equalFoldASCII(word, "infinity"):
		return ""
	case neg:
		return `"-Infinity"`
	}
	return `"Infinity"`
}

// equalFoldASCII: word is lower, in any case (lower is lower-case ASCII letters).
func equalFoldASCII(word []byte, lower string) bool {
	if len(word) != len(lower) {
		return false
	}
	for i := range word {
		if word[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}
