package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// keyMarker is the key value KeyWithheld renders a sync's requests for: text no template writes
// by itself, which downcase, upcase, json, append and url_encode (undone when looked for) keep
// whole, and whose punctuation makes a template that sends only a part of the key (split at "@",
// ".", "-", "+" or "_", slice, truncate) lose it. keyMarkerNumber is the one for a key column
// of a numeric type.
const (
	keyMarker       = "bf.key-marker_7q3z+x9@example"
	keyMarkerNumber = "739104825561"
)

// KeyWithheld says why sync y never sends its primary key column as it is, so that a preview (a
// plan's warning, backflow_sync_preview's state, a dry run's output), which the keys would
// otherwise be printed in, does not show them either; "" when it sends it. It is the one home of
// that rule. cols are the model's columns (nil when unknown: the key column alone is assumed)
// and kind the warehouse's kind ("" when unknown).
//
// Without a request spec, the sync sends the mapped records in its envelope: it sends the key
// with every column (no mappings), with a mapping that sends it as it is, or in a mirror's
// deletes (under its own name when no mapping names it). A key sent only hashed (e-mail
// addresses for ad matching) is what the sync hashes so as not to send it; a key no mapping
// sends (a national id number keying a sync of names) never leaves the warehouse otherwise.
//
// With a request spec, the sync sends only what its templates render: the key is sent as it is
// when the requests rendered for a record whose key is a marker value carry that marker
// whole, in any letter case, in the path, a header or the body (as written, or JSON- or
// URL-decoded) of any operation. So a template that sends the key as it is, downcased,
// upcased, url_encoded, json-encoded or appended to sends it; one that hashes it (sha256, a
// `hash` mapping), sends only a part of it (split, slice, truncate), or never names it,
// withholds it: the rule errs on the side of not printing.
func KeyWithheld(y *controlplane.Sync, cols []controlplane.Column, kind string) string {
	if y.Request != nil {
		return requestsWithhold(y, cols, kind)
	}
	if len(y.Mappings) == 0 {
		return ""
	}
	hashed := false
	for _, m := range y.Mappings {
		if m.Constant != nil || m.Metadata != "" || m.From != y.PrimaryKey {
			continue
		}
		if m.Hash == "" {
			return ""
		}
		hashed = true
	}
	switch {
	case hashed:
		return fmt.Sprintf("the sync sends its primary key %q only hashed", y.PrimaryKey)
	case y.Behavior == controlplane.BehaviorMirror:
		return "" // its deletes carry the key as it is
	}
	return fmt.Sprintf("the sync never sends its primary key %q (no mapping sends it, and an %s sync sends no deletes)",
		y.PrimaryKey, y.Behavior)
}

// withheldValue is what is shown in place of a key KeyWithheld withholds.
const withheldValue = "(withheld)"

// StoredKeyWithheld is KeyWithheld for stored sync y, with its model's columns and its
// warehouse's kind as the control plane holds them: for what is shown of the keys of its records
// outside a run or a preview (the delivery log's requests, its rejected records). The sync's
// definition now decides, whatever the one those requests were sent under.
func StoredKeyWithheld(ctx context.Context, store *controlplane.Store, y *controlplane.Sync) (string, error) {
	if y.Request == nil && len(y.Mappings) == 0 {
		return "", nil // sends every column: no need to read the model
	}
	m, err := store.GetModel(ctx, y.ModelID)
	if err != nil {
		return "", fmt.Errorf("read the sync's model %d: %w", y.ModelID, err)
	}
	// The connection's kind picks the sample values the request is tried with; read without its
	// secrets (the commands that show runs need no BACKFLOW_SECRET_KEY), and not guessed when it
	// cannot be read: the callers show the key as withheld, or nothing, on an error.
	kind, err := store.ConnectionKind(ctx, m.ConnectionID)
	if err != nil {
		return "", fmt.Errorf("read the kind of the model's connection %d: %w", m.ConnectionID, err)
	}
	return KeyWithheld(y, m.Columns, kind), nil
}

// ShownKey is key as it is shown of a record of a sync whose key KeyWithheld withholds for
// reason why: "(withheld)" when why is not "", else key.
func ShownKey(why, key string) string {
	if why != "" {
		return withheldValue
	}
	return key
}

