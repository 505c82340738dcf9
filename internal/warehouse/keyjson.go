package warehouse

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
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

// pgZonedKeyJSON: a Postgres timestamptz's text as the encoder writes the value, RFC 3339 in
// UTC with its year as appendYear says. Postgres writes the text in the session's time zone
// (the database's default, unless the URL sets another), "2020-01-01 22:04:05.5-05", with an
// offset of hours, minutes and, for a zone's local mean time, seconds ("-04:56:02"), and " BC"
// after it: the offset is taken off. Other text (infinity) is as zonedKeyJSON says.
func pgZonedKeyJSON(dst, key []byte) []byte {
	if days, us, ok := parsePGZoned(string(key)); ok {
		return appendDayMicros(dst, days, us, true)
	}
	return zonedKeyJSON(dst, yearKey(key, " BC"))
}

// parsePGZoned reads Postgres's ISO text of a timestamptz, "YYYY-MM-DD HH:MM:SS[.f]±HH[:MM[:SS]][ BC]"
// (a year of four digits or more), as the instant's days since 1970-01-01 and microseconds into
// that day, in UTC.
func parsePGZoned(s string) (days, us int64, ok bool) {
	s, bc := strings.CutSuffix(s, " BC")
	y, rest, ok := splitYear(s)
	// rest: "-MM-DD HH:MM:SS", then the fraction and the offset.
	if !ok || len(rest) < 18 || rest[0] != '-' || rest[3] != '-' || rest[6] != ' ' || rest[9] != ':' || rest[12] != ':' {
		return 0, 0, false
	}
	num := func(s string) (int64, bool) {
		if len(s) == 0 || len(s) > 9 {
			return 0, false
		}
		var n int64
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		}
		return n, true
	}
	mo, ok1 := num(rest[1:3])
	d, ok2 := num(rest[4:6])
	h, ok3 := num(rest[7:9])
	mi, ok4 := num(rest[10:12])
	sec, ok5 := num(rest[13:15])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return 0, 0, false
	}
	rest = rest[15:]
	var frac int64
	if strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		digits := rest[1:i]
		if len(digits) == 0 || len(digits) > 6 {
			return 0, 0, false
		}
		frac, _ = num(digits + strings.Repeat("0", 6-len(digits)))
		rest = rest[i:]
	}
	// The offset: ±HH, ±HH:MM or ±HH:MM:SS.
	if len(rest) < 3 || rest[0] != '+' && rest[0] != '-' {
		return 0, 0, false
	}
	var off int64
	parts := strings.Split(rest[1:], ":")
	if len(parts) > 3 {
		return 0, 0, false
	}
	for i, unit := range []int64{3600, 60, 1}[:len(parts)] {
		n, ok := num(parts[i])
		if !ok || len(parts[i]) != 2 {
			return 0, 0, false
		}
		off += n * unit
	}
	if rest[0] == '-' {
		off = -off
	}
	if bc {
		y = 1 - y
	}
	date := time.Date(int(y), time.Month(mo), int(d), 0, 0, 0, 0, time.UTC)
	if date.Year() != int(y) || date.Month() != time.Month(mo) || date.Day() != int(d) {
		return 0, 0, false
	}
	local := ((h*60+mi)*60+sec-off)*1000000 + frac
	days, us = splitDays(local, usPerDay)
	return days + date.Unix()/86400, us, true
}

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

// jsonKeyJSON: a json or jsonb key's text, limit levels deep at most (jsondepth.Value less the
// arrays it is in), is the JSON its upserts carried (appendPGJSON), a lone surrogate's escape
// "\ufffd" as there (appendJSONText); deeper text a string of itself.
func jsonKeyJSON(dst, key []byte, limit int) []byte {
	if !jsondepth.Within(key, limit) || !json.Valid(key) {
		return appendString(dst, key)
	}
	return appendJSONText(dst, key)
}

// rawKeyJSON: a json or jsonb key's text as jsonKeyJSON says, the key alone.
func rawKeyJSON(dst, key []byte) []byte { return jsonKeyJSON(dst, key, jsondepth.Value) }

// elemKeyJSON appends the JSON of an array's element from its text; depth is how many arrays
// hold it in the value sent (a json element may nest jsondepth.Value less those).
type elemKeyJSON func(dst, v []byte, depth int) []byte

