package warehouse

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// What a Postgres read must not take from the session's settings. Postgres prints values by
// settings a user, a role (ALTER ROLE ... SET), a database (ALTER DATABASE ... SET) or the URL
// (options=-c ...) may change: TimeZone, DateStyle, IntervalStyle, extra_float_digits,
// bytea_output, quote_all_identifiers. A key's text is what the ledger keeps, and a record's JSON
// what it hashes: were they to follow those settings, changing one would send every record again
// and make a mirror delete the keys as the old settings printed them, naming records it keeps.
// So:
//
//   - Connect pins the settings that only change how values are printed, never what a query
//     means: DateStyle's output style to ISO (its field order, which reads dates such as
//     '01/02/2020', stays the session's), extra_float_digits to 3 (the shortest text that reads
//     back as the same float, as every positive value and the default 1 print), bytea_output to
//     hex, quote_all_identifiers off (on, a regclass or regtype is printed quoted, "ss" for ss,
//     and so is a model's quote_ident or format('%I') of a name that needs no quotes).
//   - TimeZone and IntervalStyle change what the model's SQL means (created_at::date and
//     date_trunc evaluate in the session's zone; in sql_standard style '-1 2:03:04' is minus one
//     day and minus 2:03:04), so they stay the session's, and the runner writes the values they
//     print itself, from the binary form Postgres sends: a timestamptz in UTC (encode.go, and
//     its key text here: "2020-01-02 03:04:05.5+00", as a session in UTC prints it), an interval
//     as the default style, postgres, prints it ("1 year 2 mons 3 days 04:05:06.5"), arrays of
//     either too. Those are the texts ledgers already hold under the default settings (UTC,
//     ISO, postgres), so a sync that ran under them sees no change.
//
// A range or multirange of timestamptz (tstzrange, tstzmultirange) is written so too, in UTC.
// A composite, an array of composites or a range type of the model's own holding a timestamptz or
// an interval is read as its text with those parts rewritten so (pgzoned.go). Types the runner
// still reads as their text follow the session: money follows lc_monetary,
// which also says what its stored integer means (how many decimals it has); a regclass, regtype
// or other reg* value is printed schema-qualified when its schema is not on the search_path,
// which also says what the model's names mean: docs/warehouses.md says so.

// pgSessionOutput is what Connect sets in the read's transaction (SET LOCAL's scope): the output
// settings above. DateStyle keeps its field order (the part after the comma, which SHOW always
// prints: "SQL, DMY").
const pgSessionOutput = "SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = 'hex'; SET LOCAL quote_all_identifiers = off; " +
	"SELECT set_config('datestyle', 'ISO, ' || split_part(current_setting('datestyle'), ', ', 2), true)"

// pgKeyText returns the writer of a key's canonical text from its binary value, for a key
// column whose text TimeZone or IntervalStyle would change (c, its codec: a timestamptz, an
// interval, an array of either, or a domain over one of them); nil for any other, whose key text
// is its ::text.
func pgKeyText(c codec) func(dst, v []byte) []byte {
	switch {
	case c.kind == kTimestamptz:
		return appendPGZonedText
	case c.kind == kInterval:
		return appendPGInterval
	case c.kind == kTstzRange:
		return appendPGZonedRange
	case c.kind == kTstzMultirange:
		return appendPGZonedMultirange
	case c.kind == kArray && c.elem == kTimestamptz:
		return func(dst, v []byte) []byte { return appendPGArrayText(dst, v, appendPGZonedText) }
	case c.kind == kArray && c.elem == kInterval:
		return func(dst, v []byte) []byte { return appendPGArrayText(dst, v, appendPGInterval) }
	case c.kind == kArray && c.elem == kTstzRange:
		return func(dst, v []byte) []byte { return appendPGArrayText(dst, v, appendPGZonedRange) }
	case c.kind == kArray && c.elem == kTstzMultirange:
		return func(dst, v []byte) []byte { return appendPGArrayText(dst, v, appendPGZonedMultirange) }
	}
	return nil
}

// pgKeyTextTypes are the type names (Describe's) whose key text pgKeyText writes: their read
// needs no ::text column. A domain over one is read with it, and pgKeyText writes its text too.
var pgKeyTextTypes = map[string]bool{"timestamptz": true, "_timestamptz": true, "interval": true, "_interval": true,
	"tstzrange": true, "tstzmultirange": true, "_tstzrange": true, "_tstzmultirange": true}

// appendPGZonedText writes a binary timestamptz (microseconds since 2000-01-01 UTC) as
// Postgres's ::text of it in a session in UTC with DateStyle ISO: "2020-01-02 03:04:05.5+00",
// the fraction without trailing zeros, a year of at least four digits, " BC" after the offset
// for a year BC ("0044-03-15 12:00:00+00 BC"), "infinity" and "-infinity".
func appendPGZonedText(b, v []byte) []byte {
	if len(v) != 8 {
		return append(b, v...)
	}
	us := int64(binary.BigEndian.Uint64(v))
	switch us {
	case math.MaxInt64:
		return append(b, "infinity"...)
	case math.MinInt64:
		return append(b, "-infinity"...)
	}
	days, rem := splitDays(us, usPerDay)
	y, m, d := civil(days + pgEpochDays)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	b = appendZeroPadded(b, y, 4)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, ' ')
	secs := rem / 1000000
	b = appendZeroPadded(b, secs/3600, 2)
	b = append(b, ':')
	b = append2(b, int(secs/60%60))
	b = append(b, ':')
	b = append2(b, int(secs%60))
	b = appendFraction(b, rem%1000000)
	b = append(b, "+00"...)
	if bc {
		b = append(b, " BC"...)
	}
	return b
}

