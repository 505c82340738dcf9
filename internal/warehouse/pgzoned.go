package warehouse

import (
	"encoding/binary"
)

// The types whose text the runner otherwise reads as Postgres prints it but which hold a
// timestamptz or an interval somewhere inside: a composite (a row type, or a domain over one)
// with such a field, at any depth, or an anonymous ROW(...), an array of those, a range or multirange type of
// the model's own over timestamptz or interval (CREATE TYPE ... AS RANGE). Their text follows
// the session's TimeZone and IntervalStyle (pgtext.go says why that must not reach a key or a
// record), so such a column is read twice: as its text, and as its binary value, from which
// zonedText rewrites the zoned parts as a session in UTC with IntervalStyle postgres prints
// them, keeping the rest of the text as the session printed it (its other fields' texts do not
// depend on the session: pgSessionOutput pins what would).

// anonymousRecord is the type of a ROW(...) the model's SQL makes without naming a type: its
// fields' types are in each binary value, so such a column is always read in binary too.
// anonymousRecordArray (record[]) is a pseudo-type in pg_type, not an array.
const (
	anonymousRecord      = 2249
	anonymousRecordArray = 2287
)

// anonymous reports whether oid is record or record[].
func anonymous(oid uint32) bool { return oid == anonymousRecord || oid == anonymousRecordArray }

// Built-in types whose text follows TimeZone or IntervalStyle, and arrays of them.
var zonedBuiltins = map[uint32]bool{1184: true, 1186: true, 3910: true, 4534: true, 1185: true, 1187: true, 3911: true, 6153: true}

// plainBuiltins are the built-in base, range and multirange types (and arrays of them) whose text
// holds no timestamptz or interval, those builtinKinds does not hold included (xml, inet, box,
// money, tsvector, int4range, ...): an anonymous record's field of such a type keeps its text as
// the session printed it, as the same column would (a record's field of a type not looked up
// otherwise keeps the whole record's text). Their OIDs are fixed across Postgres versions.
var plainBuiltins = map[uint32]bool{}

func init() {
	for _, oid := range []uint32{16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 114, 142, 143, 194, 199, 271,
		600, 601, 602, 603, 604, 628, 629, 650, 651, 700, 701, 718, 719, 774, 775, 790, 791, 829, 869,
		1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 1015, 1016, 1017, 1018,
		1019, 1020, 1021, 1022, 1027, 1028, 1033, 1034, 1040, 1041, 1042, 1043, 1082, 1083, 1114, 1115,
		1182, 1183, 1231, 1266, 1270, 1560, 1561, 1562, 1563, 1700, 1790, 2201, 2202, 2203, 2204, 2205,
		2206, 2207, 2208, 2209, 2210, 2211, 2949, 2950, 2951, 2970, 3220, 3221, 3361, 3402, 3614, 3615,
		3642, 3643, 3644, 3645, 3734, 3735, 3769, 3770, 3802, 3807, 3904, 3905, 3906, 3907, 3908, 3909,
		3912, 3913, 3926, 3927, 4072, 4073, 4089, 4090, 4096, 4097, 4191, 4192, 4451, 4532, 4533, 4535,
		4536, 4600, 4601, 5017, 5038, 5039, 5069, 6150, 6151, 6152, 6155, 6157} {
		plainBuiltins[oid] = true
	}
}

// zonedType reports whether a value of type oid prints a timestamptz or an interval somewhere
// in its text, and so needs zonedText. Only types types holds (codecsFor's lookup) are followed.
func zonedType(oid uint32, types map[uint32]pgType, depth int) bool {
	if zonedBuiltins[oid] || anonymous(oid) {
		return true // an anonymous record's fields are known only from its binary value
	}
	t, ok := types[oid]
	if !ok || depth > 8 {
		return false
	}
	switch {
	case t.domain:
		return zonedType(t.base, types, depth+1)
	case t.array:
		return zonedType(t.elem, types, depth+1)
	case t.sub != 0:
		return zonedBound(t.sub, types, depth+1) != nil
	}
	for _, a := range t.attrs {
		if zonedType(a, types, depth+1) {
			return true
		}
	}
	return false
}

