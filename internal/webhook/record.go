package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osteele/liquid/values"
)

// rawRecord is a mapped record as templates see it: its JSON as the runner encoded it, read
// lazily. `{{ record | json }}` copies those bytes (no decoding, keys in mapping order, exactly
// the envelope's record); `record.email` finds that one field's value with a scan of the
// object's top level and decodes only it. Anything else (a loop over the record's fields, a
// filter given the record) sees the whole record decoded, once.
type rawRecord struct {
	raw    []byte
	once   sync.Once
	fields []rawField // the top level's keys and value spans
	err    error
	full   sync.Once
	value  values.Value // the whole record decoded, for anything but fields and json
	// sample: a plan-time sample record, whose fields holding SampleObject are anyValue.
	sample bool
	// unread is the first field a template read that could not be decoded (a value nested
	// deeper than encoding/json goes): the template saw it as nil, so what it rendered is not
	// the record's, and the record is refused with this (Requests.Build).
	unread atomic.Pointer[error]
}

type rawField struct {
	key   []byte // the key's text (unescaped)
	value []byte // its JSON value
}

var (
	_ values.Value   = (*rawRecord)(nil)
	_ json.Marshaler = (*rawRecord)(nil)
)

// newRawRecord checks that raw is a JSON object (cheaply: the runner encoded it) and wraps it.
func newRawRecord(raw []byte) (*rawRecord, error) {
	t := bytes.TrimSpace(raw)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, errors.New("the record is not a JSON object")
	}
	if hasLineBreak(t) {
		t = appendOneLine(nil, t)
	}
	return &rawRecord{raw: t}, nil
}

// hasLineBreak reports whether a record's JSON holds a CR or an LF.
func hasLineBreak(b []byte) bool {
	return bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0
}

// appendOneLine appends rec, a record's JSON, to dst without its line breaks (CR and LF). A
// record can hold them between its tokens: the runner copies a json column's text as the
// database keeps it (Postgres's json, DuckDB's JSON: as written), and valid JSON has them
// nowhere else (a string escapes them). Copied as it is, a record is several lines of a body of
// one record per line (ndjson, or `{{ r | json }}` per line), each of which the endpoint reads
// as a record of its own (a value of the record's, `{"id": 2}`, among them) or refuses.
func appendOneLine(dst, rec []byte) []byte {
	for {
		i := bytes.IndexAny(rec, "\r\n")
		if i < 0 {
			return append(dst, rec...)
		}
		dst = append(dst, rec[:i]...)
		rec = rec[i+1:]
	}
}

func (r *rawRecord) MarshalJSON() ([]byte, error) { return r.raw, nil }
func (r *rawRecord) String() string               { return string(r.raw) }

// index scans the top level once.
func (r *rawRecord) index() error {
	r.once.Do(func() { r.fields, r.err = scanObject(r.raw) })
	return r.err
}

// field returns the value of key, decoded; nil when absent.
func (r *rawRecord) field(key string) (any, bool) {
	if r.index() != nil {
		return nil, false
	}
	for _, f := range r.fields {
		if string(f.key) == key {
			if r.sample {
				switch string(f.value) {
				case SampleObject:
					return anyValue{}, true
				case "[" + SampleObject + "]": // a list of them (jsonb[], a STRUCT(...)[])
					return []any{anyValue{}}, true
				}
			}
			v, err := decodeValue(f.value)
			if err != nil {
				r.failed(f.key, err)
				return nil, false
			}
			return v, true
		}
	}
	return nil, false
}

func (r *rawRecord) resolve() values.Value {
	r.full.Do(func() {
		m, err := decodeRecord(r.raw)
		if err != nil {
			r.failed(nil, err)
			r.value = values.ValueOf(nil)
			return
		}
		r.value = values.ValueOf(m)
	})
	return r.value
}

// Interface is what filters, loops and outputs see: the record as a recordDrop.
func (r *rawRecord) Interface() any { return recordDrop{r} }
func (r *rawRecord) Int() int       { return r.resolve().Int() }
func (r *rawRecord) Equal(o Value) bool {
	if o := recordOf(o); o != nil {
		return bytes.Equal(r.raw, o.raw)
	}
	return r.resolve().Equal(o)
}
func (r *rawRecord) Less(o Value) bool        { return r.resolve().Less(o) }
func (r *rawRecord) Contains(o Value) bool    { return r.resolve().Contains(o) }
func (r *rawRecord) IndexValue(i Value) Value { return r.PropertyValue(i) }
func (r *rawRecord) Test() bool               { return true }
func (r *rawRecord) PropertyValue(k Value) Value {
	key, ok := k.Interface().(string)
	if !ok {
		return r.resolve().PropertyValue(k)
	}
	if v, ok := r.field(key); ok {
		return values.ValueOf(v)
	}
	if key == "size" {
		_ = r.index()
		return values.ValueOf(len(r.fields))
	}
	return values.ValueOf(nil)
}