// appendFraction writes microseconds (0 to 999999) as Postgres does after a time's seconds:
// nothing for 0, else a point and the digits without trailing zeros.
func appendFraction(b []byte, us int64) []byte {
	if us == 0 {
		return b
	}
	var digits [7]byte
	digits[0] = '.'
	for i := 6; i >= 1; i-- {
		digits[i] = byte('0' + us%10)
		us /= 10
	}
	n := 7
	for digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}

// appendPGInterval writes a binary interval (microseconds, days, months) as Postgres's ::text of
// it with IntervalStyle postgres, the default: "1 year 2 mons 3 days 04:05:06.5",
// "-1 days +02:03:04", "00:00:00"; Postgres 17's infinite intervals "infinity" and "-infinity"
// (EncodeInterval's INTSTYLE_POSTGRES).
func appendPGInterval(b, v []byte) []byte {
	if len(v) != 16 {
		return append(b, v...)
	}
	us := int64(binary.BigEndian.Uint64(v))
	days := int64(int32(binary.BigEndian.Uint32(v[8:])))
	months := int64(int32(binary.BigEndian.Uint32(v[12:])))
	switch {
	case us == math.MaxInt64 && days == math.MaxInt32 && months == math.MaxInt32:
		return append(b, "infinity"...)
	case us == math.MinInt64 && days == math.MinInt32 && months == math.MinInt32:
		return append(b, "-infinity"...)
	}
	zero, before := true, false
	part := func(n int64, unit string) {
		if n == 0 {
			return
		}
		if !zero {
			b = append(b, ' ')
		}
		if before && n > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
		b = append(b, unit...)
		if n != 1 {
			b = append(b, 's')
		}
		before, zero = n < 0, false
	}
	part(months/12, "year")
	part(months%12, "mon")
	part(days, "day")
	hour := us / 3600000000
	us -= hour * 3600000000
	minute := us / 60000000
	us -= minute * 60000000
	sec := us / 1000000
	frac := us - sec*1000000
	if zero || hour != 0 || minute != 0 || sec != 0 || frac != 0 {
		if !zero {
			b = append(b, ' ')
		}
		if hour < 0 || minute < 0 || sec < 0 || frac < 0 {
			b = append(b, '-')
		} else if before {
			b = append(b, '+')
		}
		abs := func(n int64) int64 {
			if n < 0 {
				// -hour cannot overflow: an hour is 3.6e9 microseconds.
				return -n
			}
			return n
		}
		b = appendZeroPadded(b, abs(hour), 2)
		b = append(b, ':')
		b = append2(b, int(abs(minute)))
		b = append(b, ':')
		b = append2(b, int(abs(sec)))
		b = appendFraction(b, abs(frac))
	}
	return b
}

// appendPGArrayText writes a binary array as Postgres's ::text of it, each element's text
// written by elem: "{a,\"b c\",NULL}", "{{1,2},{3,4}}", "{}", bounds other than 1 before it
// ("[0:1]={1,2}"), an element quoted as array_out quotes it (empty, NULL in any case, or holding
// a quote, a backslash, a brace, a comma or a blank), quotes and backslashes escaped.
func appendPGArrayText(b, v []byte, elem func(dst, v []byte) []byte) []byte {
	if len(v) < 12 {
		return append(b, v...)
	}
	ndim := int(int32(binary.BigEndian.Uint32(v)))
	if ndim == 0 {
		return append(b, '{', '}')
	}
	if ndim < 0 || ndim > 6 || len(v) < 12+8*ndim {
		return append(b, v...)
	}
	var dims [6]int
	custom := false
	for i := 0; i < ndim; i++ {
		dims[i] = int(int32(binary.BigEndian.Uint32(v[12+8*i:])))
		if int32(binary.BigEndian.Uint32(v[16+8*i:])) != 1 {
			custom = true
		}
	}
	if custom {
		for i := 0; i < ndim; i++ {
			lb := int64(int32(binary.BigEndian.Uint32(v[16+8*i:])))
			b = append(b, '[')
			b = strconv.AppendInt(b, lb, 10)
			b = append(b, ':')
			b = strconv.AppendInt(b, lb+int64(dims[i])-1, 10)
			b = append(b, ']')
		}
		b = append(b, '=')
	}
	var scratch []byte
	var level func(p int, dims []int) (int, bool)
	level = func(p int, dims []int) (int, bool) {
		b = append(b, '{')
		for i := 0; i < dims[0]; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			if len(dims) > 1 {
				var ok bool
				if p, ok = level(p, dims[1:]); !ok {
					return p, false
				}
				continue
			}
			if p+4 > len(v) {
				return p, false
			}
			n := int(int32(binary.BigEndian.Uint32(v[p:])))
			p += 4
			if n < 0 {
				b = append(b, "NULL"...)
				continue
			}
			if p+n > len(v) {
				return p, false
			}
			scratch = elem(scratch[:0], v[p:p+n])
			p += n
			b = appendArrayElem(b, scratch)
		}
		b = append(b, '}')
		return p, true
	}
	start := len(b)
	if _, ok := level(12+8*ndim, dims[:ndim]); !ok {
		return append(b[:start], v...)
	}
	return b
}

