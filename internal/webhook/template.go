package webhook

import (
	"github.com/tidwall/gjson"

	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/osteele/liquid"
	liquidfilters "github.com/osteele/liquid/filters"
	liquidparser "github.com/osteele/liquid/parser"
	liquidrender "github.com/osteele/liquid/render"
	"github.com/osteele/liquid/values"

	"github.com/backflowhq/terraform-provider-backflow/internal/jsondepth"
)

// Liquid templates of a sync's requests (controlplane.RequestSpec): the engine, its filters, the
// variables a template sees, and where an error is.

// TemplateError is a template that does not parse or does not render, with where: Line and
// Column in the template (1-based; Column 0 when unknown).
type TemplateError struct {
	Line, Column int
	Msg          string
}

func (e *TemplateError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Vars are the variables every template of a run sees besides record or records.
type Vars struct {
	SyncID         int64
	SyncName       string
	RunID          int64
	RunStartedAt   time.Time
	ModelName      string
	ConnectionName string
	// Key is not a template variable: it is the field a record's key is sent under (all a
	// `deleted` record holds besides metadata fields), so that a path can be told to name the
	// record (Built.KeyPath). "": unknown.
	Key string
}

func (v *Vars) bindings(op string) map[string]any {
	return map[string]any{
		"operation":  op,
		"sync":       map[string]any{"id": v.SyncID, "name": v.SyncName},
		"run":        map[string]any{"id": v.RunID, "started_at": v.RunStartedAt.UTC().Format(time.RFC3339)},
		"model":      map[string]any{"name": v.ModelName},
		"connection": map[string]any{"name": v.ConnectionName},
	}
}

// FilterNames are the filters Backflow adds to Liquid's standard ones (docs/destinations.md
// describes each).
var FilterNames = []string{"json", "url_encode", "sha256", "iso8601", "unix"}

// newEngine returns an engine with its budget (engine). A strict one is the plan-time checks':
// there a variable that is not defined, or a filter given nothing, is an error (the sample record
// has a value for every field, so nothing is a typo's nil).
func newEngine(strict bool) *engine {
	e := &engine{Engine: liquid.NewEngine(), b: new(budget)}
	if strict {
		e.StrictVariables()
	}
	given := func(name string, v any) error {
		if strict && v == nil {
			return fmt.Errorf("%s was given an undefined value (a variable or field that does not exist)", name)
		}
		return nil
	}
	filters := filterSet{}
	liquidfilters.AddStandardFilters(filters)
	if strict {
		e.samples = sampleTexts{}
	}
	for name, fn := range arithmeticFilters(e.samples) {
		filters.AddFilter(name, fn)
	}
	filters.AddFilter("json", func(v any) (string, error) {
		if err := given("json", v); err != nil {
			return "", err
		}
		return jsonText(v)
	})
	filters.AddFilter("url_encode", func(v any) (string, error) {
		if err := given("url_encode", v); err != nil {
			return "", err
		}
		return PercentEncode(textOf(v)), nil
	})
	filters.AddFilter("sha256", func(v any) (string, error) {
		if err := given("sha256", v); err != nil {
			return "", err
		}
		sum := sha256.Sum256([]byte(textOf(v)))
		return hex.EncodeToString(sum[:]), nil
	})
	// Liquid's include reads a file of the machine rendering the template, relative to its working
	// directory and with no bound on "..": a template could send the runner's files (its
	// environment in /proc/self/environ, a credentials file) to its endpoint, or print the
	// provider's in a plan error. Templates are one text each, so the tag is refused.
	e.RegisterTag("include", func(liquidrender.Context) (string, error) {
		return "", errors.New(includeRefused)
	})
	// Liquid's truncate and truncatewords build a regular expression with the length as a repeat
	// count: past 1000 (| truncate: 2000) it does not compile and the filter panics, which took the
	// runner (or terraform plan) down; and truncatewords' runs in time of the length times the
	// text (3.5 s for | truncatewords: 1000 of a 32 KB word). These are theirs, without it.
	liquidTruncate := filters["truncate"].(func(string, func(int) int, func(string) string) string)
	filters.AddFilter("truncate", func(s string, length func(int) int, ellipsis func(string) string) string {
		return truncateText(s, length(50), ellipsis("..."), liquidTruncate)
	})
	liquidTruncateWords := filters["truncatewords"].(func(string, func(int) int, func(string) string) string)
	filters.AddFilter("truncatewords", func(s string, length func(int) int, ellipsis func(string) string) string {
		return truncateWords(s, length(15), ellipsis("..."), liquidTruncateWords)
	})
	// Liquid's size counts a list's items and a text's characters, and gives 0 for anything
	// else: a record, or an object of a JSON column, has as many as it has keys (Shopify's).
	filters.AddFilter("size", func(v any) int {
		switch v := v.(type) {
		case recordDrop:
			return v.Len()
		case map[string]any:
			return len(v)
		}
		return values.Length(v)
	})
	// Shopify's where, which Liquid lacks: the items of a list (records, or objects) whose field
	// prop equals value, or, without a value, whose field is neither null nor false.
	// (value is variadic so that nil can be given: Liquid cannot make nil a default argument's
	// value, and where: "f", nil failed as Shopify's is where: "f".)
	filters.AddFilter("where", func(list []any, prop string, value ...any) ([]any, error) {
		var want any
		switch {
		case len(value) > 1:
			return nil, fmt.Errorf("where takes a field's name and at most one value to compare it with, not %d", len(value))
		case len(value) == 1:
			want = value[0]
		}
		switch want.(type) {
		case map[string]any, []any, recordDrop, *rawRecord:
			return nil, errors.New("where compares a field with a text, a number, true, false or nil, not an object or a list")
		}
		has, wanted := want != nil, values.ValueOf(want)
		var out []any
		for _, x := range list {
			var v any
			if r := recordOf(x); r != nil {
				v, _ = r.field(prop)
			} else if o, ok := x.(map[string]any); ok {
				v = o[prop]
			}
			if has && values.ValueOf(v).Equal(wanted) || !has && values.ValueOf(v).Test() {
				out = append(out, x)
			}
		}
		return out, nil
	})
	for _, name := range []string{"sort", "sort_natural"} {
		liquidSort := reflect.ValueOf(filters[name])
		numeric := name == "sort" // sort_natural compares texts
		filters.AddFilter(name, func(list []any, key any) (any, error) {
			return sortRecords(list, key, numeric, func(l []any, k any) (any, error) { return values.Call(liquidSort, []any{l, k}) })
		})
	}
	date := dateOf
	if strict {
		date = sampleDate(e.samples)
	}
	// Dates are read by dateOf, not by Liquid (which reads a timestamp without a zone in the
	// zone of the machine rendering it, and null as the year 1); null gives nothing.
	liquidDate := filters["date"].(func(time.Time, func(string) string) (string, error))
	filters.AddFilter("date", func(v any, format func(string) string) (any, error) {
		if err := given("date", v); err != nil || v == nil {
			return nil, err
		}
		t, err := date(v)
		if err != nil {
			return nil, err
		}
		return liquidDate(t, format)
	})
	filters.AddFilter("iso8601", func(v any) (any, error) {
		if err := given("iso8601", v); err != nil || v == nil {
			return nil, err
		}
		t, err := date(v)
		if err != nil {
			return nil, err
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	})
	filters.AddFilter("unix", func(v any) (any, error) {
		if err := given("unix", v); err != nil || v == nil {
			return nil, err
		}
		t, err := date(v)
		if err != nil {
			return nil, err
		}
		return t.Unix(), nil
	})
	if strict {
		// A text these filters cut from a sample text (a slice, a word of split, what remove or
		// replace leaves of it) stands for any text too, as the sample text does: "12 units" gives
		// the number 12 where "sample code" gives "sample", which sampleNumber and sampleDate
		// would read as no number and no date.
		for _, name := range []string{"slice", "split", "truncate", "truncatewords", "remove", "remove_first",
			"replace", "replace_first", "strip_html", "strip_newlines", "url_decode"} {
			filters.AddFilter(name, keepingSampleText(e.samples, filters[name]))
		}
		// A sample text split stands for as many parts as a column's texts may split into: {%
		// assign p = record.day | split: "/" %}{{ p[2] }}-{{ p[0] }}-{{ p[1] }} reads three parts
		// of 12/31/2024, and the one part of a sample text left p[1] and p[2] empty, a date no
		// record makes.
		splitKept := filters["split"].(func(string, string) any)
		filters.AddFilter("split", func(s, sep string) any {
			return e.samples.splitParts(splitKept(s, sep))
		})
		// Joined again, those parts are the one sample text they came of, which stands for any
		// text: {{ record.day | split: "/" | join: "-" | date: "%Y" }} reads 2024/01/02, and
		// eight parts joined wrote seven '-' that no date holds (sampleTexts.joinParts).
		liquidJoin := filters["join"].(func([]any, func(string) string) any)
		filters.AddFilter("join", func(a []any, sep func(string) string) any {
			return liquidJoin(e.samples.joinParts(a), sep)
		})
		// What append and prepend make of a sample text stands for what it may still be: a
		// number with digits added, a date with a time added ({{ record.day | append:
		// "T00:00:00Z" | date: "%s" }}), neither with a letter added (sampleTexts.joined).
		liquidAppend := filters["append"].(func(string, string) string)
		filters.AddFilter("append", func(s, added string) string {
			return e.samples.joined(s, added, false, liquidAppend)
		})
		liquidPrepend := filters["prepend"].(func(string, string) string)
		filters.AddFilter("prepend", func(s, added string) string {
			return e.samples.joined(s, added, true, liquidPrepend)
		})
	}
	e.addBudget(filters)
	e.addOutputTag()
	return e
}

// keepingSampleText is the text filter fn for a plan-time check: given a sample text
// (sampleTexts), what it gives that is no longer one (a text, or each text of a list) is that
// sample text instead, which stands for any text the column holds; else fn's own result.
func keepingSampleText(samples sampleTexts, fn any) any {
	f := reflect.ValueOf(fn)
	return reflect.MakeFunc(f.Type(), func(args []reflect.Value) []reflect.Value {
		out := f.Call(args)
		if len(args) == 0 || len(out) == 0 || !args[0].CanInterface() {
			return out
		}
		in, ok := args[0].Interface().(string)
		if !ok || len(samples) == 0 {
			return out
		}
		if samples.kind(in)&(sampleOfNumber|sampleOfDate) == 0 {
			if !samples.within(in) {
				return out
			}
			// A text holding a sample text (sampleWithin, a capture of one): what is cut from
			// it may be the sample text's, any text.
			switch v := out[0].Interface().(type) {
			case string:
				samples.add(v, sampleOfNumber|sampleOfDate)
			case []string:
				for _, t := range v {
					samples.add(t, sampleOfNumber|sampleOfDate)
				}
			}
			return out
		}
		switch v := out[0].Interface().(type) {
		case string:
			if !samples.has(v) {
				out[0] = reflect.ValueOf(in).Convert(out[0].Type())
			}
		case []string:
			kept := make([]string, len(v))
			for i, s := range v {
				kept[i] = s
				if !samples.has(s) {
					kept[i] = in
				}
			}
			out[0] = reflect.ValueOf(kept).Convert(out[0].Type())
		}
		return out
	}).Interface()
}

// sortRecords sorts a list of records by the field key, as liquidSort (Liquid's sort or
// sort_natural) sorts objects: Liquid reads the key of maps only, and a record is not one, so it
// left a batch in its order ({{ records | sort: "name" }}). Each record (or object) is given to it
// as an object of that field (and its place, under another key), and the records are put in the
// order it sorts those in. For sort (numeric), a number that is its exact text (a decimal, an
// integer past an int: json.Number) is given as a float64, so that it is compared as a number:
// as text, Liquid sorted 9.5, 10.25, 10 as 10.25, 9.5, 10, and a decimal against an integer not
// at all. A list of such numbers ({{ records | map: "price" | sort }}) is sorted the same way,
// each kept as it is. Anything else is liquidSort's.
func sortRecords(list []any, key any, numeric bool, liquidSort func([]any, any) (any, error)) (any, error) {
	if len(list) == 0 {
		return liquidSort(list, key)
	}
	// sortable is v as liquidSort compares it, and whether that is not v itself.
	sortable := func(v any) (any, bool) {
		if !numeric {
			// sort_natural compares texts: a number by its text (Liquid's failed on anything but
			// a string: "interface conversion: interface {} is int, not string").
			// Null (and a missing field) is "", as Liquid's reads any other value by a key: it
			// failed on null in a list ("interface {} is nil, not string").
			switch v.(type) {
			case nil:
				return "", true
			case string, map[string]any, []any, recordDrop, *rawRecord:
				return v, false
			}
			return textOf(v), true
		}
		switch n := v.(type) {
		case json.Number:
			f, _ := strconv.ParseFloat(string(n), 64) // past float64's range: ±Inf, still in order
			return f, true
		case liquidFloat:
			return float64(n), true
		}
		return v, false
	}
	const value = "\x00value"
	k, ok := key.(string)
	if !ok {
		// A list of values: proxies only when a value needs one.
		if key != nil || !slices.ContainsFunc(list, func(x any) bool { _, proxy := sortable(x); return proxy }) {
			return liquidSort(list, key)
		}
		k = value
	}
	place := k + "\x00place"
	proxies := make([]any, len(list))
	for i, x := range list {
		m := map[string]any{place: i}
		if !numeric {
			// Liquid's sort_natural fails on an object without the key ("reflect: call of
			// reflect.Value.CanInterface on zero Value"): a missing field sorts as null does.
			m[k] = ""
		}
		switch {
		case k == value:
			m[k], _ = sortable(x)
		case recordOf(x) != nil:
			if v, ok := recordOf(x).field(k); ok {
				m[k], _ = sortable(v)
			}
		default:
			o, ok := x.(map[string]any)
			if !ok {
				return liquidSort(list, key)
			}
			if v, ok := o[k]; ok {
				m[k], _ = sortable(v)
			}
		}
		proxies[i] = m
	}
	sorted, err := liquidSort(proxies, k)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(list))
	for i, m := range sorted.([]any) {
		out[i] = list[m.(map[string]any)[place].(int)]
	}
	return out, nil
}

// truncateText is Liquid's truncate filter: when s's first line has more than n characters (runes;
// el's length is in bytes), that line cut to n-len(el) of them and followed by el, else s. Its
// regular expression, ^(.{n-len(el)})..{len(el),}, stops at a newline, and what replaces it is the
// template $1 followed by el, expanded (an el that starts with a letter, a digit or _ names a
// group that does not exist: the line is replaced by the rest of el); the same expansion is done
// here. liquid is Liquid's own, for n shorter than el (its repeat count is then text to match).
func truncateText(s string, n int, el string, liquid func(string, func(int) int, func(string) string) string) string {
	k := n - len(el)
	if k < 0 {
		return liquid(s, func(int) int { return n }, func(string) string { return el })
	}
	line, _, _ := strings.Cut(s, "\n")
	if utf8.RuneCountInString(line) < k+1+len(el) {
		return s
	}
	cut, i := 0, 0
	for i = range line {
		if cut == k {
			break
		}
		cut++
	}
	return string(oneGroup.ExpandString(nil, "$1"+el, line, []int{0, len(line), 0, i})) + s[len(line):]
}

// oneGroup expands a template as Liquid's truncate does: its expression has one unnamed group.
var oneGroup = regexp.MustCompile(`(.)`)

// truncateWords is Liquid's truncatewords filter: s up to the end of its nth word followed by el,
// as its regular expression ^(?:\s*\S+){n} matches (a word is a run of characters but space,
// tab, newline, carriage return and form feed; when s has fewer than n words but as many
// characters in them, the expression splits them and matches up to the last), else s.
func truncateWords(s string, n int, el string, liquid func(string, func(int) int, func(string) string) string) string {
	if n < 0 { // the expression's repeat count is then text to match
		return liquid(s, func(int) int { return n }, func(string) string { return el })
	}
	if n == 0 {
		return s
	}
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	words, chars, end := 0, 0, 0
	for i := 0; i < len(s); {
		if space(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !space(s[j]) {
			j++
		}
		words++
		chars += utf8.RuneCountInString(s[i:j])
		if end = j; words == n {
			return s[:end] + el
		}
		i = j
	}
	if chars >= n {
		return s[:end] + el
	}
	return s
}

// dateLayouts are the layouts Liquid reads a date or timestamp's text with (its
// values.ParseDate's), in its order.
var dateLayouts = []string{
	time.ANSIC, time.UnixDate, time.RubyDate, time.RFC822, time.RFC822Z, time.RFC850, time.RFC1123, time.RFC1123Z,
	time.RFC3339, "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05Z", "2006-01-02", "20060102T150405Z",
	"Mon, 02 Jan 2006 15:04:05 -0700", "02 January 2006", "02 Jan 2006", "2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"January 2, 2006", "January 2 2006", "Jan 2, 2006", "Jan 2 2006",
}

// dateOf reads v as a date or timestamp for the date, iso8601 and unix filters, as Liquid does
// but for the zone: a text without one (a `timestamp` column's "2019-12-08 14:19:52", a date) is
// UTC, as the envelope and the sample record at plan have it, not the zone of the machine
// rendering the template (Liquid's time.Local: the runner's, or terraform plan's), which shifted
// iso8601 and unix by its offset, made a date the day before east of Greenwich, and moved an hour
// of a DST gap. "now" is the current time, in UTC too.
func dateOf(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string:
		if v == "now" {
			return time.Now().UTC(), nil
		}
		for _, layout := range dateLayouts {
			if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("can't convert string(%s) to type time.Time", truncate(v, 64))
	case bool, nil, []any, map[string]any, recordDrop, *rawRecord:
	default:
		// A number is seconds since 1970, as in Shopify's Liquid (a text of digits stays a text:
		// "20240229" is not 1970-08-23).
		n, isInt, err := exactNumber(v)
		if err == nil && isInt {
			if !n.Num().IsInt64() || n.Num().Int64() < minUnixSeconds || n.Num().Int64() > maxUnixSeconds {
				return time.Time{}, fmt.Errorf("can't convert %s to type time.Time: as seconds since 1970 it is not "+
					"between the years 1 and 9999 (milliseconds? divide them first: | divided_by: 1000)", truncate(textOf(v), 64))
			}
			return time.Unix(n.Num().Int64(), 0).UTC(), nil
		}
		if err == nil {
			return time.Time{}, fmt.Errorf("can't convert %s to type time.Time: a number is read as whole seconds "+
				"since 1970 (round it first: | round)", truncate(textOf(v), 64))
		}
	}
	return time.Time{}, fmt.Errorf("can't convert %s to type time.Time: it is not a date, a timestamp or seconds since 1970", truncate(textOf(v), 64))
}

// sampleDate is dateOf for a plan-time check, where a sample record's text (sampleTexts) stands
// for any text its column holds, dates among them (a text column of "2024-01-02"): it is the
// sample record's time (SampleTime), as sampleNumber reads such a text as a number.
func sampleDate(samples sampleTexts) func(v any) (time.Time, error) {
	return func(v any) (time.Time, error) {
		if samples.kind(v)&sampleOfDate != 0 || samples.mayBe(v, sampleOfDate, dateForms, true) {
			return SampleTime, nil
		}
		return dateOf(v)
	}
}

// The seconds since 1970 of 0001-01-01 and 9999-12-31T23:59:59Z: the dates a number can stand for.
const (
	minUnixSeconds = -62135596800
	maxUnixSeconds = 253402300799
)

// filterSet collects filters by name: Liquid's standard ones, and ours in place of some.
type filterSet map[string]any

func (s filterSet) AddFilter(name string, fn any) { s[name] = fn }

// jsonText is v as JSON, without HTML escaping (the body is not HTML). Numbers keep their text;
// records (rawRecord) are copied as the runner encoded them.
func jsonText(v any) (string, error) {
	switch v := v.(type) {
	case recordDrop:
		return string(v.r.raw), nil
	case *rawRecord:
		return string(v.raw), nil
	case []any:
		if s, ok := rawList(v); ok {
			return s, nil
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("json: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// rawList joins a list of records' JSON; false when something in it is not a record.
func rawList(list []any) (string, bool) {
	n := 2
	for _, x := range list {
		r := recordOf(x)
		if r == nil {
			return "", false
		}
		n += len(r.raw) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, x := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, recordOf(x).raw...)
	}
	return string(append(b, ']')), true
}

// recordOf is x as a record, nil when it is not one.
func recordOf(x any) *rawRecord {
	switch x := x.(type) {
	case *rawRecord:
		return x
	case recordDrop:
		return x.r
	}
	return nil
}

// textOf is the text a value stands for in a URL or a digest: strings as they are, numbers as
// written, null as nothing, objects and arrays as JSON.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64) // never with an exponent: 1e+06 in a URL is not 1000000
	case liquidFloat:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case *rawRecord:
		return string(v.raw)
	case recordDrop:
		return string(v.r.raw)
	case map[string]any, []any:
		s, _ := jsonText(v)
		return s
	}
	return fmt.Sprint(v)
}

// PercentEncode escapes everything but RFC 3986's unreserved characters (letters, digits, -._~),
// as UTF-8: the result is safe as a path segment (a slash becomes %2F, a space %20) and as a
// query value. A value that is a dot segment ("." or "..") is escaped whole (%2E, %2E%2E), so
// that a client does not resolve it before sending; servers decode it back to a dot segment, so
// a path refuses it (checkPath), and a query carries it.
func PercentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// template is one template, compiled: its text, and compiled copies of it ready to render. A
// copy's engine holds the budget of the render under way (engine), so a render takes a copy of
// its own (get), made when none is free, and puts it back (put). The copies are kept in a list,
// not a sync.Pool: a pool is emptied by every garbage collection, and a render allocates enough
// to start several, so most renders compiled the template again (a batch of 1,000 records
// rendered by {{ records | json }} took twice as long).
type template struct {
	src    string
	strict bool
	// path: a path's template, whose outputs are marked (markOutputs); outputs are their texts,
	// by number.
	path    bool
	outputs []string
	mu      sync.Mutex
	free    []*compiled
}

// maxFreeCopies is how many compiled copies a template keeps for renders to come: as many
// renders run at once as a sync's concurrency, 16 at most by default.
const maxFreeCopies = 64

// compiled is a template parsed by an engine of its own.
type compiled struct {
	t       *liquid.Template
	b       *budget
	samples sampleTexts // a strict engine's (newEngine): the sample texts of the render under way
}

// compileTemplate parses src for an engine, strict for plan-time checks (newEngine).
func compileTemplate(strict bool, src string) (*template, error) {
	return compileKind(&template{src: src, strict: strict})
}

// compilePath is compileTemplate for a request's path: render it with renderPath, which takes
// out the marks around what its outputs wrote.
func compilePath(strict bool, src string) (*template, error) {
	if err := refuseOutputMarks(src); err != nil {
		return nil, err
	}
	return compileKind(&template{src: src, strict: strict, path: true})
}

func compileKind(t *template) (*template, error) {
	c, outputs, err := t.compile()
	if err != nil {
		return nil, err
	}
	if err := findInclude(t.src); err != nil {
		return nil, err
	}
	t.outputs = outputs
	t.put(c)
	return t, nil
}

// compile parses a copy of t, and for a path's template marks its outputs and returns their
// texts (template.outputs: the same for every copy).
func (t *template) compile() (*compiled, []string, error) {
	e := newEngine(t.strict)
	lt, err := parse(e, t.src)
	if err != nil {
		return nil, nil, err
	}
	root := []liquidrender.Node{lt.GetRoot()}
	e.instrument(t.src, root)
	var outputs []string
	if t.path {
		outputs = e.markOutputs(root, nil)
	}
	return &compiled{t: lt, b: e.b, samples: e.samples}, outputs, nil
}

// parse parses src with e. A number Liquid's lexer cannot read ({{ 99999999999999999999 }}, an
// integer past 2⁶³ written in the template) makes it panic, which took the runner, or terraform
// plan, down: it is an error of the template instead.
func parse(e *engine, src string) (lt *liquid.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			var ne *strconv.NumError
			if re, ok := r.(error); ok && errors.As(re, &ne) {
				err = &TemplateError{Line: 1, Msg: fmt.Sprintf("the number %s cannot be read (%v): write a number "+
					"of more than 18 digits between quotes (\"123…\" | plus: 1)", truncate(ne.Num, 64), ne.Err)}
				return
			}
			err = &TemplateError{Line: 1, Msg: fmt.Sprintf("the template cannot be parsed: %v", r)}
		}
	}()
	lt, serr := e.ParseTemplateLocation([]byte(src), "", 1)
	if serr != nil {
		return nil, locate(src, serr)
	}
	return lt, nil
}

// get returns a copy of t for one render; put it back after.
func (t *template) get() (*compiled, error) {
	t.mu.Lock()
	if n := len(t.free); n > 0 {
		c := t.free[n-1]
		t.free[n-1] = nil
		t.free = t.free[:n-1]
		t.mu.Unlock()
		return c, nil
	}
	t.mu.Unlock()
	c, _, err := t.compile()
	return c, err
}

// put gives back a copy that get returned, once its render is over.
func (t *template) put(c *compiled) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.free) < maxFreeCopies {
		t.free = append(t.free, c)
	}
}