// binarySendable reports whether Postgres can send a value of type oid in binary: every type
// it is made of has a send function (an extension's type may have none, and reading it in
// binary would fail the read).
func binarySendable(oid uint32, types map[uint32]pgType, depth int) bool {
	if _, ok := builtinKinds[oid]; ok {
		return true
	}
	t, ok := types[oid]
	if !ok || !t.send || depth > 8 {
		return false
	}
	switch {
	case t.domain:
		return binarySendable(t.base, types, depth+1)
	case t.array:
		return binarySendable(t.elem, types, depth+1)
	case t.sub != 0:
		return binarySendable(t.sub, types, depth+1)
	}
	for _, a := range t.attrs {
		if !binarySendable(a, types, depth+1) {
			return false
		}
	}
	return true
}

// zonedBound returns the writer of a range bound's text from its binary value, for a range over
// a timestamptz or an interval (or a domain over one); nil for any other subtype.
func zonedBound(oid uint32, types map[uint32]pgType, depth int) func(dst, v []byte) []byte {
	switch oid {
	case 1184:
		return appendPGZonedText
	case 1186:
		return appendPGInterval
	}
	if t, ok := types[oid]; ok && t.domain && depth <= 8 {
		return zonedBound(t.base, types, depth+1)
	}
	return nil
}

// zonedText appends the text of a value of type oid as a session in UTC with IntervalStyle
// postgres prints it, given the text the session printed (txt) and its binary value (bin). It
// returns false when the two do not describe the same value as expected (the caller keeps txt).
func zonedText(dst []byte, oid uint32, txt, bin []byte, types map[uint32]pgType, depth int) ([]byte, bool) {
	if depth > 16 {
		return dst, false
	}
	if zonedBuiltins[oid] {
		return pgKeyText(builtinKinds[oid])(dst, bin), true
	}
	if !zonedType(oid, types, 0) {
		return append(dst, txt...), true
	}
	t := types[oid]
	switch {
	case oid == anonymousRecordArray:
		return zonedArrayText(dst, anonymousRecord, txt, bin, types, depth)
	case t.domain:
		return zonedText(dst, t.base, txt, bin, types, depth+1)
	case t.array:
		return zonedArrayText(dst, t.elem, txt, bin, types, depth)
	case t.sub != 0:
		bound := zonedBound(t.sub, types, 0)
		if t.multi {
			return appendMultirangeText(dst, bin, bound), true
		}
		return appendRangeText(dst, bin, bound), true
	}
	return zonedRecordText(dst, txt, bin, types, depth)
}

// zonedRecordText rewrites a composite's text (record_out's: "(1,\"a b\",,2020-01-01)") field by
// field from its binary value (record_send's: the field count, then each field's type, length
// and bytes), quoting each field as record_out does.
func zonedRecordText(dst, txt, bin []byte, types map[uint32]pgType, depth int) ([]byte, bool) {
	fields, ok := splitRecordText(txt)
	if !ok || len(bin) < 4 {
		return dst, false
	}
	n := int(int32(binary.BigEndian.Uint32(bin)))
	if n == 0 && len(fields) == 1 && len(fields[0]) == 0 {
		fields = fields[:0] // "()": no field, or one NULL (n says which)
	}
	if n != len(fields) {
		return dst, false
	}
	p := 4
	dst = append(dst, '(')
	var scratch []byte
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		if p+8 > len(bin) {
			return dst, false
		}
		oid := binary.BigEndian.Uint32(bin[p:])
		size := int(int32(binary.BigEndian.Uint32(bin[p+4:])))
		p += 8
		if size < 0 {
			continue // NULL: nothing between the commas
		}
		if p+size > len(bin) {
			return dst, false
		}
		anon := anonymous(oid) // known from its value
		if _, known := builtinKinds[oid]; !known && !anon && !plainBuiltins[oid] && types[oid].oid != oid {
			// A field of a type not looked up (in an anonymous record: a domain, composite or
			// range of the model's own): what its text holds is unknown, so the whole value
			// keeps the session's text rather than being rewritten in part.
			return dst, false
		}
		if scratch, ok = zonedText(scratch[:0], oid, fields[i], bin[p:p+size], types, depth+1); !ok {
			return dst, false
		}
		p += size
		dst = appendRecordField(dst, scratch)
	}
	return append(dst, ')'), p == len(bin)
}