// ShownDelivery is d, a request of the delivery log of a sync whose key KeyWithheld withholds
// for reason why, as it is shown (`deliveries`, `records --key --json`, the status page): its
// first and last keys as ShownKey shows them, its answer and error without them, nor any other
// of its keys read back with it (d.Keys: controlplane.DeliveryFilter.Keys, KeyDeliveries) (ShownText);
// d as it is when why is "". A run that withholds the keys records the answers without any of
// the request's keys already; this is for those recorded while the sync still sent its key.
func ShownDelivery(why string, d controlplane.Delivery) controlplane.Delivery {
	if why == "" {
		return d
	}
	keys := append([]string{d.FirstKey, d.LastKey}, d.Keys...)
	d.Body, d.Error = withholdKeys(d.Body, keys), withholdKeys(d.Error, keys)
	d.FirstKey, d.LastKey, d.Keys = ShownKey(why, d.FirstKey), ShownKey(why, d.LastKey), nil
	return d
}

// ShownCursor is v, a cursor value of sync y (the bound an incremental read starts from, a
// run's next mark), as it is shown when KeyWithheld withholds y's key for reason why:
// "(withheld)" when y's cursor is its primary key column (the bound of an integer or text cursor
// is the highest key an earlier run read), else v. Only what is shown: the cursor reads the
// run's read_from back as it is stored.
func ShownCursor(why string, y *controlplane.Sync, v string) string {
	if why != "" && v != "" && y.Cursor != "" && y.Cursor == y.PrimaryKey {
		return withheldValue
	}
	return v
}

// ShownRun is run r of sync y as it is shown (`runs`, `runs show`, the API, a run's output)
// when KeyWithheld withholds y's key for reason why: its read_from as ShownCursor shows it, and
// its invalid samples without their keys (shownSamples). r itself is not changed.
func ShownRun(why string, y *controlplane.Sync, r *controlplane.Run) *controlplane.Run {
	if r == nil || why == "" {
		return r
	}
	from, samples := ShownCursor(why, y, r.ReadFrom), shownSamples(r.InvalidSamples)
	if from == r.ReadFrom && bytes.Equal(samples, r.InvalidSamples) {
		return r
	}
	c := *r
	c.ReadFrom, c.InvalidSamples = from, samples
	return &c
}

// shownSamples is a run's invalid samples (JSON, invalidSample) with each key "(withheld)" and
// withheld from its record (withholdSample, withholdText): a run that withholds the keys records
// them so already; this is for those recorded while the sync still sent its key. Samples that do
// not decode are shown as "[]".
func shownSamples(samples json.RawMessage) json.RawMessage {
	if len(samples) == 0 {
		return samples
	}
	var ss []invalidSample
	if json.Unmarshal(samples, &ss) != nil {
		return json.RawMessage("[]")
	}
	changed := false
	for i := range ss {
		s := &ss[i]
		if s.Key == nil || *s.Key == withheldValue {
			continue
		}
		k := *s.Key // a long key's start (diff.go): withholdText withholds it where it starts
		if s.Record != nil {
			t := withholdText(string(withholdSample(s.Record, []byte(k))), k)
			if json.Valid([]byte(t)) {
				s.Record = json.RawMessage(t)
			} else { // a short key withheld as a JSON number: the record shown as text
				s.Record, _ = json.Marshal(t)
			}
		}
		w := withheldValue
		s.Key, changed = &w, true
	}
	if !changed {
		return samples
	}
	out, err := json.Marshal(ss)
	if err != nil {
		return json.RawMessage("[]")
	}
	return out
}

// StoredRunShown is ShownRun with run r's error also without the keys of r's failed requests
// (runFailedKeys), which the answer r ended on may quote: a run that withholds the keys records
// its error without them already; this is for an error recorded while sync y still sent its key.
// Read from store only when why is not "" and r has an error.
func StoredRunShown(ctx context.Context, store *controlplane.Store, why string, y *controlplane.Sync, r *controlplane.Run) (*controlplane.Run, error) {
	shown := ShownRun(why, y, r)
	if why == "" || r == nil || r.Error == "" {
		return shown, nil
	}
	keys, err := runFailedKeys(ctx, store, r.SyncID, r.ID)
	if err != nil {
		return nil, err
	}
	if text := withholdKeys(r.Error, keys); text != r.Error {
		c := *shown
		c.Error = text
		shown = &c
	}
	return shown, nil
}