// findInclude refuses a template with an include tag when it is compiled (at plan time too),
// wherever the tag is but in a raw or comment block: rendering refuses it as well (newEngine),
// but only on a branch a record takes. The tags are those Liquid's own scanner finds, so text
// that only looks like one is not: {% include %} in a string of an output ({{ "{% include x %}"
// }}) is that string. Liquid skips a raw or comment block's text up to the first tag that ends
// it, and so does findInclude.
func findInclude(src string) error {
	skip := "" // the tag that ends the raw or comment block we are in
	at := 0    // where tok starts in src: the tokens' texts are src, in order
	for _, tok := range liquidparser.Scan(src, liquidparser.SourceLoc{LineNo: 1}, nil) {
		start := at
		at += len(tok.Source)
		if tok.Type != liquidparser.TagTokenType {
			continue
		}
		switch {
		case skip != "":
			if tok.Name == skip {
				skip = ""
			}
		case tok.Name == "raw", tok.Name == "comment":
			skip = "end" + tok.Name
		case tok.Name == "include":
			return &TemplateError{Line: tok.SourceLoc.LineNo, Column: 1 + start - (strings.LastIndexByte(src[:start], '\n') + 1),
				Msg: includeRefused}
		}
	}
	return nil
}

// includeRefused says why a template may not include files.
const includeRefused = "the include tag is not available: a template cannot read files; put the text in the template itself"

