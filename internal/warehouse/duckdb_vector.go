//go:build cgo

package warehouse

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// DuckDB's vectors as JSON: a streamed result is read chunk by chunk (up to 2048 rows) through
// DuckDB's C API, and each value is encoded straight from the chunk's memory, with no Go value
// in between. duckType is a result column's type, read once per read; duckVec is one chunk's
// vector of it. The layouts are DuckDB's C API's (duckdb.h): fixed-width values in place,
// duckdb_string_t for VARCHAR and BLOB, duckdb_list_entry for LIST and MAP, a validity bit mask.

// duckType is a column's type, as the encoder needs it.
type duckType struct {
	id       bindings.Type
	raw      bool          // VARCHAR that holds JSON, or a number DuckDB printed (a column cast to VARCHAR): sent as is
	number   bool          // a number DuckDB printed: sent as an exact JSON number
	scale    uint8         // DECIMAL
	internal bindings.Type // DECIMAL's and ENUM's storage type
	enum     [][]byte      // ENUM's values, JSON-quoted
	names    [][]byte      // STRUCT's field names, JSON-quoted
	kids     []*duckType   // LIST, ARRAY: the element; STRUCT: the fields; MAP: key and value
	size     uint64        // ARRAY's length
	unnamed  bool          // STRUCT whose fields have no names (row(1, 'x')): an array
	strKeys  bool          // MAP whose keys are VARCHAR: an object
}

// errDuckType is a type the encoder cannot read from a vector (duckdb.go reads such columns
// as text).
var errDuckType = errors.New("this DuckDB type cannot be read from a vector")

// newDuckType reads a logical type (and destroys it).
func newDuckType(lt bindings.LogicalType) (*duckType, error) {
	defer bindings.DestroyLogicalType(&lt)
	t := &duckType{id: bindings.GetTypeId(lt)}
	switch t.id {
	case bindings.TypeBoolean, bindings.TypeTinyInt, bindings.TypeSmallInt, bindings.TypeInteger, bindings.TypeBigInt,
		bindings.TypeUTinyInt, bindings.TypeUSmallInt, bindings.TypeUInteger, bindings.TypeUBigInt,
		bindings.TypeHugeInt, bindings.TypeUHugeInt, bindings.TypeFloat, bindings.TypeDouble, bindings.TypeBlob,
		bindings.TypeDate, bindings.TypeTime, bindings.TypeTimestamp, bindings.TypeTimestampS, bindings.TypeTimestampMS,
		bindings.TypeTimestampNS, bindings.TypeTimestampTZ, bindings.TypeTimestampTZNS, bindings.TypeUUID, bindings.TypeInterval,
		bindings.TypeSQLNull, bindings.TypeTimeTZ, bindings.TypeTimeNS, bindings.TypeBit:
	case bindings.TypeVarchar:
		t.raw = bindings.LogicalTypeGetAlias(lt) == "JSON"
	case bindings.TypeDecimal:
		t.scale, t.internal = bindings.DecimalScale(lt), bindings.DecimalInternalType(lt)
	case bindings.TypeEnum:
		t.internal = bindings.EnumInternalType(lt)
		n := bindings.EnumDictionarySize(lt)
		t.enum = make([][]byte, n)
		for i := range n {
			t.enum[i] = appendString(nil, []byte(bindings.EnumDictionaryValue(lt, bindings.IdxT(i))))
		}
	case bindings.TypeList:
		k, err := newDuckType(bindings.ListTypeChildType(lt))
		if err != nil {
			return nil, err
		}
		t.kids = []*duckType{k}
	case bindings.TypeArray:
		k, err := newDuckType(bindings.ArrayTypeChildType(lt))
		if err != nil {
			return nil, err
		}
		t.kids, t.size = []*duckType{k}, uint64(bindings.ArrayTypeArraySize(lt))
	case bindings.TypeStruct:
		n := bindings.StructTypeChildCount(lt)
		for i := range n {
			k, err := newDuckType(bindings.StructTypeChildType(lt, i))
			if err != nil {
				return nil, err
			}
			t.kids = append(t.kids, k)
			t.names = append(t.names, appendString(nil, []byte(bindings.StructTypeChildName(lt, i))))
		}
		t.unnamed = duckUnnamedStruct(lt)
	case bindings.TypeUnion:
		n := bindings.UnionTypeMemberCount(lt)
		for i := range n {
			k, err := newDuckType(bindings.UnionTypeMemberType(lt, i))
			if err != nil {
				return nil, err
			}
			t.kids = append(t.kids, k)
			t.names = append(t.names, appendString(nil, []byte(bindings.UnionTypeMemberName(lt, i))))
		}
	case bindings.TypeMap:
		key, err := newDuckType(bindings.MapTypeKeyType(lt))
		if err != nil {
			return nil, err
		}
		value, err := newDuckType(bindings.MapTypeValueType(lt))
		if err != nil {
			return nil, err
		}
		t.kids, t.strKeys = []*duckType{key, value}, key.id == bindings.TypeVarchar
	default:
		return nil, fmt.Errorf("DuckDB type %d: %w", t.id, errDuckType)
	}
	return t, nil
}