// pgArrayKeyJSON: Postgres's text of an array ("{1,2}", `{a,"b c",NULL}`, "{{1,2},{3,4}}") as
// the JSON array its upserts carried, each element's text as elem says; the bounds of an array
// whose lower bound is not 1 ("[0:1]={1,2}") left out, as its upserts leave them out ([1,2]).
// delim is the element type's delimiter (its typdelim: ',', but ';' for box, whose text holds
// commas: "{(1,1),(0,0);(2,2),(1,1)}"). Text it does not read is a string of itself.
func pgArrayKeyJSON(elem elemKeyJSON, delim byte) KeyJSON {
	return func(dst, key []byte) []byte { return appendPGArrayKey(dst, key, elem, delim, 0) }
}

// appendPGArrayKey appends key, the text of an array depth arrays deep in the value sent, as
// pgArrayKeyJSON says.
func appendPGArrayKey(dst, key []byte, elem elemKeyJSON, delim byte, depth int) []byte {
	s := key
	if len(s) > 0 && s[0] == '[' { // bounds, "[0:1]=" or "[0:1][2:3]="
		if i := bytes.IndexByte(s, '='); i > 0 {
			s = s[i+1:]
		}
	}
	out, rest, ok := appendPGArray(dst, s, elem, delim, depth+1)
	if !ok || len(rest) != 0 {
		return appendString(dst, key)
	}
	return out
}

// appendPGArray appends the array at the start of s, depth levels deep in the value sent (its
// own '[' counted), as JSON, its elements separated by delim; rest is what follows it.
func appendPGArray(dst, s []byte, elem elemKeyJSON, delim byte, depth int) (out, rest []byte, ok bool) {
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
			if dst, s, ok = appendPGArray(dst, s, elem, delim, depth+1); !ok {
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
			dst = elem(dst, v, depth)
		default:
			i := 0
			for i < len(s) && s[i] != delim && s[i] != '}' {
				i++
			}
			if string(s[:i]) == "NULL" {
				dst = append(dst, "null"...)
			} else {
				dst = elem(dst, s[:i], depth)
			}
			s = s[i:]
		}
		switch {
		case len(s) == 0:
			return dst, s, false
		case s[0] == '}':
			return append(dst, ']'), s[1:], true
		case s[0] != delim:
			return dst, s, false
		}
		s = s[1:]
	}
}

// int2vectorOID is Postgres's int2vector, an array whose text is its elements separated by
// blanks ("1 2", "" when empty), as Postgres prints it outside an array and, quoted, inside one.
// (oidvector, written so too, is sent as its text: its elements have no binary codec.)
const int2vectorOID = 22

// appendPGVectorKey appends key, an int2vector's text depth arrays deep in the value sent, as
// the JSON array its upserts carried, each element as elem says.
func appendPGVectorKey(dst, key []byte, elem elemKeyJSON, depth int) []byte {
	out := append(dst, '[')
	for i, f := range bytes.Fields(key) {
		if i > 0 {
			out = append(out, ',')
		}
		out = elem(out, f, depth+1)
	}
	return append(out, ']')
}

// bpcharOID is Postgres's character(n).
const bpcharOID = 1042

// paddedKeyJSON: a character(n) key's text, which Postgres's ::text prints without the blanks
// that pad its value to n characters, as its value is sent: padded back to n characters.
func paddedKeyJSON(n int) KeyJSON {
	return func(dst, key []byte) []byte {
		if pad := n - utf8.RuneCount(key); pad > 0 {
			key = append(append(make([]byte, 0, len(key)+pad), key...), bytes.Repeat([]byte{' '}, pad)...)
		}
		return appendString(dst, key)
	}
}

// keyJSONStream is a Stream that knows its key's JSON better than its column's type says
// (Source.KeyJSON): from the column's declared length, say; or knows that its key's text
// cannot say it (an error).
type keyJSONStream interface {
	streamKeyJSON() (KeyJSON, error)
}

// StreamKeyJSON returns the JSON of s's key from its text when s knows it better than
// Source.KeyJSON does from the key column's type (a Postgres character(n) key), else nil; and
// an error when the key's text cannot name the record as its upserts did (a DuckDB LIST,
// ARRAY, STRUCT, MAP or UNION key): a mirror's deletes, which have only the text, would name
// records the endpoint never had.
func StreamKeyJSON(s Stream) (KeyJSON, error) {
	if k, ok := s.(keyJSONStream); ok {
		return k.streamKeyJSON()
	}
	return nil, nil
}

// DuckNestedType reports whether t, a DuckDB column's type as a model's columns have it
// ("integer[]", "struct(a integer)"), is a LIST, ARRAY, STRUCT, MAP or UNION: a key that a
// mirror's deletes cannot name (duckRows.streamKeyJSON), which the provider refuses at plan.
func DuckNestedType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	return strings.HasSuffix(t, "]") || strings.HasPrefix(t, "struct(") || strings.HasPrefix(t, "map(") ||
		strings.HasPrefix(t, "union(")
}