// How much a template may render: a loop over a large range would otherwise render gigabytes
// into memory, and take the runner down with every sync it serves. A body may render the larger
// of renderFloor and bodyRenderFactor times the size of its records (a template that copies its
// records a few times is well within it); a path, maxPathRender (more than any server takes in
// a URL).
var renderFloor = 32 << 20

const (
	bodyRenderFactor = 8
	maxPathRender    = 64 << 10
)

// bodyRenderLimit is how much a body template may render for records.
func bodyRenderLimit(records [][]byte) int {
	n := 0
	for _, r := range records {
		n += len(r)
	}
	return max(renderFloor, bodyRenderFactor*n)
}

func (t *template) render(b map[string]any, lim limits) ([]byte, error) {
	return t.appendRender(nil, b, lim)
}

// appendRender appends what t renders to buf, within lim: past it, rendering stops with an error.
func (t *template) appendRender(buf []byte, b map[string]any, lim limits) (out []byte, err error) {
	c, err := t.get()
	if err != nil {
		return buf, err
	}
	c.b.reset(lim)
	if c.samples != nil {
		c.samples.collect(b)
	}
	w := &boundedBuffer{b: bytes.NewBuffer(buf), start: len(buf), limit: lim.output, marked: t.path,
		over: func() error { return c.b.stop(&renderTooLarge{limit: lim.output}) }}
	defer func() {
		// Liquid panics on some failed writes: with the write's error where it flushes the text
		// it held back for whitespace control ({%- -%}), and with one of its own where it wraps
		// the error of a node that has no position. A panic after the budget stopped the render
		// (a bound passed) is that.
		if r := recover(); r != nil {
			var msg string
			if c.b.stopped != nil {
				msg = c.b.stopped.Error()
			} else if re := runtimeError(r); re != nil {
				msg = failedMessage(re)
			} else {
				panic(r)
			}
			out, err = buf, &TemplateError{Line: 1, Msg: msg}
		}
		t.put(c)
	}()
	if err := c.t.FRender(w, b); err != nil {
		te := locate(t.src, err)
		if c.b.stopped != nil {
			// Liquid says which filter or tag failed; the budget says why, and which loop.
			te = &TemplateError{Line: te.Line, Column: te.Column, Msg: c.b.stopped.Error()}
			if w, ok := c.b.stopped.(*tooMuchWork); ok && w.line > 0 {
				te.Line, te.Column = w.line, w.column
			}
		}
		return buf, te
	}
	if c.b.stopped != nil { // an error Liquid did not pass on
		return buf, &TemplateError{Line: 1, Msg: c.b.stopped.Error()}
	}
	return w.b.Bytes(), nil
}

