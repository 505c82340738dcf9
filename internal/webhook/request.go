package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	liquidparser "github.com/osteele/liquid/parser"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Builder builds the requests a Deliverer sends: the Census envelope (EnvelopeBuilder) or a sync's
// templated requests (Requests). Everything else about a request — retries, bisection, pacing,
// signing, webhook-id, fencing — is the Deliverer's and the same for every Builder.
type Builder interface {
	// PerRecord reports whether every record is sent in a request of its own.
	PerRecord() bool
	// Build appends to buf the body of one request carrying records (each a JSON object) of
	// operation op (controlplane.OpNew, OpChanged or OpDeleted) and says how it is sent. An error
	// is about the records: they are rejected with it, never sent.
	Build(buf []byte, meta *Meta, op string, records [][]byte) (Built, error)
}

// Built is one request a Builder built.
type Built struct {
	Body        []byte
	Method      string            // "": the endpoint's
	Path        string            // appended to the endpoint's URL; "": the URL itself
	ContentType string            // "": no body, no Content-Type
	Headers     map[string]string // besides the endpoint's
	// RecordPath: the request is one record's (record mode) and its Path depends on the record,
	// so it names that record's resource: a 410 says the resource is gone, not the endpoint, and
	// refuses the record alone as another 4xx would.
	RecordPath bool
	// KeyPath: RecordPath, and the path depends on the record's key (Vars.Key): rendered for the
	// record without its key field it differs. So it names that record, not a resource another
	// field picks (an account id, the run's id in a metadata field): a 404 to it says the
	// endpoint lacks the record. Without Vars.Key, it is RecordPath.
	KeyPath bool
}

// EnvelopeBuilder is the default Builder: each batch in one Census envelope to the endpoint's URL.
type EnvelopeBuilder struct{}

func (EnvelopeBuilder) PerRecord() bool { return false }

func (EnvelopeBuilder) Build(buf []byte, meta *Meta, op string, records [][]byte) (Built, error) {
	return Built{Body: meta.AppendEnvelope(buf, EnvelopeOperation(op), records), ContentType: "application/json"}, nil
}

// EnvelopeOperation is the envelope's operation for a record of operation op: new records are
// "changed" there, as in Census's webhook.
func EnvelopeOperation(op string) string {
	if op == controlplane.OpNew {
		return OpChanged
	}
	return op
}

// Requests is a sync's request spec compiled: a Builder. Compile it once per run; Build may be
// called from several goroutines at once.
type Requests struct {
	perRecord bool
	ops       map[string]*compiledRequest // by operation; nil entries: no request for it
	vars      Vars
	// hidden are the strings the templates write as they are (templateStrings), left out of
	// what a record's rejection says of its rendered request.
	hidden []string
	// sample: the records are plan-time samples (the strict checks'), whose SampleObject values
	// stand for any JSON (anyValue).
	sample bool
}

type compiledRequest struct {
	r      *controlplane.OperationRequest
	format string
	ctype  string
	path   *template
	body   *template
}