// duckVec is a vector of one chunk: its data, its validity mask (nil: no NULLs) and, for
// nested types, its children.
type duckVec struct {
	t     *duckType
	data  unsafe.Pointer
	valid unsafe.Pointer
	kids  []duckVec
	tags  unsafe.Pointer // UNION: which member each row holds (a UTINYINT)
}

// bindDuckVec reads vector v of type t (a few C calls per vector and chunk, none per value).
func bindDuckVec(v bindings.Vector, t *duckType) duckVec {
	d := duckVec{t: t, data: bindings.VectorGetData(v), valid: bindings.VectorGetValidity(v)}
	switch t.id {
	case bindings.TypeList:
		d.kids = []duckVec{bindDuckVec(bindings.ListVectorGetChild(v), t.kids[0])}
	case bindings.TypeArray:
		d.kids = []duckVec{bindDuckVec(bindings.ArrayVectorGetChild(v), t.kids[0])}
	case bindings.TypeStruct:
		d.kids = make([]duckVec, len(t.kids))
		for i, k := range t.kids {
			d.kids[i] = bindDuckVec(bindings.StructVectorGetChild(v, bindings.IdxT(i)), k)
		}
	case bindings.TypeUnion:
		// A UNION is a STRUCT of its tag, then its members.
		d.tags = bindings.VectorGetData(bindings.StructVectorGetChild(v, 0))
		d.kids = make([]duckVec, len(t.kids))
		for i, k := range t.kids {
			d.kids[i] = bindDuckVec(bindings.StructVectorGetChild(v, bindings.IdxT(i+1)), k)
		}
	case bindings.TypeMap:
		// A MAP is a LIST of STRUCT(key, value).
		entries := bindings.ListVectorGetChild(v)
		d.kids = []duckVec{
			bindDuckVec(bindings.StructVectorGetChild(entries, 0), t.kids[0]),
			bindDuckVec(bindings.StructVectorGetChild(entries, 1), t.kids[1]),
		}
	}
	return d
}

func (d *duckVec) null(row uint64) bool {
	if d.valid == nil {
		return false
	}
	return *(*uint64)(unsafe.Add(d.valid, row/64*8))>>(row%64)&1 == 0
}

func at[T any](p unsafe.Pointer, row uint64) T {
	var zero T
	return *(*T)(unsafe.Add(p, uintptr(row)*unsafe.Sizeof(zero)))
}