// SampleObject is the value a plan-time sample record holds for a column whose JSON's shape the
// plan cannot know (json, jsonb, a STRUCT or a MAP: runner.SampleRecordOf). A template reading
// into it ({{ record.payload.customer_id | json }}, a loop over record.payload.items) reads
// anyValue there, so the strict checks do not take a field of a real record's JSON for a typo.
const SampleObject = `{"sample":"value"}`

// sampleTextPrefix starts the value a plan-time sample record holds for a text column (and any
// other column it sends as a text it cannot foresee): "sample email" (SampleText).
const sampleTextPrefix = "sample "

// SampleTime is the time a plan-time sample record's dates and timestamps hold, and the start of
// its run.
var SampleTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// SampleText is the value of a plan-time sample record for the text column name.
func SampleText(name string) string { return sampleTextPrefix + name }

// sampleTexts are the texts of the sample records a plan-time check renders (SampleText), as
// it reads them, each with what it may stand for: a text a filter reads a number or a date of
// stands for any text its column holds when it is one of them, so that {{ record.code | plus: 0
// }} reads one (sampleNumber, sampleDate) instead of failing for every template that reads a
// number or a date from a text column. Only these: a text a template wrote ({{ "sample x" | plus:
// 1 }}) or made of one that can no longer be a number or a date ({{ record.code | append: "x" |
// plus: 0 }}, {{ record.code | prepend: "ID-" | plus: 0 }}) fails at plan as it fails for every
// record at run. Filters that keep a sample text a possible number or date give it back as it
// was (keepingSampleText); append and prepend give what they make of it, a sample text of what it
// may still be (joined); a text holding sample texts however it was built (a literal before one,
// a capture) may be a number or a date when its rest may be one's (mayBe). Case and surrounding space are set aside (upcase, strip). A text a
// template builds that equals one of them exactly ({{ "sample " | append: "code" }}) is taken for
// it: no template has a reason to.
type sampleTexts map[string]sampleKind

// sampleKind is what a sample text may stand for: a number, a date, or both.
type sampleKind uint8

const (
	sampleOfNumber sampleKind = 1 << iota
	sampleOfDate
	// sampleWithin: a text that holds a sample text with what no number or date has joined to
	// it (append: " ", append: "x"): no number nor date, but what a filter cuts from it may be
	// (| split: " " | first), as what it cuts from a sample text (keepingSampleText).
	sampleWithin
)

// collect takes the sample texts of the records bound in b (record, records), in place of those
// of the render before. Each may be a number or a date.
func (s sampleTexts) collect(b map[string]any) {
	clear(s)
	add := func(v any) {
		r, ok := v.(*rawRecord)
		if !ok || !r.sample || r.index() != nil {
			return
		}
		for _, f := range r.fields {
			if v, err := decodeValue(f.value); err == nil {
				if t, ok := v.(string); ok && strings.HasPrefix(t, sampleTextPrefix) {
					s.add(t, sampleOfNumber|sampleOfDate)
				}
			}
		}
	}
	add(b["record"])
	if list, ok := b["records"].([]any); ok {
		for _, r := range list {
			add(r)
		}
	}
}

func (s sampleTexts) add(t string, k sampleKind) {
	s[strings.ToLower(strings.TrimSpace(t))] |= k
}

// kind is what v stands for when it is a sample text, 0 when it is none.
func (s sampleTexts) kind(v any) sampleKind {
	t, ok := v.(string)
	if !ok || len(s) == 0 {
		return 0
	}
	return s[strings.ToLower(strings.TrimSpace(t))]
}

// has reports whether v is a sample text.
func (s sampleTexts) has(v any) bool { return s.kind(v) != 0 }

