package warehouse

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// Wire formats of result columns.
const (
	textFormat   int16 = 0
	binaryFormat int16 = 1
)

// kind says how a value's raw wire bytes become JSON.
type kind uint8

const (
	kText    kind = iota // text format → JSON string (also the fallback for every other type)
	kJSON                // json, jsonb: text format, emitted as is
	kNumeric             // text format: the exact decimal as a JSON number, NaN/±Infinity as strings
	kInt2                // binary from here on
	kInt4
	kInt8
	kFloat4
	kFloat8
	kBool
	kDate
	kTimestamp
	kTimestamptz
	kUUID
	kBytea
	kInterval
	kTstzRange      // tstzrange: binary, sent as its text in UTC (pgtext.go)
	kTstzMultirange // tstzmultirange: likewise
	kArray          // binary array of elem
	kTextArray      // text array literal of elements without a binary codec: elements as strings
	// Binary element encodings that only occur inside binary arrays.
	kTextBin    // text-like element: same bytes as the text form
	kJSONBin    // json element: the text
	kJSONBBin   // jsonb element: a version byte, then the text
	kNumericBin // numeric element: base-10000 digits
	kArrayBin   // array element (of an array of a domain over an array type): a binary array of its own, written by the codec's sub
)

// codec is how one column is requested and encoded.
type codec struct {
	kind  kind
	elem  kind // for kArray; for kJSON, its binary element form inside an array
	delim byte // for kTextArray
	// sub writes each element of an array whose elements are arrays themselves (an array of a
	// domain over an array type): for kArray with elem kArrayBin, and for kTextArray.
	sub *codec
}

func (c codec) format() int16 {
	switch c.kind {
	case kText, kJSON, kNumeric, kTextArray:
		return textFormat
	}
	return binaryFormat
}

// builtinKinds maps the OIDs with a hand-written codec. Everything else is looked up in pg_type
// (domains, arrays, enums) or sent as its text form.
var builtinKinds = map[uint32]codec{
	16:   {kind: kBool},
	17:   {kind: kBytea},
	19:   {kind: kText}, // name
	20:   {kind: kInt8},
	21:   {kind: kInt2},
	23:   {kind: kInt4},
	25:   {kind: kText},
	114:  {kind: kJSON, elem: kJSONBin},
	3802: {kind: kJSON, elem: kJSONBBin},
	700:  {kind: kFloat4},
	701:  {kind: kFloat8},
	705:  {kind: kText}, // unknown
	1042: {kind: kText}, // bpchar
	1043: {kind: kText}, // varchar
	1082: {kind: kDate},
	1114: {kind: kTimestamp},
	1184: {kind: kTimestamptz},
	1186: {kind: kInterval},
	3910: {kind: kTstzRange},
	4534: {kind: kTstzMultirange},
	1700: {kind: kNumeric},
	2950: {kind: kUUID},

	1000: {kind: kArray, elem: kBool},
	1001: {kind: kArray, elem: kBytea},
	1003: {kind: kArray, elem: kTextBin},
	1005: {kind: kArray, elem: kInt2},
	1007: {kind: kArray, elem: kInt4},
	1009: {kind: kArray, elem: kTextBin},
	1014: {kind: kArray, elem: kTextBin},
	1015: {kind: kArray, elem: kTextBin},
	1016: {kind: kArray, elem: kInt8},
	1021: {kind: kArray, elem: kFloat4},
	1022: {kind: kArray, elem: kFloat8},
	1115: {kind: kArray, elem: kTimestamp},
	1182: {kind: kArray, elem: kDate},
	1185: {kind: kArray, elem: kTimestamptz},
	1187: {kind: kArray, elem: kInterval},
	3911: {kind: kArray, elem: kTstzRange},
	6153: {kind: kArray, elem: kTstzMultirange},
	1231: {kind: kArray, elem: kNumericBin},
	2951: {kind: kArray, elem: kUUID},
	199:  {kind: kArray, elem: kJSONBin},
	3807: {kind: kArray, elem: kJSONBBin},
}

// binaryElemKind gives the binary element encoding of a scalar codec, if it has one: json's is
// its text, jsonb's a version byte and its text (c.elem). Text-like scalars (enums, citext,
// domains over text) are read as an array's text form.
func binaryElemKind(c codec) (kind, bool) {
	switch c.kind {
	case kInt2, kInt4, kInt8, kFloat4, kFloat8, kBool, kDate, kTimestamp, kTimestamptz, kUUID, kBytea, kInterval, kTstzRange, kTstzMultirange:
		return c.kind, true
	case kNumeric:
		return kNumericBin, true
	case kJSON:
		return c.elem, c.elem == kJSONBin || c.elem == kJSONBBin
	}
	return 0, false
}