// bytes is the row's duckdb_string_t: 16 bytes, the length first, then up to 12 bytes inline,
// or a 4-byte prefix and a pointer.
func (d *duckVec) bytes(row uint64) []byte {
	p := unsafe.Add(d.data, row*16)
	n := *(*uint32)(p)
	if n <= 12 {
		return unsafe.Slice((*byte)(unsafe.Add(p, 4)), n)
	}
	return unsafe.Slice(*(**byte)(unsafe.Add(p, 8)), n)
}

// appendVarchar appends the row's VARCHAR as a JSON string, as appendString does. A string
// DuckDB keeps inline (12 bytes or fewer) that is plain ASCII, which a JSON string holds as it
// is, is checked and copied as two words straight from the duckdb_string_t (whatever DuckDB left
// after its length is masked off); any other goes through appendString.
func (d *duckVec) appendVarchar(b []byte, row uint64) []byte {
	p := unsafe.Add(d.data, row*16)
	n := int(*(*uint32)(p))
	start := len(b)
	if n <= 12 {
		w := (*[16]byte)(p)
		lo, hi := binary.LittleEndian.Uint64(w[4:]), binary.LittleEndian.Uint64(w[8:])>>32
		// Only the string's own bytes count: a flag is never set by the bytes after it (see
		// plainFlags), and those are masked off.
		if plainFlags(lo)&byteMask(min(n, 8)) != 0 || n > 8 && plainFlags(hi)&byteMask(n-8) != 0 {
			return appendString(b, w[4:4+n])
		}
		b = slices.Grow(b, 16)
		out := b[start : start+16]
		out[0] = '"'
		binary.LittleEndian.PutUint64(out[1:], lo)
		binary.LittleEndian.PutUint32(out[9:], uint32(hi))
		out[1+n] = '"'
		return b[:start+n+2]
	}
	return appendString(b, d.bytes(row))
}

// byteMask has the high bits of the first n bytes (n ≤ 8) of a word.
func byteMask(n int) uint64 {
	return 0x8080808080808080 >> (64 - 8*n)
}

// appendJSON appends the row's value as JSON, by the README's rules (as duckdb.go lists them).
func (d *duckVec) appendJSON(b []byte, row uint64) []byte { return d.appendJSONIn(b, row, 0) }