// SpecError is a request spec that cannot be compiled: which operation and field, and why.
type SpecError struct {
	Operation string // "new", "changed" or "deleted"
	Field     string // "path" or "body"
	Err       error  // a *TemplateError when the template does not parse
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("request.%s.%s: %v", e.Operation, e.Field, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// CompileRequests compiles spec's templates for runs with the variables vars.
func CompileRequests(spec *controlplane.RequestSpec, vars Vars) (*Requests, error) {
	return compileRequests(spec, vars, false)
}

// CompileSampleRequests compiles spec's templates for a plan-time sample record
// (runner.SampleRecordOf), rendered as the plan's check renders it (CheckRequests): strictly, a
// text column's sample text standing for any number or date, and a JSON column's sample for any
// JSON. test_on_save's request is built so: a template the plan passed is built there too.
func CompileSampleRequests(spec *controlplane.RequestSpec, vars Vars) (*Requests, error) {
	return compileRequests(spec, vars, true)
}

func compileRequests(spec *controlplane.RequestSpec, vars Vars, strict bool) (*Requests, error) {
	rs := &Requests{perRecord: spec.Mode != controlplane.RequestModeBatch, ops: map[string]*compiledRequest{}, vars: vars,
		hidden: templateStrings(spec), sample: strict}
	for _, op := range []string{controlplane.OpNew, controlplane.OpChanged, controlplane.OpDeleted} {
		r := spec.OperationFor(op)
		if r == nil {
			continue
		}
		c := &compiledRequest{r: r, format: r.EffectiveFormat(), ctype: r.EffectiveContentType()}
		var err error
		if c.path, err = compilePath(strict, r.Path); err != nil {
			return nil, &SpecError{Operation: op, Field: "path", Err: err}
		}
		if c.format == controlplane.FormatJSON || c.format == controlplane.FormatRaw {
			if c.body, err = compileTemplate(strict, r.Body); err != nil {
				return nil, &SpecError{Operation: op, Field: "body", Err: err}
			}
		}
		rs.ops[op] = c
	}
	return rs, nil
}

func (rs *Requests) PerRecord() bool { return rs.perRecord }

// bindings are what a template of op sees for records: `record` in record mode, `records` in
// batch mode, each record read lazily (rawRecord). A record that is not a JSON object sets
// "error" instead.
func (rs *Requests) bindings(op string, records [][]byte) map[string]any {
	b := rs.vars.bindings(op)
	if rs.perRecord {
		rec, err := newRawRecord(records[0])
		if err != nil {
			return map[string]any{"error": err}
		}
		rec.sample = rs.sample
		b["record"] = rec
		return b
	}
	list := make([]any, len(records))
	for i, r := range records {
		rec, err := newRawRecord(r)
		if err != nil {
			return map[string]any{"error": err}
		}
		rec.sample = rs.sample
		list[i] = rec
	}
	b["records"] = list
	return b
}

// IsJSON reports whether a content type is JSON's: application/json, a +json type
// (application/vnd.api+json), or text/json, the older name some APIs still ask for.
func IsJSON(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

func (rs *Requests) Build(buf []byte, meta *Meta, op string, records [][]byte) (Built, error) {
	c := rs.ops[op]
	if c == nil {
		return Built{}, fmt.Errorf("the sync's request has no %q request", op)
	}
	var b map[string]any
	if c.path.src != "" || c.body != nil {
		if rs.perRecord && len(records) != 1 {
			return Built{}, fmt.Errorf("record mode builds one request per record, not %d", len(records))
		}
		b = rs.bindings(op, records)
		if err, _ := b["error"].(error); err != nil {
			return Built{}, err
		}
	}
	out := Built{Method: c.r.Method, ContentType: c.ctype, Headers: c.r.Headers}
	if c.path.src != "" {
		p, spans, err := c.path.renderPath(b, pathLimits(records))
		if err != nil {
			return Built{}, fmt.Errorf("the request's path could not be rendered: %w", err)
		}
		if err := unreadable(b); err != nil {
			return Built{}, err
		}
		if err := c.path.checkRenderedPath(p, spans); err != nil {
			return Built{}, err
		}
		out.Path = escapeURL(string(p), true)
		if rs.perRecord {
			out.RecordPath = rs.pathNamesRecord(c, op, p)
			out.KeyPath = out.RecordPath && rs.pathNamesKey(c, op, p, records[0])
		}
	}
	switch c.format {
	case controlplane.FormatJSON, controlplane.FormatRaw:
		body, err := c.body.appendRender(buf, b, bodyLimits(records))
		if err != nil {
			return Built{}, fmt.Errorf("the request's body could not be rendered: %w", err)
		}
		if err := unreadable(b); err != nil {
			return Built{}, err
		}
		if IsJSON(c.ctype) {
			if err := checkJSON(body); err != nil {
				return Built{}, err
			}
		}
		out.Body = body
	case controlplane.FormatNDJSON:
		for _, r := range records {
			if hasLineBreak(r) {
				buf = append(appendOneLine(buf, r), '\n')
			} else {
				buf = append(append(buf, r...), '\n')
			}
		}
		out.Body = buf
	case controlplane.FormatForm:
		var err error
		if out.Body, err = appendForm(buf, records); err != nil {
			return Built{}, err
		}
	case controlplane.FormatEnvelope:
		out.Body = meta.AppendEnvelope(buf, EnvelopeOperation(op), records)
	case controlplane.FormatNone:
		out.Body = buf[:0]
	default:
		return Built{}, fmt.Errorf("unknown body format %q", c.format)
	}
	return out, nil
}

// emptyRecord is a record without fields, to tell a path that depends on the record from one
// that does not.
var emptyRecord = []byte("{}")

// pathNamesRecord reports whether the path c renders for op depends on the record: whether p,
// what it rendered for the record, differs from what it renders for a record without fields.
func (rs *Requests) pathNamesRecord(c *compiledRequest, op string, p []byte) bool {
	empty, _, err := c.path.renderPath(rs.bindings(op, [][]byte{emptyRecord}), pathLimits([][]byte{emptyRecord}))
	return err != nil || !bytes.Equal(empty, p)
}

// pathNamesKey reports whether the path c renders for op depends on record's key: whether p, what
// it rendered for the record, differs from what it renders for the record without its key field
// (Vars.Key; true when that is unknown).
func (rs *Requests) pathNamesKey(c *compiledRequest, op string, p, record []byte) bool {
	if rs.vars.Key == "" {
		return true
	}
	fields, err := scanObject(record)
	if err != nil {
		return false
	}
	rest := []byte{'{'}
	for _, f := range fields {
		if string(f.key) == rs.vars.Key {
			continue
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		name, _ := json.Marshal(string(f.key))
		rest = append(append(append(rest, name...), ':'), f.value...)
	}
	rest = append(rest, '}')
	without, _, err := c.path.renderPath(rs.bindings(op, [][]byte{rest}), pathLimits([][]byte{rest}))
	return err != nil || !bytes.Equal(without, p)
}

// appendForm appends the record as application/x-www-form-urlencoded, its fields in order:
// strings as they are, numbers as written, booleans as true/false, null as an empty value,
// objects and arrays as JSON.
func appendForm(buf []byte, records [][]byte) ([]byte, error) {
	if len(records) != 1 {
		return nil, fmt.Errorf("a form body carries one record, not %d (form bodies are for record mode)", len(records))
	}
	dec := json.NewDecoder(bytes.NewReader(records[0]))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("the record is not a JSON object")
	}
	first := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the record is not a JSON object: %w", err)
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("the record is not a JSON object: %w", err)
		}
		var v string
		switch {
		case len(raw) > 0 && raw[0] == '"':
			_ = json.Unmarshal(raw, &v)
		case string(raw) == "null":
		default:
			v = string(raw)
		}
		if !first {
			buf = append(buf, '&')
		}
		first = false
		buf = append(buf, url.QueryEscape(key)...)
		buf = append(buf, '=')
		buf = append(buf, url.QueryEscape(v)...)
	}
	return buf, nil
}

// checkPath refuses a rendered path that no URL can carry (a control character, a % not
// followed by two hex digits in the path part), or that would send the request elsewhere than it
// says: a '#' (what follows it is a fragment, never sent, so the path would end there) or a "."
// or ".." segment before the query (the endpoint, or a proxy, resolves it: /api/c/../../admin
// is /admin, out of the connection's URL). The record's request cannot be built, so that record
// alone is refused (status 0) instead of failing the run. Values put in a path through url_encode
// pass, but for those that hold a dot segment once a server decodes them (dotSegment).
func checkPath(p []byte) error {
	bad := func(why string) error {
		return fmt.Errorf("the request's path %q %s: put the record's values in it through url_encode", truncate(string(p), 200), why)
	}
	if _, err := url.Parse("http://h/" + strings.TrimLeft(string(p), "/")); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return bad(fmt.Sprintf("is not a valid URL path (%v)", err))
	}
	if bytes.IndexByte(p, '#') >= 0 {
		return bad("has a '#', which would end it there (a fragment is never sent)")
	}
	path, _, _ := bytes.Cut(p, []byte("?"))
	for _, seg := range bytes.Split(path, []byte("/")) {
		s := string(seg)
		if s == "." || s == ".." {
			return bad(fmt.Sprintf("has a %q segment, which would be resolved to another path", s))
		}
		if d := dotSegment(s); d != "" {
			return fmt.Errorf("the request's path %q has a segment %q that servers read as %q and resolve to another "+
				"path (a value that is . or .. cannot name a resource in a path, even through url_encode)",
				truncate(string(p), 200), truncate(s, 64), d)
		}
	}
	return nil
}