// mayBe reports whether v, a text holding a record's sample text of kind k however it was built
// (a literal appended to: {{ "-" | append: record.code }}; a capture: {% capture d %}{{ record.y
// }}-{{ record.m }}-01{% endcapture %}), may be one of forms once each sample text in it is read
// as any text (formShape of the rest, letters too for dates): "-sample code" may be a number,
// "sample y-sample m-01" a date, "ID-sample code" neither, as no record makes it one at run.
func (s sampleTexts) mayBe(v any, k sampleKind, forms []string, letters bool) bool {
	t, ok := v.(string)
	if !ok || len(s) == 0 {
		return false
	}
	t = strings.TrimSpace(t)
	var pattern strings.Builder
	pattern.WriteByte('^')
	held, lit := false, 0
	for i := 0; i < len(t); {
		n := 0
		for text, kind := range s {
			if kind&k != 0 && strings.HasPrefix(text, sampleTextPrefix) && len(text) > n && len(t)-i >= len(text) &&
				strings.EqualFold(t[i:i+len(text)], text) {
				n = len(text)
			}
		}
		if n == 0 {
			i++
			continue
		}
		n = splitRun(t, i, n)
		pattern.WriteString(regexp.QuoteMeta(formShape(t[lit:i], letters)) + ".*")
		held, i, lit = true, i+n, i+n
	}
	if !held {
		return false
	}
	pattern.WriteString(regexp.QuoteMeta(formShape(t[lit:], letters)) + "$")
	re, err := regexp.Compile(pattern.String())
	if err != nil {
		return false
	}
	for _, f := range forms {
		if re.MatchString(formShape(f, letters)) {
			return true
		}
	}
	return false
}

// splitRun is the length of the run of copies of the sample text t[i:i+n] that starts there,
// each after the same literal, when it has as many as a plan-time split's padded parts written
// one after another ({% for s in parts %}{{ s }}-{% endfor %}: splitParts), n for a shorter one:
// the run stands for the text those parts were split of, any text, and not one holding a
// separator for each part the plan made up. (join takes them as one: joinParts.)
func splitRun(t string, i, n int) int {
	text, end := t[i:i+n], i+n
	next := indexFold(t[end:], text)
	if next < 0 {
		return n
	}
	sep := t[end : end+next]
	copies := 1
	for len(t)-end >= len(sep)+n && strings.EqualFold(t[end:end+len(sep)], sep) &&
		strings.EqualFold(t[end+len(sep):end+len(sep)+n], text) {
		copies, end = copies+1, end+len(sep)+n
	}
	if copies < sampleSplitParts-1 {
		return n
	}
	return end - i
}

// indexFold is the index of the first text in t, case set aside, -1 when there is none.
func indexFold(t, text string) int {
	for i := 0; i+len(text) <= len(t); i++ {
		if strings.EqualFold(t[i:i+len(text)], text) {
			return i
		}
	}
	return -1
}

// sampleSplitParts is how many parts a plan-time split of a sample text gives (splitParts):
// enough for the parts of a date or a time a template reorders.
const sampleSplitParts = 8

// splitParts is parts, a plan-time split's result, with its last sample text repeated up to
// sampleSplitParts parts when it holds one: the parts a column's text may split into, each of
// which a sample text stands for.
func (s sampleTexts) splitParts(out any) any {
	parts, ok := out.([]string)
	if !ok || len(parts) == 0 || len(parts) >= sampleSplitParts || !s.has(parts[len(parts)-1]) {
		return out
	}
	last := parts[len(parts)-1]
	padded := slices.Clip(parts)
	for len(padded) < sampleSplitParts {
		padded = append(padded, last)
	}
	return padded
}

// joinParts is a, a plan-time join's list, with each run of one sample text repeated (a split's
// parts, splitParts, in their order, reversed or sorted) as that text once: the text a split of
// it joined again stands for is any text, as the sample text's, and not one holding a separator
// for each part the plan made up.
func (s sampleTexts) joinParts(a []any) []any {
	var out []any
	for i, v := range a {
		t, ok := v.(string)
		if prev, same := a[max(i-1, 0)].(string); i > 0 && ok && same && prev == t && s.has(t) {
			if out == nil {
				out = slices.Clone(a[:i])
			}
			continue
		}
		if out != nil {
			out = append(out, v)
		}
	}
	if out == nil {
		return a
	}
	return out
}