// appendJSONIn is appendJSON for a value inside depth arrays and objects of the value sent: JSON
// in it may nest jsondepth.Value levels less those (appendStrictJSONWithin).
func (d *duckVec) appendJSONIn(b []byte, row uint64, depth int) []byte {
	if d.null(row) {
		return append(b, "null"...)
	}
	p := d.data
	switch d.t.id {
	case bindings.TypeBoolean:
		return strconv.AppendBool(b, at[bool](p, row))
	case bindings.TypeTinyInt:
		return strconv.AppendInt(b, int64(at[int8](p, row)), 10)
	case bindings.TypeSmallInt:
		return strconv.AppendInt(b, int64(at[int16](p, row)), 10)
	case bindings.TypeInteger:
		return strconv.AppendInt(b, int64(at[int32](p, row)), 10)
	case bindings.TypeBigInt:
		return strconv.AppendInt(b, at[int64](p, row), 10)
	case bindings.TypeUTinyInt:
		return strconv.AppendUint(b, uint64(at[uint8](p, row)), 10)
	case bindings.TypeUSmallInt:
		return strconv.AppendUint(b, uint64(at[uint16](p, row)), 10)
	case bindings.TypeUInteger:
		return strconv.AppendUint(b, uint64(at[uint32](p, row)), 10)
	case bindings.TypeUBigInt:
		return strconv.AppendUint(b, at[uint64](p, row), 10)
	case bindings.TypeHugeInt:
		h := at[[2]uint64](p, row)
		return appendInt128(b, h[0], h[1], true, 0)
	case bindings.TypeUHugeInt:
		h := at[[2]uint64](p, row)
		return appendInt128(b, h[0], h[1], false, 0)
	case bindings.TypeFloat:
		return appendFloat(b, float64(at[float32](p, row)), 32)
	case bindings.TypeDouble:
		return appendFloat(b, at[float64](p, row), 64)
	case bindings.TypeDecimal:
		switch d.t.internal {
		case bindings.TypeSmallInt:
			return appendDecimal(b, int64(at[int16](p, row)), d.t.scale)
		case bindings.TypeInteger:
			return appendDecimal(b, int64(at[int32](p, row)), d.t.scale)
		case bindings.TypeBigInt:
			return appendDecimal(b, at[int64](p, row), d.t.scale)
		default:
			h := at[[2]uint64](p, row)
			return appendInt128(b, h[0], h[1], true, d.t.scale)
		}
	case bindings.TypeVarchar:
		switch {
		case d.t.number:
			return appendDigits(b, d.bytes(row))
		case d.t.raw:
			// JSON's text, or to_json's: DuckDB's need not be strict (NaN, trailing commas).
			return appendStrictJSONWithin(b, d.bytes(row), jsondepth.Value-depth)
		}
		return d.appendVarchar(b, row)
	case bindings.TypeBlob:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, d.bytes(row))
		return append(b, '"')
	case bindings.TypeDate:
		return appendDuckDate(b, at[int32](p, row))
	case bindings.TypeTime:
		return appendDuckTime(b, at[int64](p, row))
	case bindings.TypeTimeNS:
		return appendDuckTimeNS(b, at[int64](p, row))
	case bindings.TypeTimeTZ:
		return appendDuckTimeTZ(b, at[uint64](p, row))
	case bindings.TypeBit:
		return appendDuckBit(b, d.bytes(row))
	case bindings.TypeTimestamp, bindings.TypeTimestampTZ, bindings.TypeTimestampS, bindings.TypeTimestampMS, bindings.TypeTimestampNS,
		bindings.TypeTimestampTZNS:
		v := at[int64](p, row)
		switch {
		case v == math.MaxInt64 || v == -math.MaxInt64:
			return appendInfinity(b, v > 0)
		case d.t.id == bindings.TypeTimestamp:
			return appendDuckTimestamp(b, v, 1000000, false)
		case d.t.id == bindings.TypeTimestampTZ:
			return appendDuckTimestamp(b, v, 1000000, true)
		case d.t.id == bindings.TypeTimestampS:
			return appendDuckTimestamp(b, v, 1, false)
		case d.t.id == bindings.TypeTimestampMS:
			return appendDuckTimestamp(b, v, 1000, false)
		case d.t.id == bindings.TypeTimestampTZNS:
			// Nanoseconds since 1970 in UTC: RFC 3339 in UTC, as a TIMESTAMPTZ, with the
			// nanoseconds (years 1677 to 2262, four digits).
			return appendDuckFormat(b, time.Unix(0, v), "2006-01-02T15:04:05.999999999Z07:00")
		}
		return appendDuckFormat(b, time.Unix(0, v), "2006-01-02 15:04:05.999999999")
	case bindings.TypeUUID:
		// Stored as a HUGEINT with the top bit flipped, so that UUIDs sort as their text does.
		h := at[[2]uint64](p, row)
		var u [16]byte
		binary.BigEndian.PutUint64(u[:8], h[1]^(1<<63))
		binary.BigEndian.PutUint64(u[8:], h[0])
		var s [36]byte
		hex.Encode(s[0:8], u[0:4])
		hex.Encode(s[9:13], u[4:6])
		hex.Encode(s[14:18], u[6:8])
		hex.Encode(s[19:23], u[8:10])
		hex.Encode(s[24:], u[10:])
		s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
		b = append(b, '"')
		b = append(b, s[:]...)
		return append(b, '"')
	case bindings.TypeInterval:
		iv := (*struct {
			months, days int32
			micros       int64
		})(unsafe.Add(p, row*16))
		return appendInterval(b, iv.months, iv.days, iv.micros)
	case bindings.TypeEnum:
		var i uint64
		switch d.t.internal {
		case bindings.TypeUTinyInt:
			i = uint64(at[uint8](p, row))
		case bindings.TypeUSmallInt:
			i = uint64(at[uint16](p, row))
		default:
			i = uint64(at[uint32](p, row))
		}
		return append(b, d.t.enum[i]...)
	case bindings.TypeList:
		e := at[[2]uint64](p, row) // offset, length
		return d.kids[0].appendRange(b, e[0], e[1], depth+1)
	case bindings.TypeArray:
		return d.kids[0].appendRange(b, row*d.t.size, d.t.size, depth+1)
	case bindings.TypeStruct:
		if d.t.unnamed {
			// An array, as to_json writes it: an object's fields all named "" would be
			// one field to a receiver's parser.
			b = append(b, '[')
			for i := range d.kids {
				if i > 0 {
					b = append(b, ',')
				}
				b = d.kids[i].appendJSONIn(b, row, depth+1)
			}
			return append(b, ']')
		}
		b = append(b, '{')
		for i := range d.kids {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, d.t.names[i]...)
			b = append(b, ':')
			b = d.kids[i].appendJSONIn(b, row, depth+1)
		}
		return append(b, '}')
	case bindings.TypeMap:
		e := at[[2]uint64](p, row)
		return d.appendMap(b, e[0], e[1], depth+1)
	case bindings.TypeUnion:
		// {"member": value}, as DuckDB's to_json writes it.
		tag := at[uint8](d.tags, row)
		if int(tag) >= len(d.kids) {
			return append(b, "null"...)
		}
		b = append(b, '{')
		b = append(b, d.t.names[tag]...)
		b = append(b, ':')
		b = d.kids[tag].appendJSONIn(b, row, depth+1)
		return append(b, '}')
	}
	return append(b, "null"...) // SQLNULL; newDuckType admits no other type
}

