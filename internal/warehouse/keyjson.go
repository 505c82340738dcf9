package warehouse

import (
	"encoding/base64"
	"strings"
)

// A mirror's delete has only the key's canonical text (Stream.Key, which the ledger keeps), and
// must name the record as its upserts did: with the key column's JSON. For most types that is
// the text as a JSON string, or for numbers the text itself (the runner's mapper does both);
// each driver's KeyJSON handles the types whose text and JSON differ, with the helpers below.

// KeyJSON appends the JSON a record's upserts carried for its key, from the key's canonical text.
type KeyJSON func(dst, key []byte) []byte

// zonedKeyJSON: an instant's text in UTC, "2020-01-02 03:04:05.5+00" (or without the zone, as
// MySQL prints a TIMESTAMP in a UTC session), as its JSON, "2020-01-02T03:04:05.5Z"; other
// text (Postgres's infinity) as a string of itself.
func zonedKeyJSON(dst, key []byte) []byte {
	s := strings.TrimSuffix(strings.TrimSuffix(string(key), "+00:00"), "+00")
	if len(s) >= 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' &&
		!strings.ContainsAny(s[19:], "+- ") {
		return appendString(dst, []byte(s[:10]+"T"+s[11:]+"Z"))
	}
	return appendString(dst, key)
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
