package warehouse

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// A mirror's delete has only the key's canonical text (Stream.Key, which the ledger keeps), and
// must name the record as its upserts did: with the key column's JSON. For most types that is
// the text as a JSON string, or for numbers the text itself (the runner's mapper does both);
// each driver's KeyJSON handles the types whose text and JSON differ, with the helpers below.

// KeyJSON appends the JSON a record's upserts carried for its key, from the key's canonical text.
type KeyJSON func(dst, key []byte) []byte

// zonedKeyJSON: an instant's text in UTC, "2020-01-02 03:04:05.5+00" (or without the zone, as
// MySQL prints a TIMESTAMP in a UTC session), as its JSON, "2020-01-02T03:04:05.5Z"; a year of
// other than four digits ("12345-01-02 ...", "+012345-01-02 ...") is kept as it is; other text
// (Postgres's infinity) as a string of itself.
func zonedKeyJSON(dst, key []byte) []byte {
	s := strings.TrimSuffix(strings.TrimSuffix(string(key), "+00:00"), "+00")
	// o: how many characters the year has past four (the first '-' after a sign ends it).
	o := -1
	if len(s) > 1 {
		o = strings.IndexByte(s[1:], '-') + 1 - 4
	}
	if o >= 0 && len(s) >= 19+o && s[4+o] == '-' && s[7+o] == '-' && s[10+o] == ' ' && s[13+o] == ':' && s[16+o] == ':' &&
		!strings.ContainsAny(s[19+o:], "+- ") {
		return appendString(dst, []byte(s[:10+o]+"T"+s[11+o:]+"Z"))
	}
	return appendString(dst, key)
}

// yearKey rewrites the year of a database's text of a date or timestamp as the encoder writes it
// (appendYear); bc is how the database marks a year BC (Postgres: " BC" at the end, DuckDB:
// " (BC)" after the date). "0044-03-15 BC" is "-000043-03-15", "12345-01-01" is
// "+012345-01-01"; other text (infinity) is returned as it is.
func yearKey(key []byte, bc string) []byte {
	before, after, isBC := strings.Cut(string(key), bc)
	y, rest, ok := splitYear(before + after)
	if !ok {
		return key
	}
	if isBC {
		y = 1 - y
	}
	return append(appendYear(nil, y), rest...)
}

// splitYear reads the year a date's text starts with: the digits before its first '-'; rest is
// the text from that '-' on.
func splitYear(s string) (y int64, rest string, ok bool) {
	i := strings.IndexByte(s, '-')
	if i < 1 || s[0] < '0' || s[0] > '9' {
		return 0, s, false
	}
	y, err := strconv.ParseInt(s[:i], 10, 64)
	return y, s[i:], err == nil
}

// pgDateKeyJSON: a Postgres date or timestamp's text, its year as the encoder writes it.
func pgDateKeyJSON(dst, key []byte) []byte { return appendString(dst, yearKey(key, " BC")) }

// pgZonedKeyJSON: a Postgres timestamptz's text in UTC, its year as the encoder writes it, as
// zonedKeyJSON says.
func pgZonedKeyJSON(dst, key []byte) []byte { return zonedKeyJSON(dst, yearKey(key, " BC")) }

// boolKeyJSON: "true" and "false" (Postgres's and DuckDB's text of a boolean) as JSON's.
func boolKeyJSON(dst, key []byte) []byte {
	switch string(key) {
	case "true", "false":
		return append(dst, key...)
	}
	return appendString(dst, key)
}

// base64KeyJSON: raw bytes as binary values are sent, a base64 string.
func base64KeyJSON(dst, raw []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '"')
}

// escapedBlobKeyJSON: DuckDB's text of a BLOB, its bytes with each one outside printable ASCII
// (and the backslash and quotes) written \xHH, as the base64 of those bytes, as a BLOB is sent.
func escapedBlobKeyJSON(dst, key []byte) []byte {
	raw := make([]byte, 0, len(key))
	var b [1]byte
	for i := 0; i < len(key); i++ {
		if key[i] == '\\' && i+3 < len(key) && key[i+1] == 'x' {
			if _, err := hex.Decode(b[:], key[i+2:i+4]); err == nil {
				raw = append(raw, b[0])
				i += 3
				continue
			}
		}
		raw = append(raw, key[i])
	}
	return base64KeyJSON(dst, raw)
}