// StoredDeliveriesShown is ds, requests of the delivery log of a sync whose key KeyWithheld
// withholds for reason why, each with its error also without the keys of its run's other failed
// requests (runFailedKeys): a request stopped by the answer that ended its run was recorded with
// that answer as its error, which quotes the keys of another request (ShownDelivery withholds
// the request's own). ds is changed in place; as it is when why is "".
func StoredDeliveriesShown(ctx context.Context, store *controlplane.Store, why string, ds []controlplane.Delivery) error {
	if why == "" {
		return nil
	}
	byRun := map[int64][]string{}
	for i := range ds {
		d := &ds[i]
		if d.Error == "" {
			continue
		}
		keys, ok := byRun[d.RunID]
		if !ok {
			var err error
			if keys, err = runFailedKeys(ctx, store, d.SyncID, d.RunID); err != nil {
				return err
			}
			byRun[d.RunID] = keys
		}
		d.Error = withholdKeys(d.Error, keys)
	}
	return nil
}

// runFailedKeys are the keys of the failed requests of run runID of sync syncID the delivery log
// holds (the newest 100): those of the answer the run ended on among them.
func runFailedKeys(ctx context.Context, store *controlplane.Store, syncID, runID int64) ([]string, error) {
	ds, err := store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: syncID, RunID: runID, Failed: true, Keys: true})
	if err != nil {
		return nil, fmt.Errorf("read the failed requests of run %d: %w", runID, err)
	}
	var keys []string
	for _, d := range ds {
		keys = append(append(keys, d.FirstKey, d.LastKey), d.Keys...)
	}
	return keys, nil
}

// StoredRunsShown is runs as StoredRunShown shows them, each by its sync's definition as the
// control plane now holds it (StoredKeyWithheld); a run whose sync is no longer stored is shown
// as it is.
func StoredRunsShown(ctx context.Context, store *controlplane.Store, runs []*controlplane.Run) ([]*controlplane.Run, error) {
	type shown struct {
		y   *controlplane.Sync
		why string
	}
	syncs := map[int64]*shown{}
	out := make([]*controlplane.Run, len(runs))
	for i, r := range runs {
		s, ok := syncs[r.SyncID]
		if !ok && (r.ReadFrom != "" || hasSamples(r) || r.Error != "") {
			y, err := store.GetSync(ctx, r.SyncID)
			switch {
			case errors.Is(err, controlplane.ErrNotFound):
			case err != nil:
				return nil, err
			default:
				why, err := StoredKeyWithheld(ctx, store, y)
				if err != nil {
					return nil, err
				}
				s = &shown{y: y, why: why}
			}
			syncs[r.SyncID] = s
		}
		out[i] = r
		if s != nil {
			shown, err := StoredRunShown(ctx, store, s.why, s.y, r)
			if err != nil {
				return nil, err
			}
			out[i] = shown
		}
	}
	return out, nil
}

// hasSamples reports whether run r recorded invalid samples (which ShownRun may withhold).
func hasSamples(r *controlplane.Run) bool {
	return len(bytes.TrimSpace(r.InvalidSamples)) > len("[]")
}

// ShownText is msg, a text about the record of key (why its request could not be built, an
// answer refusing it), as it is shown of a sync whose key KeyWithheld withholds for reason why:
// without the key (withholdText) when why is not "", else msg. A text recorded while the sync
// still sent its key as it is was recorded with it.
func ShownText(why, msg, key string) string {
	if why != "" {
		return withholdText(msg, key)
	}
	return msg
}

