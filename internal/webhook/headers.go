package webhook

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// ReservedHeaders are the headers every request carries from the runner itself: Endpoint.NewRequest
// sets Content-Type, User-Agent and the Standard Webhooks headers, and net/http writes Host and
// Content-Length from the URL and the body. A connection's headers may not set them: the runner
// would override them (or net/http drop them) without a word. TestReservedHeadersAreWhatIsSent
// checks this list against a real request.
var ReservedHeaders = []string{
	"Content-Type", "Content-Length", "Host", "User-Agent", HeaderID, HeaderTimestamp, HeaderSignature,
}

// framingHeaders are written by net/http from how it sends the body, which drops a header of that
// name just as silently.
var framingHeaders = []string{"Transfer-Encoding", "Trailer"}

// HeaderError is a connection header the runner cannot send as configured. It names the header
// and never holds its value (headers carry tokens).
type HeaderError struct {
	Name    string
	Problem string
}

func (e *HeaderError) Error() string { return fmt.Sprintf("header %q %s", e.Name, e.Problem) }

// CheckHeaderName says what is wrong with a header name, nil if nothing: it must be an RFC 9110
// token (letters, digits and !#$%&'*+-.^_`|~, at least one) and not a header the runner sets.
func CheckHeaderName(name string) *HeaderError {
	if name == "" {
		return &HeaderError{Name: name, Problem: "has an empty name"}
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return &HeaderError{Name: name, Problem: fmt.Sprintf("is not a valid header name: %s at byte %d is not "+
				"allowed (RFC 9110 names are letters, digits and !#$%%&'*+-.^_`|~, without spaces or colons)",
				describeByte(name[i]), i+1)}
		}
	}
	if isReserved(name, ReservedHeaders) {
		return &HeaderError{Name: name, Problem: "is set by the runner on every request and cannot be configured: " +
			"the runner sets " + strings.Join(ReservedHeaders, ", ")}
	}
	if strings.Contains(strings.ToLower(name), "idempotency") {
		// A configured header has one value for every request: an API that honours it (Stripe's
		// Idempotency-Key, and the like) answers every request after the first with the first
		// one's saved answer or refuses it, and a 2xx would record records never applied.
		return &HeaderError{Name: name, Problem: "would carry the same value on every request, and an API that " +
			"honours idempotency keys answers each request after the first with the first one's saved answer (its " +
			"records counted delivered without being applied) or refuses it: remove the header. Every request " +
			"carries its own " + HeaderID + ", kept across its retries, for an endpoint to deduplicate on"}
	}
	if isReserved(name, framingHeaders) {
		return &HeaderError{Name: name, Problem: "is written by the HTTP client from the request body and cannot be " +
			"configured (neither can " + strings.Join(framingHeaders, " or ") + ")"}
	}
	return nil
}

// CheckHeaderValue says what is wrong with a header value, nil if nothing: CR and LF would end the
// header, NUL and other control characters (tab aside) are refused by HTTP clients and servers.
// The error names the header, never the value.
func CheckHeaderValue(name, value string) *HeaderError {
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\t' || (c >= 0x20 && c != 0x7f) {
			continue
		}
		problem := "contains a control character"
		switch c {
		case '\r', '\n':
			problem = "contains a line break (CR or LF), which would end the header"
		case 0:
			problem = "contains a NUL byte"
		}
		return &HeaderError{Name: name, Problem: fmt.Sprintf("has a value that %s (%s at byte %d; the value is not shown)",
			problem, describeByte(c), i+1)}
	}
	if strings.EqualFold(name, "Content-Encoding") && !strings.EqualFold(strings.TrimSpace(value), "identity") {
		// Bodies are sent as they are: labelled gzip (or any coding), each would fail to decode
		// at the endpoint, and every record be refused.
		return &HeaderError{Name: name, Problem: "says the request body is encoded (compressed), but the runner " +
			"sends bodies as they are, so the endpoint would fail to decode every request: remove the header"}
	}
	return nil
}

// CheckHeaders returns what is wrong with a connection's headers, one error per problem in name
// order; none when all can be sent as configured. Names differing only in case are one header to
// HTTP, so two of them are refused too: only one would be sent.
func CheckHeaders(headers map[string]string) []*HeaderError {
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []*HeaderError
	seen := make(map[string]string, len(names))
	for _, name := range names {
		if err := CheckHeaderName(name); err != nil {
			out = append(out, err)
		} else if err := CheckHeaderValue(name, headers[name]); err != nil {
			out = append(out, err)
		}
		key := strings.ToLower(name)
		if first, ok := seen[key]; ok {
			out = append(out, &HeaderError{Name: name, Problem: fmt.Sprintf("is the same header as %q (names are "+
				"case-insensitive): only one of them would be sent", first)})
			continue
		}
		seen[key] = name
	}
	return out
}

// setHeaders sets a connection's headers on h, refusing the first one CheckHeaders refuses (a
// stored connection need not have been checked: written by an older provider, or by hand).
func setHeaders(h http.Header, headers map[string]string) error {
	if errs := CheckHeaders(headers); len(errs) > 0 {
		return fmt.Errorf("the connection's headers cannot be sent: %w", errs[0])
	}
	for k, v := range headers {
		h.Set(k, v)
	}
	return nil
}

func isReserved(name string, list []string) bool {
	for _, r := range list {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func describeByte(c byte) string {
	switch {
	case c == ' ':
		return "a space"
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character 0x%02X", c)
	case c >= 0x80:
		return "a non-ASCII byte"
	}
	return fmt.Sprintf("%q", c)
}
