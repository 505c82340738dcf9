package webhook

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Strings a request's templates write as they are: a JSON string value ("...", not a key: no ':'
// after it; Liquid tags are skipped whole, so that the quotes inside them pair with nothing), a
// query value of a path (?token=...), and a string literal in a Liquid tag. Only those of 8
// characters or more are hidden.
var (
	templateJSONString = regexp.MustCompile(`\{\{.*?\}\}|\{%.*?%\}|"((?:[^"\\\n]|\\.)*)"(\s*:)?`)
	templateQueryValue = regexp.MustCompile(`[?&][^=&#{}%\s]+=([^&#{}%\s]{8,})`)
	// A Liquid tag's string literals ({{ "sk_live_..." | json }}, default: 'x'), which it may
	// write as they are too.
	templateTag     = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)
	templateLiteral = regexp.MustCompile(`"([^"]{8,})"|'([^']{8,})'`)
)

// HideTemplateStrings returns msg without the strings spec's templates write as they are: a body
// may set an API key from a variable Terraform hides as sensitive, which the provider cannot tell
// from other text, and msg quotes what a template rendered (or an answer that echoes the request).
func HideTemplateStrings(msg string, spec *controlplane.RequestSpec) string {
	return hideStrings(msg, templateStrings(spec))
}

// templateStrings are the strings HideTemplateStrings hides: spec's JSON string values and
// query values of 8 characters or more, each also as JSON decodes it.
func templateStrings(spec *controlplane.RequestSpec) []string {
	if spec == nil {
		return nil
	}
	var hide []string
	for _, r := range []*controlplane.OperationRequest{spec.New, spec.Changed, spec.Deleted} {
		if r == nil {
			continue
		}
		for _, m := range templateJSONString.FindAllStringSubmatch(r.Body, -1) {
			if len(m[1]) >= 8 && m[2] == "" { // a string value, not a key or a tag
				hide = append(hide, m[1])
				if v, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
					hide = append(hide, v) // as rendered JSON decodes it
				}
			}
		}
		for _, m := range templateQueryValue.FindAllStringSubmatch(r.Path+" "+r.Body, -1) {
			hide = append(hide, m[1])
		}
		for _, tag := range templateTag.FindAllString(r.Path+" "+r.Body, -1) {
			for _, m := range templateLiteral.FindAllStringSubmatch(tag, -1) {
				hide = append(hide, m[1]+m[2])
			}
		}
	}
	return hide
}

// hideStrings returns msg with each of hide, as it is or as Go quotes it (%q), replaced; and
// with the start of one (8 bytes or more) that a cut ends replaced too (hideCutStart): msg
// quotes what a template rendered up to a bound (a path up to 200 bytes), which a record's
// value, of any length, can put inside a string of hide.
func hideStrings(msg string, hide []string) string {
	for _, h := range hide {
		q := strconv.Quote(h)
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, q[1:len(q)-1], "[template text]"), h, "[template text]")
	}
	for _, h := range hide {
		q := strconv.Quote(h)
		msg = hideCutStart(hideCutStart(msg, q[1:len(q)-1]), h)
	}
	return msg
}

// hideCutStart returns msg with each start of h, 8 bytes or more but not all of it, that ends
// where a cut would: at msg's end, before a quote (the end of a quoted text: "…", \"), a
// backslash (the quote escaped) or a "…".
func hideCutStart(msg, h string) string {
	const minStart = 8
	if len(h) <= minStart {
		return msg
	}
	var b strings.Builder
	done := 0
	for i := 0; ; {
		j := strings.Index(msg[i:], h[:minStart])
		if j < 0 {
			break
		}
		j += i
		n := minStart
		for n < len(h) && j+n < len(msg) && msg[j+n] == h[n] {
			n++
		}
		rest := msg[j+n:]
		if n < len(h) && (rest == "" || rest[0] == '"' || rest[0] == '\\' || strings.HasPrefix(rest, "…")) {
			b.WriteString(msg[done:j])
			b.WriteString("[template text]")
			done = j + n
		}
		i = j + n
	}
	if done == 0 {
		return msg
	}
	b.WriteString(msg[done:])
	return b.String()
}

// hideAnswer is hideStrings for an answer's excerpt, which its bound may have cut: a string of
// hide whose start (8 characters or more) ends it is hidden too.
func hideAnswer(answer string, hide []string) string {
	answer = hideStrings(answer, hide)
	for _, h := range hide {
		answer = replaceCutEnd(answer, h, "[template text]")
	}
	return answer
}