// withholdText returns msg, a text about one record (why its request could not be built, or an
// answer refusing it), with the record's key replaced by "(withheld)": quoted (as Go or JSON
// quotes it) whatever its length; as it is (or as Go or a JSON encoder escapes it: keyForms)
// wherever it is when it is 8 bytes or more (as the templates' strings are hidden); and a shorter one where it stands
// as a value (withholdValue: quoted in any way, also inside a quoted JSON body, a JSON number,
// after "=" or ":", a path segment), not inside other words and numbers, where it would be found
// in texts that do not quote it ("user 42 refused" keeps a key 42, as "HTTP 422" does).
func withholdText(msg, key string) string {
	if key == "" {
		return msg
	}
	// Every replacement below needs the parts of the key that all its forms hold as they are
	// (mayHoldKey; a long key's in any ASCII letter case) in msg: a request's answer is looked
	// through once per key of the request (withholdKeys), thousands for a batch, most of them in
	// no answer.
	if !mayHoldKey(msg, key) {
		return msg
	}
	q := strconv.Quote(key)
	msg = outsideWithheld(msg, func(m string) string { return strings.ReplaceAll(m, q, strconv.Quote(withheldValue)) })
	forms := keyForms(key, q[1:len(q)-1])
	if j, err := json.Marshal(key); err == nil && string(j) != q { // else the same text as q
		msg = outsideWithheld(msg, func(m string) string { return strings.ReplaceAll(m, string(j), strconv.Quote(withheldValue)) })
	}
	for _, k := range forms {
		if len(key) >= 8 {
			// In any ASCII letter case: an endpoint may echo an e-mail address as it holds it
			// (downcased), not as the warehouse does.
			msg = outsideWithheld(msg, func(m string) string { return replaceFold(m, k) })
		} else {
			msg = outsideWithheld(msg, func(m string) string { return withholdValue(m, k) })
		}
	}
	// A message cuts what it quotes of a value (the templates' filters quote its first 64 bytes):
	// the start of a longer key, as it is or quoted, is withheld too.
	for _, k := range forms {
		if len(k) < keyStartShown {
			continue
		}
		msg = outsideWithheld(msg, func(m string) string { return withholdStart(m, k) })
	}
	return msg
}

// outsideWithheld is replace applied to each part of msg outside the "(withheld)" it holds
// already (a key withheld by an earlier step, or of another record): a key that is a part of
// that text ("withheld"), or that a part of it starts or ends ("held) x"), is not found there,
// where it would make "((withheld))" of it.
func outsideWithheld(msg string, replace func(string) string) string {
	if !strings.Contains(msg, withheldValue) {
		return replace(msg)
	}
	parts := strings.Split(msg, withheldValue)
	for i, p := range parts {
		parts[i] = replace(p)
	}
	return strings.Join(parts, withheldValue)
}

// withholdStart replaces in msg each start of k (its first keyStartShown bytes or more) by
// "(withheld)" (withholdText).
func withholdStart(msg, k string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, k[:keyStartShown])
		if i < 0 {
			break
		}
		n := keyStartShown
		for n < len(k) && i+n < len(msg) && msg[i+n] == k[n] {
			n++
		}
		b.WriteString(msg[:i])
		b.WriteString(withheldValue)
		msg = msg[i+n:]
	}
	b.WriteString(msg)
	return b.String()
}

// indexFold is the index of the first instance of k in msg, ASCII letters in either case, or -1.
func indexFold(msg, k string) int {
	if k == "" {
		return 0
	}
	lo, up := lowerASCII(k[0]), upperASCII(k[0])
	for i := 0; i+len(k) <= len(msg); i++ {
		// The next byte that may start it, in either case (IndexByte is fast).
		rest := msg[i : len(msg)-len(k)+1]
		j := strings.IndexByte(rest, lo)
		if up != lo {
			if j < 0 {
				j = strings.IndexByte(rest, up)
			} else if u := strings.IndexByte(rest[:j], up); u >= 0 {
				j = u
			}
		}
		if j < 0 {
			return -1
		}
		if i += j; equalFoldASCII(msg[i:i+len(k)], k) {
			return i
		}
	}
	return -1
}