// dotSegment is the dot segment ("." or "..") that seg is, or holds, once a server has read it,
// "" when there is none: servers decode a path's %XX before resolving its dot segments (Go's
// server hands its handler /a/../b for /a/%2E%2E/b; nginx resolves it to /b before choosing a
// location or proxying), a decoded %2F (and, to some, %5C or a backslash) separates segments
// there (..%2Fadmin, what url_encode makes of "../admin", is ../admin), and Tomcat, and the
// proxies that follow it, drop a segment's ;parameters first (..;x is ..). What url_encode
// makes of a value "." or ".." (%2E, %2E%2E) is one.
//
// Some servers, and the frameworks and proxies before them, also normalise the decoded path's
// Unicode (NFKC, or a best-fit mapping to ASCII) before they resolve it: a fullwidth full stop
// (U+FF0E) is a dot to them, a fullwidth solidus (U+FF0F) or a division slash (U+2215) a slash.
// Those characters are read as what they become (lookalikes), raw or percent-encoded.
func dotSegment(seg string) string {
	d, err := url.PathUnescape(seg)
	if err != nil {
		d = seg
	}
	if strings.ContainsFunc(d, func(r rune) bool { return lookalikes[r] != "" }) {
		var b strings.Builder
		for _, r := range d {
			if l := lookalikes[r]; l != "" {
				b.WriteString(l)
			} else {
				b.WriteRune(r)
			}
		}
		d = b.String()
	}
	for _, part := range strings.FieldsFunc(d, func(r rune) bool { return r == '/' || r == '\\' }) {
		part, _, _ = strings.Cut(part, ";")
		if part == "." || part == ".." {
			return part
		}
	}
	return ""
}