// within reports whether t holds a sample text of a record, however it was built (append, a
// capture: "ID-sample code"): what a filter cuts from it may be that text (sampleWithin).
func (s sampleTexts) within(t string) bool {
	if s.kind(t)&sampleWithin != 0 {
		return true
	}
	t = strings.ToLower(t)
	for k, kind := range s {
		if kind&(sampleOfNumber|sampleOfDate) != 0 && strings.Contains(t, k) {
			return true
		}
	}
	return false
}

// joined is what append (or prepend, before) makes of t and added, join's result, kept as a
// sample text of what it may still stand for when t is one: another sample text added leaves it
// as it was; a text added keeps it a possible number when a number may end (or start) with that
// text (append: "00", prepend: "-"), a possible date when a date may (append: "T00:00:00Z",
// append: " UTC"). Anything else (append: "x", prepend: "ID-") leaves a text that is no number,
// nor a date, at run, and so at plan; only what a filter cuts from it may be one (sampleWithin).
func (s sampleTexts) joined(t, added string, before bool, join func(a, b string) string) string {
	out := join(t, added)
	k := s.kind(t)
	if k == 0 {
		return out
	}
	if ak := s.kind(added); ak != 0 {
		s.add(out, k|ak)
		return out
	}
	var keep sampleKind
	if k&sampleOfNumber != 0 && fitsForm(added, numberForms, before, false) {
		keep |= sampleOfNumber
	}
	if k&sampleOfDate != 0 && fitsForm(added, dateForms, before, true) {
		keep |= sampleOfDate
	}
	if keep == 0 {
		keep = sampleWithin
	}
	s.add(out, keep)
	return out
}

// numberForms are the shapes of the numbers the arithmetic filters read (exactNumber), and
// dateForms those of the dates the date filters read (dateLayouts), as formShape gives them.
var (
	numberForms = []string{"0", "-0", "+0", "0.0", "-0.0", "+0.0", ".0", "-.0", "0.", "0e0", "0e-0", "0e+0",
		"-0e0", "0.0e0", "-0.0e-0", "0E0", "0.0E+0"}
	dateForms = func() []string {
		forms := []string{"0", "-0"} // seconds since 1970
		for _, layout := range dateLayouts {
			forms = append(forms, SampleTime.Format(layout))
		}
		return forms
	}()
)

// fitsForm reports whether some text of one of forms ends with added (starts with it, before),
// the rest standing for what the sample text holds: each run of digits in either is one digit
// (the text's digits are any), and for dates each run of lower-case letters one, and of capitals
// one (a month's or a day's name, Jan, is Aa; a zone, UTC, A).
func fitsForm(added string, forms []string, before, letters bool) bool {
	a := formShape(added, letters)
	for _, f := range forms {
		f = formShape(f, letters)
		if before && strings.HasPrefix(f, a) || !before && strings.HasSuffix(f, a) {
			return true
		}
	}
	return false
}

// formShape is s with each run of digits made "0", and with letters each run of lower-case
// letters "a" and of capitals "A".
func formShape(s string, letters bool) string {
	var b strings.Builder
	var last byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c = '0'
		case letters && c >= 'a' && c <= 'z':
			c = 'a'
		case letters && c >= 'A' && c <= 'Z':
			c = 'A'
		default:
			b.WriteByte(c)
			last = 0
			continue
		}
		if c != last {
			b.WriteByte(c)
		}
		last = c
	}
	return b.String()
}

// anyValue is a field of a sample record that stands for any JSON (SampleObject): each of its
// properties and items is another anyValue, a loop over it turns once (on an anyValue), an
// output prints 1 (valid as a JSON number, inside a JSON string and as a path segment) and json
// gives SampleObject. It equals nothing and orders before nothing, so neither branch of a
// condition on it is taken for granted. Only plan-time checks see it; runs read records' values.
type anyValue struct{}

var _ values.Value = anyValue{}

func (anyValue) Interface() any               { return anyValue{} }
func (anyValue) Int() int                     { return 1 }
func (anyValue) Equal(Value) bool             { return false }
func (anyValue) Less(Value) bool              { return false }
func (anyValue) Contains(Value) bool          { return false }
func (anyValue) IndexValue(Value) Value       { return anyValue{} }
func (anyValue) PropertyValue(Value) Value    { return anyValue{} }
func (anyValue) Test() bool                   { return true }
func (anyValue) Len() int                     { return 1 } // a loop over it (Liquid's iterable)
func (anyValue) Index(int) any                { return anyValue{} }
func (anyValue) String() string               { return "1" }
func (anyValue) MarshalJSON() ([]byte, error) { return []byte(SampleObject), nil }

