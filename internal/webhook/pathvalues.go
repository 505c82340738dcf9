package webhook

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	liquidrender "github.com/osteele/liquid/render"
)

// What a path's {{ }} write may not change which resource the path names. The docs ask for every
// record value in a path to go through url_encode; one that does not, in /contacts/{{
// record.email }}, sent a key x/y as DELETE /contacts/x/y and 7?force=true as DELETE
// /contacts/7 with a parameter: another resource, deleted by a mirror sync. So in a path, what
// an output writes may not hold a '/', a '\' (servers read it as a '/'), a '?' (it would start
// the query) or a ';' (Tomcat and Spring drop a segment's ;parameters, so /c/7;x is /c/7); in
// the query, a '&' or a ';' (some servers split parameters at it too), or a '+' (servers read a
// query's '+' as a space: DELETE /contacts?email=a+b@x.com looked up "a b@x.com", whose 404 counted
// the delete done while the endpoint kept the record). A '#' anywhere is
// checkPath's. An '=' in a query value is let through: servers split a parameter at its first
// '=', so it stays in the value. Nor may an output that is a whole segment write nothing
// (checkOutputs). url_encode writes none of these characters, so a template that follows the
// docs is unaffected; one that writes the path's own slashes inside {{ }} ({{ "/c/" | append:
// record.id }}) is refused, at plan too, and told to write them outside.
//
// Liquid has no hook on what an output writes, so in a path template each output ({{ }}, but in
// a capture, whose text is written by the {{ }} that outputs it) is wrapped in a block
// (outputTag) that writes what it renders between marks: outputOpen, the output's number (in
// template.outputs), outputNumberEnd, the text, outputClose. The marks are characters of
// Unicode's private use area: a path template may not hold them as text (compilePath), and a
// value's are written percent-encoded (as escapeURL would send them), so every mark in what a
// path renders is one of these. renderPath takes the marks out, and checkOutputs checks the texts
// they marked. Nothing stops a template from using the block itself: it only marks more text to
// check.
const (
	outputTag       = "backflow_output"
	outputOpen      = '\uE000'
	outputNumberEnd = '\uE001'
	outputClose     = '\uE002'
)

// outputMarks percent-encodes the marks in a value, so that they are text.
var outputMarks = strings.NewReplacer("\uE000", "%EE%80%80", "\uE001", "%EE%80%81", "\uE002", "%EE%80%82")

// addOutputTag registers the block that marks what an output writes. What it renders is bounded
// as the render's output is.
func (e *engine) addOutputTag() {
	b := e.b
	e.RegisterBlock(outputTag, func(ctx liquidrender.Context) (string, error) {
		w := &boundedBuffer{b: new(bytes.Buffer), limit: b.limits.output,
			over: func() error { return b.stop(&renderTooLarge{limit: b.limits.output}) }}
		if err := ctx.RenderChildren(w); err != nil {
			return "", err
		}
		return string(outputOpen) + strings.TrimSpace(ctx.TagArgs()) + string(outputNumberEnd) +
			outputMarks.Replace(w.b.String()) + string(outputClose), nil
	})
	t, err := e.ParseString("{% " + outputTag + " %}{% end" + outputTag + " %}")
	if err != nil {
		panic(err)
	}
	e.output = t.GetRoot().(*liquidrender.SeqNode).Children[0].(*liquidrender.BlockNode)
}

// markBytes is how many bytes of p, a write of a path's render, are an output's marks: the block
// writes what it rendered and its marks in one write, which Liquid passes on whole (its
// whitespace control trims only spaces, which a mark is not).
func markBytes(p []byte) int {
	r, n := utf8.DecodeRune(p)
	if r != outputOpen {
		return 0
	}
	i := bytes.IndexRune(p[n:], outputNumberEnd)
	if i < 0 {
		return 0
	}
	return n + i + utf8.RuneLen(outputNumberEnd) + utf8.RuneLen(outputClose)
}

// markOutputs wraps each output of nodes (but those in a capture) in the output block, and
// returns the outputs' texts ({{ record.id }}) by their number, appended to outputs.
func (e *engine) markOutputs(nodes []liquidrender.Node, outputs []string) []string {
	for i, n := range nodes {
		switch n := n.(type) {
		case *liquidrender.SeqNode:
			outputs = e.markOutputs(n.Children, outputs)
		case *liquidrender.BlockNode:
			if n.Name == "capture" || n.Name == captureTag {
				continue
			}
			outputs = e.markOutputs(n.Body, outputs)
			for _, c := range n.Clauses {
				outputs = e.markOutputs(c.Body, outputs)
			}
		case *liquidrender.ObjectNode:
			w := *e.output
			w.Token = n.Token // an error is the output's
			w.Name, w.Args = outputTag, strconv.Itoa(len(outputs))
			w.Body = []liquidrender.Node{n}
			nodes[i] = &w
			outputs = append(outputs, n.Source)
		}
	}
	return outputs
}