// lookalikes are the characters whose NFKC normal form is only dots, slashes or backslashes,
// and the slashes a best-fit mapping to ASCII makes slashes (U+2044, U+2215, U+29F8, and
// U+29F5 a backslash), with what they become; the NFKC forms that hold a letter or a digit as
// well (U+2100 a/c, U+2488 1.) cannot make a dot segment.
var lookalikes = map[rune]string{
	'\u2024': ".", '\u2025': "..", '\u2026': "...", '\uFE19': "...", '\uFE30': "..", '\uFE52': ".", '\uFF0E': ".",
	'\uFF0F': "/", '\u2044': "/", '\u2215': "/", '\u29F8': "/",
	'\uFF3C': "\\", '\uFE68': "\\", '\u29F5': "\\",
}

// escapeURL percent-encodes the bytes of a URL's path and query (from its first '/' or '?')
// that a URL cannot carry as they are: all but RFC 3986's unreserved and sub-delimiter
// characters, ':', '@', '/', '?' and an escape (% and two hex digits), which are kept; a bare
// '%' (in a query: checkPath refuses one in a path) becomes %25 when bare is set. Go's client
// would otherwise write a query's bytes into the request line as they are (a space ends the
// request target there), and, for a path with a byte to escape, escape the decoded path: every
// %2F of it (a value's slash, through url_encode) would be sent as a slash.
func escapeURL(s string, bare bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b []byte // nil until a byte is escaped
	last := 0    // s[:last] is in b
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0:
			continue
		case c == '%' && (!bare || i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])):
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		last = i + 1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// URLForms are the texts value is written as when the runner puts it into a request's URL or
// form body, other than as it is: through url_encode (PercentEncode), in a form body
// (url.QueryEscape: a space as "+"), and as a path or query sends a value rendered without
// url_encode (escapeURL). Each once, none equal to value. What shows an endpoint's answer without
// a value looks for these too: an endpoint echoes the path or the form it was sent.
func URLForms(value string) []string {
	var forms []string
	for _, f := range []string{PercentEncode(value), url.QueryEscape(value), escapeURL(value, false), escapeURL(value, true)} {
		if f != value && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// baseWithEscapedPath is the connection's URL with the bytes of its path that a URL cannot carry
// as they are percent-encoded (escapeURL; its query is left as configured), so that a rendered
// path joined to it is sent as it is: Go escapes the whole decoded path when any byte of it needs
// escaping, which sends a rendered %2F as a slash.
func baseWithEscapedPath(base string) string {
	i := strings.Index(base, "://")
	if i < 0 {
		return base
	}
	start := strings.IndexByte(base[i+3:], '/')
	if start < 0 {
		return base
	}
	start += i + 3
	end := len(base)
	if q := strings.IndexAny(base[start:], "?#"); q >= 0 {
		end = start + q
	}
	return base[:start] + escapeURL(base[start:end], false) + base[end:]
}

// JoinURL appends a rendered path (which may carry a query) to the endpoint's URL, before the
// URL's own query, which is kept: https://h/api?k=1 and /contacts/7?x=2 give
// https://h/api/contacts/7?k=1&x=2. The URL's fragment, never sent, is dropped: left in place it
// would swallow the path and query joined after it.
func JoinURL(base, path string) string {
	if path == "" {
		return base
	}
	base, _, _ = strings.Cut(base, "#")
	b, bq, _ := strings.Cut(base, "?")
	p, pq, _ := strings.Cut(path, "?")
	u := b // a path that is only a query leaves the URL's path as it is, a trailing slash included
	if p != "" {
		u = strings.TrimRight(b, "/") + "/" + strings.TrimLeft(p, "/")
	}
	switch {
	case bq != "" && pq != "":
		return u + "?" + bq + "&" + pq
	case bq != "":
		return u + "?" + bq
	case pq != "":
		return u + "?" + pq
	}
	return u
}

// CheckRequests is the plan-time check of spec: its templates compiled strictly (an undefined
// variable is an error) and each operation's request rendered for sample, a mapped record
// (deleted: for deletedSample, the key alone, as deletes carry it), in record mode or as a batch
// of two. It returns every problem, at most one per operation and field. It is CheckRequestsFor
// with the sync's behavior unknown.
func CheckRequests(spec *controlplane.RequestSpec, vars Vars, sample, deletedSample []byte) []*SpecError {
	return CheckRequestsFor("", spec, vars, sample, deletedSample)
}

// CheckRequestsFor is CheckRequests for a sync of behavior (controlplane.BehaviorAppend, ...; ""
// when unknown). The request given for only one of `new` and `changed` is sent for both
// (OperationFor), its templates seeing `operation` as the record's: it is rendered for the other
// operation too, where the behavior sends it (`changed` records: under update_or_create and
// mirror), so that a template that fails only there is refused at plan rather than for every
// record of that operation at run. Such a problem is the given request's (SpecError.Operation),
// saying which operation it was rendered for.
func CheckRequestsFor(behavior string, spec *controlplane.RequestSpec, vars Vars, sample, deletedSample []byte) []*SpecError {
	var out []*SpecError
	for _, op := range []string{controlplane.OpNew, controlplane.OpChanged, controlplane.OpDeleted} {
		r := opRequest(spec, op)
		if r == nil {
			continue
		}
		rec := sample
		if op == controlplane.OpDeleted {
			rec = deletedSample
		}
		out = append(out, checkRequest(spec.Mode, r, op, op, vars, rec)...)
	}
	given, as := "", ""
	switch {
	case spec.New == nil && spec.Changed != nil:
		given, as = controlplane.OpChanged, controlplane.OpNew
	case spec.Changed == nil && spec.New != nil &&
		(behavior == controlplane.BehaviorUpdateOrCreate || behavior == controlplane.BehaviorMirror):
		given, as = controlplane.OpNew, controlplane.OpChanged
	}
	if given != "" {
	next:
		for _, se := range checkRequest(spec.Mode, opRequest(spec, given), given, as, vars, sample) {
			for _, o := range out {
				if o.Operation == se.Operation && o.Field == se.Field {
					continue next // at most one per operation and field
				}
			}
			out = append(out, se)
		}
	}
	return out
}

// checkRequest is CheckRequestsFor's check of r, the request spec gives for operation given,
// rendered for rec as a record of operation as (given, unless r is sent for another operation too).
func checkRequest(mode string, r *controlplane.OperationRequest, given, as string, vars Vars, rec []byte) []*SpecError {
	one := &controlplane.RequestSpec{Mode: mode, New: r}
	rs, err := compileRequests(one, vars, true)
	if err != nil {
		se := err.(*SpecError)
		se.Operation = given
		return []*SpecError{se}
	}
	records := [][]byte{rec}
	if !rs.perRecord {
		records = append(records, rec)
	}
	var out []*SpecError
	fail := func(field string, err error) {
		if as != given {
			err = fmt.Errorf("rendered for a %s record (the %s request is sent for %s records too, with operation %q): %w",
				as, given, as, as, err)
		}
		out = append(out, &SpecError{Operation: given, Field: field, Err: err})
	}
	c := rs.ops[controlplane.OpNew]
	b := rs.bindings(as, records)
	if c.path.src != "" {
		err := missingField(c.path.src, rs.perRecord, rec)
		if err == nil {
			var p []byte
			var spans []outputSpan
			p, spans, err = c.path.renderPath(b, pathLimits(records))
			if err == nil {
				err = c.path.checkRenderedPath(p, spans)
			}
		}
		if err != nil {
			fail("path", err)
		}
	}
	if c.body != nil {
		err := missingField(c.body.src, rs.perRecord, rec)
		if err == nil {
			var body []byte
			body, err = c.body.render(b, bodyLimits(records))
			if err == nil && IsJSON(c.ctype) {
				err = checkJSON(body)
			}
		}
		if err != nil {
			fail("body", err)
		}
	}
	return out
}

// fieldRef is a template's read of a record's field by name: record.email, record["email"], and
// in batch mode the same of a loop's variable over records ({% for r in records %}{{ r.email }}),
// of records[0] or of records.first and records.last. Strings are matched first, so that text in
// one is not taken for a read. The record's name is group 1, the field's group 2, 3 or 4.
var fieldRef = regexp.MustCompile(`"[^"]*"|'[^']*'|\b(records\s*\[\s*-?[0-9]+\s*\]|records\.(?:first|last)|[A-Za-z_][\w-]*)\s*` +
	`(?:\.\s*([A-Za-z_][\w-]*\??)|\[\s*(?:"([^"]*)"|'([^']*)')\s*\])`)

// loopOverRecords is a for or tablerow tag's arguments that loop over the batch's records, its
// variable in group 1.
// (records itself: not records.first.items, a list one of them holds; limit, offset and
// reversed may follow).
var loopOverRecords = regexp.MustCompile(`^\s*([A-Za-z_][\w-]*)\s+in\s+records(?:\s|$)`)

// assignsRecord is an assign tag's arguments that may give a variable (group 1) a record: another
// name, or one of the batch's records (group 2).
var assignsRecord = regexp.MustCompile(`^\s*([A-Za-z_][\w-]*)\s*=\s*(records\s*\[\s*-?[0-9]+\s*\]|records\.(?:first|last)|` +
	`records\s*\|\s*(?:first|last)|[A-Za-z_][\w-]*)\s*$`)

// setsVariable is an assign, capture, for or tablerow tag's arguments, the variable it sets in group 1.
var setsVariable = regexp.MustCompile(`^\s*([A-Za-z_][\w-]*)`)

// missingField finds, anywhere in src (but raw and comment blocks), a read of a field that rec,
// the sample record, does not have: a misspelt field ({{ record.emial | downcase }}), which a run
// renders as nothing for every record. The render of the sample checks only the branches it
// takes, and lets a filter given nothing (downcase, default, append) make text of it. A record's
// fields are the same for every record of a run (the mappings' names, null when the value is),
// so the read is wrong for all of them. A name the template sets itself (assign record = ...) is
// not checked; size is a record's count of fields.
func missingField(src string, perRecord bool, rec []byte) error {
	fields, err := scanObject(rec)
	if err != nil {
		return nil
	}
	has := map[string]bool{"size": true}
	for _, f := range fields {
		has[string(f.key)] = true
	}
	records := map[string]bool{} // the names that hold a record
	if perRecord {
		records["record"] = true
	}
	toks := liquidparser.Scan(src, liquidparser.SourceLoc{LineNo: 1}, nil)
	set := map[string]bool{} // the names the template sets otherwise
	var aliases [][2]string  // assign name = another name, or a record of the batch
	for _, tok := range toks {
		if tok.Type != liquidparser.TagTokenType {
			continue
		}
		switch tok.Name {
		case "for", "tablerow":
			if m := loopOverRecords.FindStringSubmatch(tok.Args); m != nil && !perRecord {
				records[m[1]] = true
				continue
			}
			fallthrough
		case "assign", "capture":
			if m := assignsRecord.FindStringSubmatch(tok.Args); m != nil && tok.Name == "assign" {
				aliases = append(aliases, [2]string{m[1], m[2]})
				continue
			}
			if m := setsVariable.FindStringSubmatch(tok.Args); m != nil {
				set[m[1]] = true
			}
		}
	}
	// A name assigned a record (assign r = record, f = records | first, z = a loop's record)
	// holds one: its fields are checked too, unless it is also set to something else (a loop's
	// item, a capture, another name that holds no record, records itself: the list).
	for name := range set {
		delete(records, name) // a name that also holds something else: not checked
	}
	isRecord := func(from string) bool {
		if strings.HasPrefix(from, "records") && strings.ContainsAny(from, "[.|") {
			return !perRecord // records[0], records.first, records | first
		}
		return records[from]
	}
	for changed := true; changed; { // the names some assign gives a record, through others
		changed = false
		for _, a := range aliases {
			if !set[a[0]] && !records[a[0]] && isRecord(a[1]) {
				records[a[0]], changed = true, true
			}
		}
	}
	for changed := true; changed; { // less those another assign gives something else
		changed = false
		for _, a := range aliases {
			if records[a[0]] && !isRecord(a[1]) {
				delete(records, a[0])
				changed = true
			}
		}
	}
	skip, at := "", 0
	for _, tok := range toks {
		start := at
		at += len(tok.Source)
		switch {
		case tok.Type == liquidparser.TextTokenType:
			continue
		case skip != "":
			if tok.Type == liquidparser.TagTokenType && tok.Name == skip {
				skip = ""
			}
			continue
		case tok.Type == liquidparser.TagTokenType && (tok.Name == "raw" || tok.Name == "comment"):
			skip = "end" + tok.Name
			continue
		}
		for _, m := range fieldRef.FindAllStringSubmatchIndex(tok.Source, -1) {
			if m[2] < 0 {
				continue // a string
			}
			base := tok.Source[m[2]:m[3]]
			if strings.HasSuffix(strings.TrimRight(tok.Source[:m[2]], " \t\r\n"), ".") {
				continue // a key of a value (record.payload.record.id): not a record
			}
			if !records[base] && !strings.HasPrefix(base, "records") {
				continue
			}
			if strings.HasPrefix(base, "records") && (perRecord || !strings.ContainsAny(base, "[.")) {
				continue
			}
			field := ""
			for g := 4; g <= 8; g += 2 {
				if m[g] >= 0 {
					field = tok.Source[m[g]:m[g+1]]
					break
				}
			}
			if has[field] {
				continue
			}
			names := make([]string, 0, len(fields))
			for _, f := range fields {
				names = append(names, string(f.key))
			}
			// Where the tag or output is, as the render's errors say.
			return &TemplateError{Line: tok.SourceLoc.LineNo, Column: 1 + start - (strings.LastIndexByte(src[:start], '\n') + 1),
				Msg: fmt.Sprintf("undefined variable in %s: %s names no field (the record's fields are %s)",
					cutText(tok.Source, 200), truncate(tok.Source[m[0]:m[1]], 64), cutText(strings.Join(names, ", "), 512))}
		}
	}
	return nil
}

// opRequest is the request the spec itself gives for op (without OperationFor's fallback).
func opRequest(spec *controlplane.RequestSpec, op string) *controlplane.OperationRequest {
	switch op {
	case controlplane.OpNew:
		return spec.New
	case controlplane.OpChanged:
		return spec.Changed
	}
	return spec.Deleted
}

// ParseTemplate says whether src parses as a Liquid template; the error is a *TemplateError.
func ParseTemplate(src string) error {
	_, err := compileTemplate(false, src)
	return err
}