// splitRecordText splits a composite's text into its fields' texts, unquoted: record_in's
// reading (a quoted part's "" is a quote, a backslash escapes the next byte anywhere).
func splitRecordText(txt []byte) ([][]byte, bool) {
	if len(txt) < 2 || txt[0] != '(' || txt[len(txt)-1] != ')' {
		return nil, false
	}
	s := txt[1 : len(txt)-1]
	var fields [][]byte
	cur := []byte{}
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
			if i == len(s) {
				return nil, false
			}
			cur = append(cur, s[i])
		case c == '"':
			if quoted && i+1 < len(s) && s[i+1] == '"' {
				cur = append(cur, '"')
				i++
			} else {
				quoted = !quoted
			}
		case c == ',' && !quoted:
			fields = append(fields, cur)
			cur = []byte{}
		default:
			cur = append(cur, c)
		}
	}
	if quoted {
		return nil, false
	}
	return append(fields, cur), true
}

// appendRecordField writes a field's text as record_out does: in quotes when it is empty or
// holds a quote, a backslash, a parenthesis, a comma or a blank, its quotes and backslashes
// doubled.
func appendRecordField(b, s []byte) []byte { return appendQuotedPart(b, s, `"\(),`, 0, false) }

// zonedArrayText rewrites an array's text element by element from its binary value: the text's
// elements (splitArrayText) and the binary's are in the same order, NULLs in both.
func zonedArrayText(dst []byte, elem uint32, txt, bin []byte, types map[uint32]pgType, depth int) ([]byte, bool) {
	delim := byte(',')
	if t, ok := types[elem]; ok && t.delim != 0 {
		delim = t.delim
	}
	if delim != ',' {
		return dst, false // appendPGArrayText writes commas; no zoned type uses another delimiter
	}
	elems, ok := splitArrayText(txt, delim)
	if !ok {
		return dst, false
	}
	next, good := 0, true
	dst = appendPGArrayText(dst, bin, func(d, v []byte) []byte {
		if next >= len(elems) {
			good = false
			return d
		}
		var ok bool
		d, ok = zonedText(d, elem, elems[next], v, types, depth+1)
		good = good && ok
		next++
		return d
	})
	return dst, good && next == len(elems)
}

// splitArrayText returns an array's elements from its text ({a,"b c",NULL,{d}}, after bounds
// such as [0:1]= when it has them), unquoted, in order, its NULLs left out.
func splitArrayText(txt []byte, delim byte) ([][]byte, bool) {
	p := 0
	if len(txt) > 0 && txt[0] == '[' {
		for p < len(txt) && txt[p] != '=' {
			p++
		}
		p++
	}
	if p >= len(txt) || txt[p] != '{' {
		return nil, false
	}
	var elems [][]byte
	for p < len(txt) {
		switch c := txt[p]; {
		case c == '{' || c == '}' || c == delim:
			p++
		case c == '"':
			e := []byte{}
			for p++; p < len(txt) && txt[p] != '"'; p++ {
				if txt[p] == '\\' {
					p++
					if p == len(txt) {
						return nil, false
					}
				}
				e = append(e, txt[p])
			}
			if p == len(txt) {
				return nil, false
			}
			p++
			elems = append(elems, e)
		default:
			s := p
			for p < len(txt) && txt[p] != delim && txt[p] != '}' {
				p++
			}
			raw := txt[s:p]
			if !(len(raw) == 4 && (raw[0]|0x20) == 'n' && (raw[1]|0x20) == 'u' && (raw[2]|0x20) == 'l' && (raw[3]|0x20) == 'l') {
				elems = append(elems, raw)
			}
		}
	}
	return elems, true
}