// runtimeError is the Go runtime's error a render panicked with (Liquid re-panics it, wrapped, from
// an expression: {% if record.o == record.m %} compares two objects with Go's ==, which panics on
// maps), or nil for any other panic. It took the runner, or terraform plan, down; it is the
// template's error instead, as a filter's panic is (budget.go's call).
func runtimeError(r any) runtime.Error {
	err, _ := r.(error)
	for err != nil {
		if re, ok := err.(runtime.Error); ok {
			return re
		}
		if c, ok := err.(interface{ Cause() error }); ok && c.Cause() != err {
			err = c.Cause()
			continue
		}
		err = errors.Unwrap(err)
	}
	return nil
}

// failedMessage says why a render that panicked with re failed.
func failedMessage(re runtime.Error) string {
	if strings.Contains(re.Error(), "comparing uncomparable") {
		return "an object (or a list holding one) cannot be compared with ==, !=, contains or when: compare its fields (" + re.Error() + ")"
	}
	return "the template failed: " + re.Error()
}

// boundedBuffer is a buffer that refuses to take more than limit bytes past start. It has no
// WriteString, so that io.WriteString goes through Write.
type boundedBuffer struct {
	b            *bytes.Buffer
	start, limit int
	over         func() error // the error of a write refused
	// marked: a path's render, whose outputs' marks (markBytes) do not count, so that a path is
	// bounded by what is sent.
	marked bool
	marks  int // bytes of marks written
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	m := 0
	if w.marked {
		m = markBytes(p)
	}
	if w.b.Len()-w.start-w.marks-m+len(p) > w.limit {
		return 0, w.over()
	}
	w.marks += m
	return w.b.Write(p)
}