// replaceFold replaces each instance of k in msg, ASCII letters in either case, by "(withheld)".
func replaceFold(msg, k string) string {
	i := indexFold(msg, k)
	if i < 0 {
		return msg
	}
	var b strings.Builder
	for ; i >= 0; i = indexFold(msg, k) {
		b.WriteString(msg[:i])
		b.WriteString(withheldValue)
		msg = msg[i+len(k):]
	}
	b.WriteString(msg)
	return b.String()
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// mayHoldKey reports whether msg may hold key in one of its forms (keyForms), or the start of
// one (withholdStart): whether it holds each of the parts of the key that every form holds as it
// is within its first keyStartShown bytes. Those are the runs of ASCII letters, digits, "-", ".",
// "_" and "~" (which no form escapes), each cut so as to end within those bytes in a form that
// writes each byte before it in as many as any form may: 3 ("%2B", "%20", "\/"), or 6 for a
// "'", "<", ">", "&", a control or non-ASCII byte ("&#x27;", "\u003c", "\u0001", "\ufffd" for a
// byte not UTF-8); in any ASCII letter case when the key is 8 bytes or more (withholdText). A key
// with such a run only after a byte a URL escapes ("+1 555 010 0042", "ACME Corp 42") is not
// looked for by that byte's neighbour alone ("1", "ACME"), which most answers hold: that computed
// every key's forms for every answer. A key without any such run (".", "..", which url_encode
// writes as %2E) may be anywhere.
func mayHoldKey(msg, key string) bool {
	if key == "." || key == ".." {
		return true
	}
	safe := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
	}
	shift := 0 // how much further on key[i] may be in a form than in key
	for i := 0; i < len(key) && i+shift < keyStartShown; {
		if c := key[i]; !safe(c) {
			if c < 0x20 || c >= 0x7f || strings.IndexByte("'<>&\"", c) >= 0 {
				shift += 5
			} else {
				shift += 2
			}
			i++
			continue
		}
		j := i
		for j < len(key) && safe(key[j]) {
			j++
		}
		part := key[i:min(j, keyStartShown-shift)]
		if len(key) < 8 && !strings.Contains(msg, part) || len(key) >= 8 && indexFold(msg, part) < 0 {
			return false
		}
		i = j
	}
	return true
}

// withholdKeys is withholdText for each of keys: a text about a request of several records (an
// endpoint's answer to it, why it failed) without any of their keys.
func withholdKeys(msg string, keys []string) string {
	for _, k := range keys {
		if msg == "" {
			break
		}
		msg = withholdText(msg, k)
	}
	return msg
}

// withholdErr is err, which ended the sending of records keys (a webhook.DeliveryError quoting
// an endpoint's answer), with its text without their keys (withholdKeys). A DeliveryError is
// copied with its fields withheld, so that what reads them (errors.As) does not find the keys
// either; any other error's text is replaced, errors.Is and errors.As still seeing it.
func withholdErr(err error, keys []string) error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*webhook.DeliveryError); ok {
		c := *de
		c.Body, c.RetryAfter = withholdKeys(c.Body, keys), withholdKeys(c.RetryAfter, keys)
		c.Err = withholdErr(c.Err, keys)
		return &c
	}
	text := err.Error()
	if w := withholdKeys(text, keys); w != text {
		return &withheldError{text: w, err: err}
	}
	return err
}

// withheldError is an error whose text is given without the keys it quoted (withholdErr).
type withheldError struct {
	text string
	err  error
}

func (e *withheldError) Error() string { return e.text }
func (e *withheldError) Unwrap() error { return e.err }