// recordDrop is a record handed to a filter, a loop or an output: json copies its bytes
// (jsonText), an output prints them, a loop sees its fields in order as [name, value] pairs (as
// a loop over a hash does). It is not a Liquid drop on purpose: Liquid would decode a drop for
// every filter it is given, json included. It is a Liquid value, the record's own: a variable
// assigned a record ({% assign r = record %}, {% assign f = records | first %}) reads its fields
// as the record does (as a Go struct, each field read nothing, and the request sent it empty).
type recordDrop struct{ r *rawRecord }

var _ values.Value = recordDrop{}

func (d recordDrop) Interface() any              { return d }
func (d recordDrop) Int() int                    { return d.r.Int() }
func (d recordDrop) Equal(o Value) bool          { return d.r.Equal(o) }
func (d recordDrop) Less(o Value) bool           { return d.r.Less(o) }
func (d recordDrop) Contains(o Value) bool       { return d.r.Contains(o) }
func (d recordDrop) IndexValue(i Value) Value    { return d.r.IndexValue(i) }
func (d recordDrop) PropertyValue(k Value) Value { return d.r.PropertyValue(k) }
func (d recordDrop) Test() bool                  { return true }

func (d recordDrop) String() string               { return string(d.r.raw) }
func (d recordDrop) MarshalJSON() ([]byte, error) { return d.r.raw, nil }
func (d recordDrop) Len() int {
	if d.r.index() != nil {
		return 0
	}
	return len(d.r.fields)
}
func (d recordDrop) Index(i int) any {
	f := d.r.fields[i]
	v, err := decodeValue(f.value)
	if err != nil {
		d.r.failed(f.key, err)
	}
	return []any{string(f.key), v}
}

// failed records that the field key (nil: the record as a whole) could not be decoded for a
// template, which then saw nil in its place; the first failure is kept.
func (r *rawRecord) failed(key []byte, err error) {
	what := "the record"
	if key != nil {
		what = fmt.Sprintf("the record's field %q", truncate(string(key), 200))
	}
	e := fmt.Errorf("%s could not be read by the template, which would have sent null in its place: %w", what, err)
	r.unread.CompareAndSwap(nil, &e)
}

// unreadable is the first field of records (in bindings: `record`, or `records`) that a render
// could not read, nil when there was none.
func unreadable(b map[string]any) error {
	check := func(x any) error {
		if r := recordOf(x); r != nil {
			if e := r.unread.Load(); e != nil {
				return *e
			}
		}
		return nil
	}
	if err := check(b["record"]); err != nil {
		return err
	}
	list, _ := b["records"].([]any)
	for _, x := range list {
		if err := check(x); err != nil {
			return err
		}
	}
	return nil
}

// Value is liquid's runtime value.
type Value = values.Value

// decodeValue decodes one JSON value as templates see it (see decodeRecord); strings without
// escapes are taken as they are.
func decodeValue(b []byte) (any, error) {
	if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	switch string(b) {
	case "null":
		return nil, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		return integer(json.Number(b)), nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

// scanObject lists the keys and value spans of a JSON object's top level, without decoding.
func scanObject(b []byte) ([]rawField, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errors.New("the record is not a JSON object")
	}
	i = skipSpace(b, i+1)
	var out []rawField
	if i < len(b) && b[i] == '}' {
		return out, nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return nil, fmt.Errorf("the record is not a JSON object: a key expected at byte %d", i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(b[i:end], &s); err != nil {
				return nil, err
			}
			key = []byte(s)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, fmt.Errorf("the record is not a JSON object: ':' expected at byte %d", i)
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, rawField{key: key, value: b[i:vend]})
		i = skipSpace(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return out, nil
		}
		break
	}
	return nil, errors.New("the record is not a JSON object: it ends early")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] ('"').
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexAny(b[j:], `"\`)
		if k < 0 {
			break
		}
		j += k
		if b[j] == '\\' {
			j += 2
			continue
		}
		return j + 1, nil
	}
	return 0, errors.New("the record is not a JSON object: a string does not end")
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("the record is not a JSON object: a value expected")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return 0, errors.New("the record is not a JSON object: an object or array does not end")
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("the record is not a JSON object: a value expected at byte %d", i)
	}
	return j, nil
}