// refuseOutputMarks refuses a path template src that holds the marks as text.
func refuseOutputMarks(src string) error {
	i := strings.IndexFunc(src, func(r rune) bool { return r == outputOpen || r == outputNumberEnd || r == outputClose })
	if i < 0 {
		return nil
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	line := 1 + strings.Count(src[:i], "\n")
	col := 1 + utf8.RuneCountInString(src[strings.LastIndexByte(src[:i], '\n')+1:i])
	return &TemplateError{Line: line, Column: col, Msg: fmt.Sprintf("a path cannot hold the private-use character U+%04X, "+
		"which Backflow uses to mark what {{ }} write in it: write it percent-encoded (%s)", r, PercentEncode(string(r)))}
}

// outputSpan is where an output's text is in a path without its marks, and which output wrote it
// (its number in template.outputs).
type outputSpan struct{ start, end, output int }

// renderPath renders t, a path's template, and returns what it rendered without its marks, with
// where its outputs' texts are.
func (t *template) renderPath(b map[string]any, lim limits) ([]byte, []outputSpan, error) {
	p, err := t.render(b, lim)
	if err != nil {
		return nil, nil, err
	}
	if !bytes.ContainsRune(p, outputOpen) {
		return p, nil, nil
	}
	var spans []outputSpan
	out := make([]byte, 0, len(p))
	for len(p) > 0 {
		i := bytes.IndexRune(p, outputOpen)
		if i < 0 {
			out = append(out, p...)
			break
		}
		out = append(out, p[:i]...)
		p = p[i+utf8.RuneLen(outputOpen):]
		num, rest, ok1 := bytes.Cut(p, []byte(string(outputNumberEnd)))
		text, after, ok2 := bytes.Cut(rest, []byte(string(outputClose)))
		n, err := strconv.Atoi(string(num))
		if !ok1 || !ok2 || err != nil || n < 0 || n >= len(t.outputs) {
			return nil, nil, &TemplateError{Line: 1, Msg: "what it rendered could not be read back (an output's marks are not whole)"}
		}
		spans = append(spans, outputSpan{len(out), len(out) + len(text), n})
		out = append(out, text...)
		p = after
	}
	return out, spans, nil
}

// checkRenderedPath refuses path, rendered by t with its outputs' texts at spans: first what a
// URL cannot carry or a server reads as a dot segment (checkPath), then what an output wrote that
// would name another resource (checkOutputs). Runs and plan-time checks alike call it.
func (t *template) checkRenderedPath(path []byte, spans []outputSpan) error {
	if err := checkPath(path); err != nil {
		return err
	}
	return t.checkOutputs(path, spans)
}

// checkOutputs refuses path, rendered by t with its outputs' texts at spans, when a text would
// change which resource the path names: when it holds what would add a segment or a query
// parameter, or when it is empty and the whole of its segment (/contacts/{{ record.id |
// url_encode }} for an id "" is /contacts/, the collection).
func (t *template) checkOutputs(path []byte, spans []outputSpan) error {
	end := len(path) // of the path part: where the query starts (spans before it are checked first)
	if q := bytes.IndexByte(path, '?'); q >= 0 {
		end = q
	}
	for _, s := range spans {
		query := s.start > end
		text := path[s.start:s.end]
		bad := "/\\?;" // a '#' anywhere is checkPath's
		if query {
			bad = "&;+"
		}
		if i := bytes.IndexAny(text, bad); i >= 0 {
			return outputRefused(path, t.outputs[s.output], string(text), text[i], query)
		}
	}
	// The path's segments, now that every '/' and '?' in it is the template's own: one that is
	// empty and where an output wrote, wrote nothing.
	k := 0 // spans before k start before the segment (spans are in the order of their start)
	for a := 0; a <= end; {
		b := end
		if i := bytes.IndexByte(path[a:end], '/'); i >= 0 {
			b = a + i
		}
		for k < len(spans) && spans[k].start < a {
			k++
		}
		for j := k; a == b && j < len(spans) && spans[j].start == a; j++ {
			if s := spans[j]; s.end == b {
				return fmt.Errorf("the request's path %q: %s wrote nothing where it is a whole segment of the path, so that "+
					"the path names another resource (an empty segment is dropped by servers that merge slashes, and "+
					"/contacts/ is the collection, not a contact): a record whose value is empty or null cannot be named there",
					truncate(string(path), 200), t.outputs[s.output])
			}
		}
		a = b + 1
	}
	return nil
}

// outputRefused is the error of tag, an output of a path template, that wrote text holding c
// into path (in its query if query). When tag holds c itself (a literal: {{ "/c/" | append:
// record.id }}), it is told to write the path's own characters outside {{ }}; else to put the
// value through url_encode.
func outputRefused(path []byte, tag, text string, c byte, query bool) error {
	var why string
	switch {
	case query && c == '&':
		why = "would start another query parameter"
	case query && c == '+':
		why = "is read as a space by servers (form encoding), so the endpoint is asked for another value"
	case query:
		why = "is read as '&' by some servers, starting another query parameter"
	case c == '/':
		why = "would add a segment to the path"
	case c == '\\':
		why = "is read as a '/' by servers, adding a segment to the path"
	case c == '?':
		why = "would start the query there"
	case c == ';':
		why = "starts parameters that servers such as Tomcat and Spring drop from the path"
	}
	own := "slashes, '?' and ';'"
	if query {
		own = "'&' between parameters"
	}
	prefix := fmt.Sprintf("the request's path %q: %s wrote %q, whose '%c' %s", truncate(string(path), 200), tag, truncate(text, 200), c, why)
	if strings.IndexByte(tag, c) >= 0 {
		return fmt.Errorf("%s: what {{ }} write in a path cannot hold the path's own %s (a record's value there would name "+
			"another resource); write them outside {{ }}, and the record's values through url_encode", prefix, own)
	}
	return fmt.Errorf("%s, so that the path names another resource than the one it was written for: put the record's values "+
		"in it through url_encode (%s), and write the path's own %s outside {{ }}", prefix, withURLEncode(tag), own)
}

// withURLEncode is tag, an output ({{ record.id }}), with url_encode as its last filter.
func withURLEncode(tag string) string {
	body, end := strings.TrimSuffix(tag, "}}"), "}}"
	if strings.HasSuffix(body, "-") {
		body, end = body[:len(body)-1], "-}}"
	}
	return strings.TrimRight(body, " \t\r\n") + " | url_encode " + end
}