// keyForms are the texts key is written as in a message, without their quotes: as it is, as Go
// quotes it (goQuoted), as JSON encoders write it: Go's (which escapes <, > and &), and
// others' that escape every non-ASCII character as \uXXXX (Python's json.dumps, PHP's
// json_encode; in lower or upper case hex) or "/" as "\/" (PHP), and as the runner writes it
// into a request's URL or form body (webhook.URLForms: url_encode's %40, a form's + for a space),
// which an endpoint echoes (Express's "Cannot POST /contacts/a%40b.com"), a short key's with its
// escapes' hex in lower case too; and each of those with a "'" HTML-escaped. Each once.
func keyForms(key, goQuoted string) []string {
	forms := []string{key, goQuoted}
	goJSON := key
	if j, err := json.Marshal(key); err == nil {
		goJSON = string(j[1 : len(j)-1])
		forms = append(forms, goJSON)
	}
	for _, digits := range []string{"0123456789abcdef", "0123456789ABCDEF"} {
		var b strings.Builder
		for _, r := range goJSON { // its escapes kept
			if r < utf8.RuneSelf {
				b.WriteRune(r)
				continue
			}
			u := []rune{r}
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				u = []rune{r1, r2}
			}
			for _, c := range u {
				b.WriteString(`\u`)
				for shift := 12; shift >= 0; shift -= 4 {
					b.WriteByte(digits[(c>>shift)&0xf])
				}
			}
		}
		forms = append(forms, b.String())
	}
	urlForms := webhook.URLForms(key)
	forms = append(forms, urlForms...)
	// A longer key's are found in any letter case already (withholdText); a "%" of the key itself
	// is not an escape (escapeURL keeps it).
	if len(key) < 8 && !strings.Contains(key, "%") {
		for _, f := range urlForms {
			// As an endpoint that escapes the URL again writes them (.NET's "%c3%a9").
			forms = append(forms, lowerHexEscapes(f))
		}
	}
	for _, f := range forms {
		if strings.ContainsAny(f, `'"&<>`) {
			// As an answer in HTML escapes what it echoes (Express's "Cannot POST
			// /contacts/o&#39;brien@example.com"): Go's html, npm's escape-html, Python's html.
			for _, r := range htmlEscapers {
				forms = append(forms, r.Replace(f))
			}
		}
	}
	for _, f := range forms {
		if strings.Contains(f, "/") {
			forms = append(forms, strings.ReplaceAll(f, "/", `\/`))
		}
	}
	slices.Sort(forms)
	forms = slices.Compact(forms)
	// The longest first: a form that holds another is replaced whole.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return forms
}

// htmlEscapers write text as HTML escapers of endpoints' answers do: Go's html.EscapeString,
// npm's escape-html (Express's error pages), Python's html.escape.
var htmlEscapers = []*strings.Replacer{
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;"),
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;"),
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;"),
}