// appendJSON appends v (the raw wire bytes, nil for NULL) as JSON.
func (c codec) appendJSON(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch c.kind {
	case kArray:
		return appendBinaryArray(b, v, c.elem, c.sub, 0)
	case kTextArray:
		return appendTextArray(b, v, c.delim, c.sub)
	}
	return appendScalar(b, v, c.kind)
}

func appendScalar(b, v []byte, k kind) []byte {
	switch k {
	case kText, kTextBin:
		return appendString(b, v)
	case kJSON, kJSONBin, kJSONBBin:
		return appendPGJSON(b, v, k, jsondepth.Value)
	case kNumeric:
		if len(v) > 0 && (v[0] == 'N' || v[0] == 'I' || (v[0] == '-' && len(v) > 1 && v[1] == 'I')) {
			return appendString(b, v)
		}
		return append(b, v...)
	case kNumericBin:
		return appendNumericBinary(b, v)
	case kInt2:
		if len(v) == 2 {
			return strconv.AppendInt(b, int64(int16(binary.BigEndian.Uint16(v))), 10)
		}
	case kInt4:
		if len(v) == 4 {
			return strconv.AppendInt(b, int64(int32(binary.BigEndian.Uint32(v))), 10)
		}
	case kInt8:
		if len(v) == 8 {
			return strconv.AppendInt(b, int64(binary.BigEndian.Uint64(v)), 10)
		}
	case kFloat4:
		if len(v) == 4 {
			return appendFloat(b, float64(math.Float32frombits(binary.BigEndian.Uint32(v))), 32)
		}
	case kFloat8:
		if len(v) == 8 {
			return appendFloat(b, math.Float64frombits(binary.BigEndian.Uint64(v)), 64)
		}
	case kBool:
		if len(v) == 1 {
			if v[0] != 0 {
				return append(b, "true"...)
			}
			return append(b, "false"...)
		}
	case kDate:
		if len(v) == 4 {
			return appendDate(b, int32(binary.BigEndian.Uint32(v)))
		}
	case kTimestamp:
		if len(v) == 8 {
			return appendTimestamp(b, int64(binary.BigEndian.Uint64(v)), false)
		}
	case kTimestamptz:
		if len(v) == 8 {
			return appendTimestamp(b, int64(binary.BigEndian.Uint64(v)), true)
		}
	case kInterval:
		if len(v) == 16 {
			b = append(b, '"')
			b = appendPGInterval(b, v)
			return append(b, '"')
		}
	case kTstzRange:
		return appendString(b, appendPGZonedRange(nil, v))
	case kTstzMultirange:
		return appendString(b, appendPGZonedMultirange(nil, v))
	case kUUID:
		if len(v) == 16 {
			return appendUUID(b, v)
		}
	case kBytea:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"')
	}
	// A binary value of an unexpected length cannot come from Postgres; keep the output valid.
	return appendString(b, v)
}

// appendPGJSON appends v, a json value's text (k kJSON or kJSONBin) or a jsonb's binary form (k
// kJSONBBin: a version byte, then the text), as JSON when it nests at most limit levels and else
// as a string of its text: Postgres takes deeper JSON than parsers do. limit is jsondepth.Value
// less the arrays the value is in, so that the whole value sent nests at most jsondepth.Value
// levels (as pgJSONKeyJSON names such a key).
func appendPGJSON(b, v []byte, k kind, limit int) []byte {
	if k == kJSONBBin {
		if len(v) == 0 || v[0] != 1 {
			return appendString(b, v)
		}
		v = v[1:]
	}
	if !jsondepth.Within(v, limit) {
		return appendString(b, v)
	}
	if k == kJSONBBin {
		return append(b, v...) // jsonb's text has no escapes of lone surrogates
	}
	return appendJSONText(b, v)
}

// safe marks the ASCII bytes a JSON string holds as they are.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// plain8 reports whether the first 8 bytes of s are plain ASCII a JSON string holds as they are:
// none has the high bit, none is below 0x20, none is '"' or '\\'.
func plain8(s []byte) bool {
	return plainFlags(binary.LittleEndian.Uint64(s)) == 0
}