// renderTooLarge is a template that rendered more than it may.
type renderTooLarge struct{ limit int }

func (e *renderTooLarge) Error() string {
	return fmt.Sprintf("it renders more than %s, where rendering stops (a loop that repeats text without bound?)", byteSize(e.limit))
}

// byteSize writes n as KiB or MiB when it is a whole number of them.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// locate turns a Liquid error into a TemplateError with its line and, when the text it quotes
// is found on that line, its column.
func locate(src string, err liquid.SourceError) *TemplateError {
	line := max(err.LineNumber(), 1)
	msg := err.Error()
	// Liquid's message is "Liquid error (line N): what in SOURCE TEXT".
	if i := strings.Index(msg, "): "); i >= 0 && strings.HasPrefix(msg, "Liquid error") {
		msg = msg[i+3:]
	}
	msg = strings.TrimPrefix(msg, "Liquid error: ")
	col := 0
	lines := strings.Split(src, "\n")
	if line <= len(lines) {
		text := lines[line-1]
		for i := strings.Index(msg, " in "); i >= 0; {
			quoted := msg[i+4:]
			if c := strings.Index(text, quoted); quoted != "" && c >= 0 {
				col = c + 1
				msg = msg[:i] + " in " + quoted
				break
			}
			j := strings.Index(msg[i+4:], " in ")
			if j < 0 {
				break
			}
			i += 4 + j
		}
	}
	var cause *TemplateError
	if errors.As(err.Cause(), &cause) {
		return cause
	}
	return &TemplateError{Line: line, Column: col, Msg: msg}
}