// lowerHexEscapes is f with the hex digits of its escapes ("%C3%A9") in lower case.
func lowerHexEscapes(f string) string {
	b := []byte(f)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && isHexDigit(b[i+1]) && isHexDigit(b[i+2]) {
			b[i+1], b[i+2] = lowerASCII(b[i+1]), lowerASCII(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// withholdValue replaces each k in msg that stands as a value by "(withheld)": preceded by a
// quote (", ' or `), "=", ":" or "/" (":" and "/" not after a number, ":" or "]": a time, a date, a
// port), or by "=" or ":" and a space, and followed by no letter or digit, nor by "." and a digit.
func withholdValue(msg, k string) string {
	var b strings.Builder
	done := 0
	for i := 0; i <= len(msg); {
		j := strings.Index(msg[i:], k)
		if j < 0 {
			break
		}
		start, end := i+j, i+j+len(k)
		if !standsAsValue(msg, start, end) {
			i = start + 1
			continue
		}
		b.WriteString(msg[done:start])
		b.WriteString(withheldValue)
		done, i = end, end
	}
	if done == 0 {
		return msg
	}
	b.WriteString(msg[done:])
	return b.String()
}

// standsAsValue reports whether msg[start:end] stands as a value (withholdValue).
func standsAsValue(msg string, start, end int) bool {
	if r, _ := utf8.DecodeRuneInString(msg[end:]); end < len(msg) && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
		return false
	}
	if end+1 < len(msg) && msg[end] == '.' && isDigit(msg[end+1]) {
		return false // a number's integer part (1.5, HTTP/1.1, an IP address's)
	}
	if start == 0 {
		return false
	}
	switch msg[start-1] {
	case ':', '/':
		// Not a part of a time (12:30:45), a date (2024/12/25), a port (10.0.0.1:443, [::1]).
		return start < 2 || !numberBefore(msg, start-1) && msg[start-2] != ':' && msg[start-2] != ']'
	case '"', '\'', '`', '=':
		return true
	case ' ':
		return start >= 2 && (msg[start-2] == '=' || msg[start-2] == ':')
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberBefore reports whether msg[:i] ends with a number: digits not after a letter (the 12 of
// 12:30 and of 2024-05-06T12:30, the 2024 of 2024/12, not the v1 of /v1/42).
func numberBefore(msg string, i int) bool {
	j := i
	for j > 0 && isDigit(msg[j-1]) {
		j--
	}
	if j == i {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(msg[:j])
	if r == 'T' && j >= 2 && isDigit(msg[j-2]) {
		return true // an RFC 3339 time's hour (2024-05-06T12:30)
	}
	return j == 0 || !unicode.IsLetter(r)
}

// keyStartShown is how long a start of a key withholdText leaves in a message: a shorter one
// says little of the key, and would be found in other words.
const keyStartShown = 16

// requestsWithhold is KeyWithheld for a sync with a request spec.
func requestsWithhold(y *controlplane.Sync, cols []controlplane.Column, kind string) string {
	why := fmt.Sprintf("the sync's requests never carry its primary key %q whole (their templates hash it, send "+
		"a part of it or leave it out)", y.PrimaryKey)
	found := false
	var keyCol controlplane.Column
	for _, c := range cols {
		if c.Name == y.PrimaryKey {
			keyCol, found = c, true
		}
	}
	if !found {
		keyCol = controlplane.Column{Name: y.PrimaryKey, Type: "text"}
		cols = append(append([]controlplane.Column(nil), cols...), keyCol)
	}
	marker := keyMarker
	if v := sampleValue(kind, keyCol); len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		marker = keyMarkerNumber // a numeric key: templates may compute with it
	}
	keyJSON, _ := json.Marshal(marker)
	if marker == keyMarkerNumber {
		keyJSON = []byte(marker)
	}
	rec, del, err := sampleRecordWithKey(kind, cols, y, keyJSON)
	if err != nil {
		return why // the sync cannot map a record: it sends none
	}
	b, err := webhook.CompileRequests(y.Request, webhook.Vars{
		SyncID: max(y.ID, 1), SyncName: y.Name, RunID: 1, RunStartedAt: webhook.SampleTime, // any run's: the key is what is looked for
		Key: keyName(y.Mappings, y.PrimaryKey),
	})
	if err != nil {
		return why // no request is sent with a spec that does not compile
	}
	meta := &webhook.Meta{SyncID: max(y.ID, 1), SyncName: y.Name, SyncRunAt: webhook.SampleTime}
	for _, op := range []string{controlplane.OpNew, controlplane.OpChanged, controlplane.OpDeleted} {
		r := rec
		if op == controlplane.OpDeleted {
			r = del
		}
		built, err := b.Build(nil, meta, op, [][]byte{r})
		if err != nil {
			continue // rejected, never sent
		}
		if carries(built, marker) {
			return ""
		}
	}
	return why
}

// carries reports whether request built holds marker as it is, or escaped for a URL or JSON.
func carries(built webhook.Built, marker string) bool {
	texts := []string{built.Path, string(built.Body)}
	for k, v := range built.Headers {
		texts = append(texts, k, v)
	}
	for _, t := range texts {
		t = strings.ToLower(t)
		if strings.Contains(t, marker) {
			return true
		}
		if u, err := url.PathUnescape(t); err == nil && strings.Contains(u, marker) {
			return true
		}
		if u, err := url.QueryUnescape(t); err == nil && strings.Contains(u, marker) {
			return true
		}
		var s string
		if json.Unmarshal([]byte(`"`+t+`"`), &s) == nil && strings.Contains(s, marker) {
			return true
		}
	}
	return false
}

// withholdSample rewrites sample record rec (a JSON object) so that no top-level field holds the
// raw key value key: such a field's value is replaced by the text "(withheld)". rec is returned
// as it is when it holds none or is not an object.
func withholdSample(rec json.RawMessage, key []byte) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(rec, &obj) != nil {
		return rec
	}
	changed := false
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) == nil && s == string(key) || bytes.Equal(bytes.TrimSpace(v), key) {
			obj[k], _ = json.Marshal(withheldValue)
			changed = true
		}
	}
	if !changed {
		return rec
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return rec
	}
	return out
}