// plainFlags has the high bit of each byte of x (8 bytes of a string, the first in the low
// byte) that a JSON string does not hold as it is: below 0x20, '"', '\\', or not ASCII. A byte
// is flagged only by itself or by a byte before it that is flagged too, never by the bytes
// after it.
func plainFlags(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ctl := (x - lo*0x20) &^ x                    // high bit where byte < 0x20 (or ≥ 0x80)
	quo := ((x ^ lo*'"') - lo) &^ (x ^ lo*'"')   // high bit where byte == '"'
	bsl := ((x ^ lo*'\\') - lo) &^ (x ^ lo*'\\') // high bit where byte == '\\'
	return (ctl | quo | bsl | x) & hi
}

// appendString appends s as a JSON string. Invalid UTF-8 (possible from a SQL_ASCII database)
// becomes U+FFFD so the body stays valid JSON.
func appendString(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip 8 plain ASCII bytes at a time: none has the high bit, none is below 0x20, none
		// is '"' or '\\'.
		for i+8 <= len(s) && plain8(s[i:]) {
			i += 8
		}
		// Fewer than 8 bytes left: when the string's last 8 bytes are plain, so are they.
		if i+8 > len(s) && len(s) >= 8 && plain8(s[len(s)-8:]) {
			i = len(s)
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat writes floats as encoding/json does (shortest repr that round-trips, exponent
// only for very small or large magnitudes); NaN and infinities, which JSON has no number for,
// become the strings Postgres prints.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmt = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, fmt, -1, bits)
	if fmt == 'e' {
		// e-09 → e-9, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Postgres counts dates and timestamps from 2000-01-01; these are its days from 1970-01-01.
const pgEpochDays = 10957

// civil converts days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
// days_from_civil inverse), exact over Postgres's whole range.
func civil(days int64) (y int64, m, d int) {
	z := days + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendYear writes a proleptic Gregorian year as ISO 8601 does, counting 1 BC as year 0 and
// 44 BC as -43. Years 0 to 9999 have four digits, as RFC 3339 has them. Any other year is an
// ISO 8601 expanded year: a sign and at least six digits ("-000043", "+010000"), the form
// JavaScript's Date and java.time read. Postgres's own "0044-03-15 BC" is read by neither, and
// a four-digit "-0043" is worse: JavaScript reads it as 2043.
func appendYear(b []byte, y int64) []byte {
	if y >= 0 && y <= 9999 {
		n := int(y)
		return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	}
	if y < 0 {
		b = append(b, '-')
		y = -y
	} else {
		b = append(b, '+')
	}
	return appendZeroPadded(b, y, 6)
}

// appendZeroPadded writes n (not negative) with at least digits digits.
func appendZeroPadded(b []byte, n int64, digits int) []byte {
	for p, i := int64(10), 1; i < digits; p, i = p*10, i+1 {
		if n < p {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, n, 10)
}

func appendYMD(b []byte, days int64) []byte {
	y, m, d := civil(days)
	b = appendYear(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// appendInfinity writes an infinite date or timestamp as Postgres prints it.
func appendInfinity(b []byte, positive bool) []byte {
	if positive {
		return append(b, `"infinity"`...)
	}
	return append(b, `"-infinity"`...)
}

// appendDate writes days since 2000-01-01 as "2019-12-08", the year as appendYear says, and
// ±infinity as Postgres prints them.
func appendDate(b []byte, days int32) []byte {
	if days == math.MaxInt32 || days == math.MinInt32 {
		return appendInfinity(b, days > 0)
	}
	return appendDateDays(b, int64(days)+pgEpochDays)
}

// appendDateDays writes days since 1970-01-01 as a JSON string, "2019-12-08", the year as
// appendYear says.
func appendDateDays(b []byte, days int64) []byte {
	b = append(b, '"')
	b = appendYMD(b, days)
	return append(b, '"')
}

// appendTimestamp writes microseconds since 2000-01-01: "2019-12-08 14:19:52[.fraction]" for
// timestamp, RFC 3339 in UTC for timestamptz (the binary form is always UTC, whatever the
// session's time zone). Years outside 0 to 9999 are written as appendYear says; ±infinity as
// Postgres prints them.
func appendTimestamp(b []byte, us int64, tz bool) []byte {
	if us == math.MaxInt64 || us == math.MinInt64 {
		return appendInfinity(b, us > 0)
	}
	days, rem := splitDays(us, usPerDay)
	return appendDayMicros(b, days+pgEpochDays, rem, tz)
}

const usPerDay = 86400 * 1000000

// splitDays splits a count of units (perDay of them in a day) into whole days, rounded down, and
// the units left.
func splitDays(v, perDay int64) (days, rem int64) {
	days, rem = v/perDay, v%perDay
	if rem < 0 {
		rem += perDay
		days--
	}
	return days, rem
}

// appendDayMicros writes a timestamp as appendTimestamp says, from its days since 1970-01-01 and
// the microseconds into that day.
func appendDayMicros(b []byte, days, rem int64, tz bool) []byte {
	b = append(b, '"')
	b = appendYMD(b, days)
	if tz {
		b = append(b, 'T')
	} else {
		b = append(b, ' ')
	}
	secs := int(rem / 1000000)
	b = append2(b, secs/3600)
	b = append(b, ':')
	b = append2(b, secs/60%60)
	b = append(b, ':')
	b = append2(b, secs%60)
	b = appendFraction(b, rem%1000000)
	if tz {
		b = append(b, 'Z')
	}
	return append(b, '"')
}

func appendUUID(b, v []byte) []byte {
	b = append(b, '"')
	for i, c := range v {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(b, '"')
}

// appendNumericBinary writes a binary numeric exactly as Postgres's numeric_out prints it.
func appendNumericBinary(b, v []byte) []byte {
	if len(v) < 8 {
		return appendString(b, v)
	}
	ndigits := int(int16(binary.BigEndian.Uint16(v[0:])))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	dscale := int(binary.BigEndian.Uint16(v[6:]))
	switch sign {
	case 0xC000:
		return append(b, `"NaN"`...)
	case 0xD000:
		return append(b, `"Infinity"`...)
	case 0xF000:
		return append(b, `"-Infinity"`...)
	}
	if ndigits < 0 || len(v) < 8+2*ndigits {
		return appendString(b, v)
	}
	digit := func(k int) int {
		if k < 0 || k >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(v[8+2*k:]))
	}
	if sign == 0x4000 {
		b = append(b, '-')
	}
	if weight < 0 {
		b = append(b, '0')
	} else {
		for k := 0; k <= weight; k++ {
			d := digit(k)
			if k == 0 {
				b = strconv.AppendInt(b, int64(d), 10)
				continue
			}
			b = append(b, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
		}
	}
	if dscale > 0 {
		b = append(b, '.')
		written := 0
		for k := weight + 1; written < dscale; k++ {
			d := digit(k)
			g := [4]byte{byte('0' + d/1000), byte('0' + d/100%10), byte('0' + d/10%10), byte('0' + d%10)}
			n := min(4, dscale-written)
			b = append(b, g[:n]...)
			written += n
		}
	}
	return b
}

// appendBinaryArray writes a binary array (any number of dimensions, NULL elements) as nested
// JSON arrays. When elem is kArrayBin, each element is a binary array of its own that sub
// writes.
//
// depth is how many arrays the array is in (an array of a domain over an array type's
// elements are in one): its json elements may nest jsondepth.Value levels less those and its own
// dimensions (appendPGJSON).
func appendBinaryArray(b, v []byte, elem kind, sub *codec, depth int) []byte {
	if len(v) < 12 {
		return appendString(b, v)
	}
	ndim := int(int32(binary.BigEndian.Uint32(v[0:])))
	if ndim == 0 {
		return append(b, '[', ']')
	}
	if ndim < 0 || ndim > 6 || len(v) < 12+8*ndim {
		return appendString(b, v)
	}
	var dims [6]int
	for i := 0; i < ndim; i++ {
		dims[i] = int(int32(binary.BigEndian.Uint32(v[12+8*i:])))
	}
	start := len(b)
	b, _, ok := appendArrayDim(b, v, 12+8*ndim, dims[:ndim], elem, sub, depth+1)
	if !ok {
		return appendString(b[:start], v)
	}
	return b
}

// appendArrayDim appends the array of dimensions dims at v[p:], depth levels deep in the value
// sent (its own '[' counted).
func appendArrayDim(b, v []byte, p int, dims []int, elem kind, sub *codec, depth int) ([]byte, int, bool) {
	b = append(b, '[')
	for i := 0; i < dims[0]; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if len(dims) > 1 {
			var ok bool
			b, p, ok = appendArrayDim(b, v, p, dims[1:], elem, sub, depth+1)
			if !ok {
				return b, p, false
			}
			continue
		}
		if p+4 > len(v) {
			return b, p, false
		}
		n := int(int32(binary.BigEndian.Uint32(v[p:])))
		p += 4
		if n < 0 {
			b = append(b, "null"...)
			continue
		}
		if p+n > len(v) {
			return b, p, false
		}
		switch elem {
		case kArrayBin: // sub is a binary array: a text one holds no json
			b = appendBinaryArray(b, v[p:p+n], sub.elem, sub.sub, depth)
		case kJSONBin, kJSONBBin:
			b = appendPGJSON(b, v[p:p+n], elem, jsondepth.Value-depth)
		default:
			b = appendScalar(b, v[p:p+n], elem)
		}
		p += n
	}
	return append(b, ']'), p, true
}

// appendTextArray parses an array's text form ({a,"b c",NULL,{...}}, optionally preceded by
// bounds such as [0:1]=) and writes nested JSON arrays of strings, null for NULL. With sub, each
// element is an array of its own (an array of a domain over an array type: {"{a,b}",NULL}),
// whose text sub parses.
func appendTextArray(b, v []byte, delim byte, sub *codec) []byte {
	p := 0
	if len(v) > 0 && v[0] == '[' {
		for p < len(v) && v[p] != '=' {
			p++
		}
		p++
	}
	if p >= len(v) || v[p] != '{' {
		return appendString(b, v)
	}
	start := len(b)
	b, _, ok := appendTextArrayLevel(b, v, p, delim, sub)
	if !ok {
		return appendString(b[:start], v)
	}
	return b
}

func appendTextArrayLevel(b, v []byte, p int, delim byte, sub *codec) ([]byte, int, bool) {
	// v[p] == '{'
	p++
	b = append(b, '[')
	if p < len(v) && v[p] == '}' {
		return append(b, ']'), p + 1, true
	}
	var elem []byte
	for first := true; ; first = false {
		if p >= len(v) {
			return b, p, false
		}
		if !first {
			b = append(b, ',')
		}
		switch v[p] {
		case '{':
			var ok bool
			b, p, ok = appendTextArrayLevel(b, v, p, delim, sub)
			if !ok {
				return b, p, false
			}
		case '"':
			elem = elem[:0]
			p++
			for ; p < len(v) && v[p] != '"'; p++ {
				if v[p] == '\\' {
					p++
					if p >= len(v) {
						return b, p, false
					}
				}
				elem = append(elem, v[p])
			}
			if p >= len(v) {
				return b, p, false
			}
			p++
			if sub != nil {
				b = sub.appendJSON(b, elem)
			} else {
				b = appendString(b, elem)
			}
		default:
			s := p
			for p < len(v) && v[p] != delim && v[p] != '}' {
				p++
			}
			raw := v[s:p]
			if len(raw) == 4 && (raw[0]|0x20) == 'n' && (raw[1]|0x20) == 'u' && (raw[2]|0x20) == 'l' && (raw[3]|0x20) == 'l' {
				b = append(b, "null"...)
			} else if sub != nil {
				b = sub.appendJSON(b, raw)
			} else {
				b = appendString(b, raw)
			}
		}
		if p >= len(v) {
			return b, p, false
		}
		if v[p] == '}' {
			return append(b, ']'), p + 1, true
		}
		if v[p] != delim {
			return b, p, false
		}
		p++
	}
}

// appendJSONText appends v, a json value's text, as it is, but for each escape of a lone
// UTF-16 surrogate ("\ud800" not followed by a low surrogate's escape, or "\udc00" alone),
// written "\ufffd". Postgres's json keeps its text as written and does not check that its
// escapes are UTF-16 (jsonb does): a lone surrogate is JSON by RFC 8259's grammar, but strict
// parsers (Rust's serde_json, I-JSON's) refuse the whole body for one. A backslash is always
// in a string and always an escape in valid JSON, so escapes are found without tracking
// strings: "\\ud800" is an escaped backslash, then text.
func appendJSONText(b, v []byte) []byte {
	start := 0
	for i := 0; ; {
		j := bytes.IndexByte(v[i:], '\\')
		if j < 0 || i+j+1 >= len(v) {
			break
		}
		i += j
		if v[i+1] != 'u' {
			i += 2
			continue
		}
		r, ok := hex4(v[i+2:])
		switch {
		case !ok || r < 0xD800 || r > 0xDFFF:
			i += 2
			continue
		case r <= 0xDBFF && i+12 <= len(v) && v[i+6] == '\\' && v[i+7] == 'u':
			if r2, ok := hex4(v[i+8:]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
				i += 12
				continue
			}
		}
		b = append(b, v[start:i]...)
		b = append(b, `\ufffd`...)
		i += 6
		start = i
	}
	return append(b, v[start:]...)
}

// hex4 reads the four hex digits v starts with.
func hex4(v []byte) (rune, bool) {
	if len(v) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range v[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			r = r<<4 | rune(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