// appendRange appends elements [offset, offset+n) as a JSON array, depth levels deep (its own
// counted).
func (d *duckVec) appendRange(b []byte, offset, n uint64, depth int) []byte {
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = d.appendJSONIn(b, offset+i, depth)
	}
	return append(b, ']')
}

// appendMap writes a MAP as an object when its keys are strings, else as an array of {"key",
// "value"} objects; in the map's order either way; depth levels deep (the object's or the
// array's counted).
func (d *duckVec) appendMap(b []byte, offset, n uint64, depth int) []byte {
	key, value := &d.kids[0], &d.kids[1]
	if d.t.strKeys {
		b = append(b, '{')
		for i := offset; i < offset+n; i++ {
			if i > offset {
				b = append(b, ',')
			}
			b = appendString(b, key.bytes(i))
			b = append(b, ':')
			b = value.appendJSONIn(b, i, depth)
		}
		return append(b, '}')
	}
	b = append(b, '[')
	for i := offset; i < offset+n; i++ {
		if i > offset {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = key.appendJSONIn(b, i, depth+1)
		b = append(b, `,"value":`...)
		b = value.appendJSONIn(b, i, depth+1)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendDecimal appends v × 10^-scale exactly.
func appendDecimal(b []byte, v int64, scale uint8) []byte {
	if scale == 0 {
		return strconv.AppendInt(b, v, 10)
	}
	var tmp [24]byte
	digits := strconv.AppendUint(tmp[:0], absInt64(v), 10)
	return appendScaled(b, v < 0, digits, scale)
}

func absInt64(v int64) uint64 {
	if v < 0 {
		return uint64(^v) + 1
	}
	return uint64(v)
}

// appendInt128 appends the 128-bit integer (lower, upper) × 10^-scale exactly, signed or not.
func appendInt128(b []byte, lower, upper uint64, signed bool, scale uint8) []byte {
	neg := signed && int64(upper) < 0
	if !neg && upper == 0 && scale == 0 {
		return strconv.AppendUint(b, lower, 10)
	}
	var n big.Int
	n.SetUint64(upper).Lsh(&n, 64).Or(&n, new(big.Int).SetUint64(lower))
	if neg {
		n.Sub(&n, new(big.Int).Lsh(big.NewInt(1), 128))
		n.Neg(&n)
	}
	return appendScaled(b, neg, n.Append(nil, 10), scale)
}

// appendScaled appends the digits of an absolute value with a decimal point scale digits from
// the right, as DuckDB prints DECIMALs ("0.50", "-12.3").
func appendScaled(b []byte, neg bool, digits []byte, scale uint8) []byte {
	if neg {
		b = append(b, '-')
	}
	s := int(scale)
	if s == 0 {
		return append(b, digits...)
	}
	if len(digits) <= s {
		b = append(b, '0', '.')
		for range s - len(digits) {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-s]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-s:]...)
}

// appendInterval appends an INTERVAL as DuckDB prints it: "1 year 2 months 3 days 04:05:06.5",
// each part only when not zero, "00:00:00" for none.
func appendInterval(b []byte, months, days int32, micros int64) []byte {
	b = append(b, '"')
	start := len(b)
	part := func(n int64, unit string) {
		if n == 0 {
			return
		}
		if len(b) > start {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
		b = append(b, unit...)
		if n != 1 && n != -1 {
			b = append(b, 's')
		}
	}
	part(int64(months/12), "year")
	part(int64(months%12), "month")
	part(int64(days), "day")
	if micros != 0 || len(b) == start {
		if len(b) > start {
			b = append(b, ' ')
		}
		u := absInt64(micros)
		if micros < 0 {
			b = append(b, '-')
		}
		h, m, s, f := u/3_600_000_000, u/60_000_000%60, u/1_000_000%60, u%1_000_000
		if h < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendUint(b, h, 10)
		b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
		if f != 0 {
			frac := []byte(fmt.Sprintf(".%06d", f))
			for frac[len(frac)-1] == '0' {
				frac = frac[:len(frac)-1]
			}
			b = append(b, frac...)
		}
	}
	return append(b, '"')
}

// appendDuckTimeNS writes a TIME_NS (nanoseconds since midnight) as DuckDB prints it, as
// appendDuckTime writes a TIME: "14:19:52.123456789", the fraction only when there is one,
// without its trailing zeros.
func appendDuckTimeNS(b []byte, ns int64) []byte { return appendDuckClock(b, ns, 1000000000) }

// appendDuckTimeTZ writes a TIMETZ as DuckDB prints it, "14:19:52.5+02": the time, then the
// offset's hours, its minutes when it has minutes or seconds ("-05:30"), its seconds when it
// has them ("+00:00:01"). A TIMETZ is 40 bits of microseconds since midnight, then 24 bits of
// 15:59:59 less its offset east of UTC, in seconds (DuckDB's dtime_tz_t).
func appendDuckTimeTZ(b []byte, bits uint64) []byte {
	const maxOffset = 16*60*60 - 1
	b = appendDuckTime(b, int64(bits>>24))
	b = b[:len(b)-1] // the closing quote
	off := maxOffset - int64(bits&0xFFFFFF)
	if off < 0 {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	b = append2(b, int(off/3600))
	if off%3600 != 0 {
		b = append(b, ':')
		b = append2(b, int(off/60%60))
	}
	if off%60 != 0 {
		b = append(b, ':')
		b = append2(b, int(off%60))
	}
	return append(b, '"')
}

// appendDuckBit writes a BIT as DuckDB prints it, its bits as '0' and '1': its first byte is
// how many bits of the next one are padding, the bits follow.
func appendDuckBit(b, v []byte) []byte {
	b = append(b, '"')
	if len(v) > 1 {
		pad := int(v[0])
		for i := pad; i < 8*(len(v)-1); i++ {
			b = append(b, '0'+(v[1+i/8]>>(7-i%8))&1)
		}
	}
	return append(b, '"')
}