// inetKeyJSON: Postgres's text of an inet always has its netmask ("10.0.0.1/32"); its value, as
// upserts send it, leaves out a host's (/32, or /128 for IPv6): "10.0.0.1".
func inetKeyJSON(dst, key []byte) []byte {
	s := string(key)
	if v4, ok := strings.CutSuffix(s, "/32"); ok && !strings.Contains(v4, ":") {
		s = v4
	} else if v6, ok := strings.CutSuffix(s, "/128"); ok && strings.Contains(v6, ":") {
		s = v6
	}
	return appendString(dst, []byte(s))
}

// floatKeyJSON: a float's text as the warehouse prints it ("1e+20", "1e-07", DuckDB's "0.0",
// "nan" and "-inf") as the encoder writes the float (appendFloat): 100000000000000000000, 1e-7,
// 0, "NaN", "-Infinity". bits is the float's size, 32 or 64.
func floatKeyJSON(bits int) KeyJSON {
	return func(dst, key []byte) []byte {
		f, err := strconv.ParseFloat(string(key), bits)
		if err != nil {
			return appendString(dst, key)
		}
		return appendFloat(dst, f, bits)
	}
}

// NumberKeyJSON: a number's digits as a JSON number (the runner's choice for a key column of a
// number type, and DuckDB's BIGNUM, which it does not take for one); other text (NaN) as a string.
func NumberKeyJSON(dst, key []byte) []byte {
	if len(key) > 0 && (key[0] == '-' || key[0] >= '0' && key[0] <= '9') && json.Valid(key) {
		return append(dst, key...)
	}
	return appendString(dst, key)
}

// rawKeyJSON: a json or jsonb key's text is the JSON its upserts carried.
func rawKeyJSON(dst, key []byte) []byte {
	if !json.Valid(key) {
		return appendString(dst, key)
	}
	return append(dst, key...)
}

// pgArrayKeyJSON: Postgres's text of an array ("{1,2}", `{a,"b c",NULL}`, "{{1,2},{3,4}}") as
// the JSON array its upserts carried, each element's text as elem says. Text it does not read
// (an array with explicit bounds, "[0:1]={1,2}") is a string of itself.
func pgArrayKeyJSON(elem KeyJSON) KeyJSON {
	return func(dst, key []byte) []byte {
		out, rest, ok := appendPGArray(dst, key, elem)
		if !ok || len(rest) != 0 {
			return appendString(dst, key)
		}
		return out
	}
}

// appendPGArray appends the array at the start of s as JSON; rest is what follows it.
func appendPGArray(dst, s []byte, elem KeyJSON) (out, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '{' {
		return dst, s, false
	}
	s = s[1:]
	dst = append(dst, '[')
	if len(s) > 0 && s[0] == '}' {
		return append(dst, ']'), s[1:], true
	}
	var v []byte
	for first := true; ; first = false {
		if !first {
			dst = append(dst, ',')
		}
		switch {
		case len(s) == 0:
			return dst, s, false
		case s[0] == '{':
			if dst, s, ok = appendPGArray(dst, s, elem); !ok {
				return dst, s, false
			}
		case s[0] == '"': // quoted, with backslash escapes
			v = v[:0]
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				v = append(v, s[i])
			}
			if i >= len(s) {
				return dst, s, false
			}
			s = s[i+1:]
			dst = elem(dst, v)
		default:
			i := 0
			for i < len(s) && s[i] != ',' && s[i] != '}' {
				i++
			}
			if string(s[:i]) == "NULL" {
				dst = append(dst, "null"...)
			} else {
				dst = elem(dst, s[:i])
			}
			s = s[i:]
		}
		switch {
		case len(s) == 0:
			return dst, s, false
		case s[0] == '}':
			return append(dst, ']'), s[1:], true
		case s[0] != ',':
			return dst, s, false
		}
		s = s[1:]
	}
}