// decodeRecord decodes a record (a JSON object) into what templates see: objects as maps,
// integers that fit as int, other numbers as json.Number (their exact text), strings, bools,
// nil.
func decodeRecord(rec []byte) (map[string]any, error) {
	v, err := decodeValue(bytes.TrimSpace(rec))
	m, ok := v.(map[string]any)
	if err == nil && !ok {
		err = fmt.Errorf("it is %.20q", rec)
	}
	if err != nil {
		return nil, fmt.Errorf("the record is not a JSON object: %w", err)
	}
	return m, nil
}

// integer is n as an int when it is an integer that fits one, else n itself (its exact text). An
// int, not an int64: Liquid's ranges take ints only, so (1..record.count) failed with "can't
// convert int64(3) to type int" for a record's integer.
func integer(n json.Number) any {
	// -0 (a float's negative zero, as the warehouse writes it) is not the integer 0: kept as
	// text, it keeps its sign.
	if i, err := strconv.ParseInt(string(n), 10, strconv.IntSize); err == nil && (i != 0 || n[0] != '-') {
		return int(i)
	}
	return n
}

func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		return integer(v)
	case map[string]any:
		for k, x := range v {
			v[k] = numbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = numbers(x)
		}
	}
	return v
}

// JSONPosition says where offset (a json.SyntaxError's) is in text: 1-based line and column,
// and the line itself.
func JSONPosition(text []byte, offset int64) (line, col int, lineText string) {
	offset = min(max(offset, 1), int64(len(text)))
	before := text[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	col = int(offset) - start
	end := bytes.IndexByte(text[start:], '\n')
	if end < 0 {
		end = len(text) - start
	}
	return line, col, string(text[start : start+end])
}

// jsonHint says what to do about a body that is not valid JSON. It comes before the rendered line
// quoted after it, which can be long, so that a rejection's first KiB holds it: a value written
// between quotes without json ("{{ record.name }}") breaks the body only for the records whose
// value holds a quote, a backslash or a control character, which the plan's sample does not.
const jsonHint = " (put each value in it through the json filter, {{ ... | json }}, which quotes and escapes it)"

// checkJSON says where body is not valid JSON, nil if it is.
func checkJSON(body []byte) error {
	// gjson's validator first: several times faster than encoding/json's state machine (a
	// function call per byte), with its rules but for encoding/json's nesting bound of 10000
	// (TestValidJSONAgreesWithEncodingJSON). Its refusals are confirmed by encoding/json, whose
	// error says where. A body nested deeper than that bound (which checkJSON lets through) is
	// read token by token instead: gjson's validator recurses per level, and a value of
	// millions of '[' written without the json filter overflowed the goroutine's stack, a
	// fatal error that ended the runner.
	var err error
	switch {
	case !jsondepth.Within(body, jsondepth.Max):
		err = deepJSON(body)
	case gjson.ValidBytes(body) || json.Valid(body):
	default:
		var v any
		err = json.Unmarshal(body, &v)
	}
	if err == nil {
		// Both validators take bytes that are not UTF-8 in a string, which JSON's text may not
		// hold (RFC 8259, 8.1): url_decode makes them of a Latin-1 escape (caf%E9).
		if utf8.Valid(body) {
			return nil
		}
		line, col, text := JSONPosition(body, int64(firstInvalidUTF8(body))+1)
		return fmt.Errorf("the rendered body is not valid JSON%s: it holds a byte that is not UTF-8 (the json filter writes such a byte as U+FFFD) at line %d, column %d of what it rendered: %q", jsonHint, line, col, text)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col, text := JSONPosition(body, se.Offset)
		return fmt.Errorf("the rendered body is not valid JSON%s: %v at line %d, column %d of what it rendered: %q", jsonHint, se, line, col, text)
	}
	return fmt.Errorf("the rendered body is not valid JSON%s: %v", jsonHint, err)
}

// deepJSON says why body, JSON nested deeper than encoding/json's bound, is not valid JSON, nil
// if it is: its tokens read in turn (encoding/json's Decoder bounds the nesting of a value it
// decodes, not of its tokens), one value and nothing after it; nothing recurses per level.
func deepJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for depth := 0; ; {
		t, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		} else if err != nil {
			return err
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid character after top-level value")
	}
	return nil
}

// firstInvalidUTF8 is the offset of the first byte of b that does not start a valid UTF-8
// character, len(b) if there is none.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