// appendArrayElem writes one element's text into an array's, quoted when array_out quotes it.
func appendArrayElem(b, s []byte) []byte {
	null := len(s) == 4 && (s[0]|0x20) == 'n' && (s[1]|0x20) == 'u' && (s[2]|0x20) == 'l' && (s[3]|0x20) == 'l'
	return appendQuotedPart(b, s, `"\{},`, '\\', null)
}

// appendQuotedPart writes s, a part of a value's text (an array's element, a record's field, a
// range's bound), as Postgres's output function of the whole writes it: in double quotes when it
// is empty, holds a blank or a byte of special, or quote says so; inside the quotes each quote
// and backslash preceded by escape (array_out: a backslash), or by itself when escape is 0
// (record_out and range_out: doubled).
func appendQuotedPart(b, s []byte, special string, escape byte, quote bool) []byte {
	quote = quote || len(s) == 0
	for _, c := range s {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		default:
			quote = quote || strings.IndexByte(special, c) >= 0
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for _, c := range s {
		if c == '"' || c == '\\' {
			if escape == 0 {
				b = append(b, c)
			} else {
				b = append(b, escape)
			}
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// appendPGZonedRange writes a binary tstzrange as Postgres's ::text of it in a session in UTC:
// "[\"2020-01-01 00:00:00+00\",\"2020-01-02 00:00:00+00\")", "(,infinity]", "empty"
// (range_out: each bound quoted when it is empty or holds a quote, a backslash, a parenthesis,
// a bracket, a comma or a blank, its quotes and backslashes doubled).
func appendPGZonedRange(b, v []byte) []byte { return appendRangeText(b, v, appendPGZonedText) }

// appendRangeText writes a binary range as range_out does, each bound's text written by bound
// from its binary value (appendPGZonedRange's rules).
func appendRangeText(b, v []byte, bound func(dst, v []byte) []byte) []byte {
	const empty, lbInc, ubInc, lbInf, ubInf = 0x01, 0x02, 0x04, 0x08, 0x10
	if len(v) < 1 {
		return append(b, v...)
	}
	flags, p := v[0], v[1:]
	if flags&empty != 0 {
		return append(b, "empty"...)
	}
	boundOf := func(inf byte) ([]byte, bool) {
		if flags&inf != 0 {
			return nil, true
		}
		if len(p) < 4 {
			return nil, false
		}
		n := int(int32(binary.BigEndian.Uint32(p)))
		if n < 0 || len(p) < 4+n {
			return nil, false
		}
		x := p[4 : 4+n]
		p = p[4+n:]
		return x, true
	}
	lower, ok1 := boundOf(lbInf)
	upper, ok2 := boundOf(ubInf)
	if !ok1 || !ok2 || len(p) != 0 {
		return append(b, v...)
	}
	if flags&lbInc != 0 {
		b = append(b, '[')
	} else {
		b = append(b, '(')
	}
	var scratch [48]byte
	for i, x := range [][]byte{lower, upper} {
		if i == 1 {
			b = append(b, ',')
		}
		if flags&(lbInf<<i) != 0 {
			continue
		}
		b = appendQuotedPart(b, bound(scratch[:0], x), `"\()[],`, 0, false)
	}
	if flags&ubInc != 0 {
		return append(b, ']')
	}
	return append(b, ')')
}

// appendPGZonedMultirange writes a binary tstzmultirange as Postgres's ::text of it in a session
// in UTC: its ranges as appendPGZonedRange writes them, "{[...),[...)}".
func appendPGZonedMultirange(b, v []byte) []byte {
	return appendMultirangeText(b, v, appendPGZonedText)
}

// appendMultirangeText writes a binary multirange as multirange_out does, each range as
// appendRangeText writes it with bound.
func appendMultirangeText(b, v []byte, bound func(dst, v []byte) []byte) []byte {
	if len(v) < 4 {
		return append(b, v...)
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	start, p := len(b), v[4:]
	b = append(b, '{')
	for i := 0; i < n; i++ {
		if len(p) < 4 {
			return append(b[:start], v...)
		}
		size := int(int32(binary.BigEndian.Uint32(p)))
		if size < 0 || len(p) < 4+size {
			return append(b[:start], v...)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRangeText(b, p[4:4+size], bound)
		p = p[4+size:]
	}
	return append(b, '}')
}
