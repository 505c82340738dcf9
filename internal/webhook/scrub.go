package webhook

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// scrubbed stands in an endpoint's answer for a secret of the connection it echoed.
const scrubbed = "[secret]"

// minSecret is the shortest value Scrub looks for: shorter ones (a header "X-Debug: true", an
// "?v=2") would cut up ordinary text ("true" in every JSON answer) and guard nothing.
const minSecret = 8

// authSchemes are the Authorization schemes whose credential follows the scheme's name: that
// part is a secret of its own. Another header's value is a secret only as a whole ("Accept:
// text/plain, application/json" does not make "application/json" one).
var authSchemes = []string{"bearer", "basic", "token", "digest", "apikey", "api-key", "key", "sso-key"}

// Scrub returns s, text an endpoint answered, with the connection's secrets it may echo (an
// endpoint that prints the request it refused) replaced: its headers' values (and a header's
// credential after its scheme, "Bearer TOKEN"), the basic auth password and header, the
// signing secret, the OAuth2 token in use, and the URL's password and query values. What an
// answer keeps goes to run errors, rejected records, the delivery log, the status page and
// notifications, which are read by more people than the connection's secrets are.
//
// sent are the Authorization values the request carried (an OAuth2 token another request may
// have refreshed since). A secret is also found written as the endpoint may have escaped it: in
// percent-encoding or JSON's escapes (\/, \u003d), as PHP, Gson or encoding/json echo it.
func (e Endpoint) Scrub(s string, sent ...string) string {
	if s == "" {
		return s
	}
	var secrets []string
	add := func(v string) {
		if len(v) >= minSecret {
			secrets = append(secrets, v)
		}
	}
	addCredential := func(v string) {
		add(v)
		if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && slices.Contains(authSchemes, strings.ToLower(scheme)) {
			add(strings.TrimSpace(cred))
		}
	}
	for _, v := range e.Headers {
		addCredential(v)
	}
	if e.SigningSecret != "" {
		add(e.SigningSecret)
		add(strings.TrimPrefix(e.SigningSecret, "whsec_"))
	}
	if b := e.BasicAuth; b != nil {
		add(b.Password)
		add(base64.StdEncoding.EncodeToString([]byte(b.Username + ":" + b.Password)))
	}
	if e.OAuth2 != nil {
		addCredential(e.OAuth2.current())
	}
	for _, v := range sent {
		addCredential(v)
	}
	if u, err := url.Parse(e.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
				add(url.QueryEscape(v))
			}
		}
		// As written in the URL ("a%20b"), which is how it was sent.
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if _, v, ok := strings.Cut(kv, "="); ok {
				add(v)
			}
		}
	}
	if len(secrets) == 0 {
		return s
	}
	// The longest first, so that a secret holding another is replaced whole.
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, scrubbed)
	}
	// An answer is kept up to a bound, which can cut a secret: its start at the end is one too.
	for _, v := range secrets {
		for k := len(v) - 1; k >= minSecret; k-- {
			if strings.HasSuffix(s, v[:k]) {
				s = s[:len(s)-k] + scrubbed
				break
			}
		}
	}
	if !strings.ContainsAny(s, `%\`) {
		return s
	}
	// The same in the answer's text read with its escapes undone.
	plain, at := unescaped(s)
	for _, v := range secrets {
		if !strings.Contains(plain, v) {
			continue
		}
		var b strings.Builder
		prev := 0
		for j := 0; ; {
			i := strings.Index(plain[j:], v)
			if i < 0 {
				break
			}
			i += j
			b.WriteString(s[prev:at[i]])
			b.WriteString(scrubbed)
			prev, j = at[i+len(v)], i+len(v)
		}
		b.WriteString(s[prev:])
		s = b.String()
		plain, at = unescaped(s)
	}
	for _, v := range secrets {
		for k := len(v) - 1; k >= minSecret; k-- {
			if strings.HasSuffix(plain, v[:k]) {
				s = s[:at[len(plain)-k]] + scrubbed
				plain, at = unescaped(s)
				break
			}
		}
	}
	return s
}

// unescaped is s with its percent-encodings (%2F) and JSON escapes (\/, \\, \", \u002F) undone,
// and, for each byte of it, where its text starts in s (at[len(plain)] is len(s)). An escape
// that the end of s cuts in half (the answer's bound) is left out of plain, so that a secret
// cut there is found by its start.
func unescaped(s string) (plain string, at []int) {
	var b strings.Builder
	b.Grow(len(s))
	at = make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			at = append(at, i)
			i += 3
			continue
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`/\"`, s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			at = append(at, i)
			i += 2
			continue
		case c == '\\' && i+5 < len(s) && s[i+1] == 'u' && allHex(s[i+2:i+6]):
			r := rune(0)
			for _, h := range []byte(s[i+2 : i+6]) {
				r = r<<4 | rune(unhex(h))
			}
			n := b.Len()
			b.WriteRune(r)
			for range b.Len() - n {
				at = append(at, i)
			}
			i += 6
			continue
		case partialEscape(s[i:]):
			at = append(at, len(s))
			return b.String(), at
		}
		b.WriteByte(c)
		at = append(at, i)
		i++
	}
	at = append(at, len(s))
	return b.String(), at
}

// partialEscape reports whether t, the end of a text, is an escape cut short: %, %X, \, \u,
// \uX, \uXX or \uXXX.
func partialEscape(t string) bool {
	switch {
	case t == "%", len(t) == 2 && t[0] == '%' && isHex(t[1]), t == "\\":
		return true
	case len(t) >= 2 && len(t) <= 5 && t[0] == '\\' && t[1] == 'u':
		return allHex(t[2:])
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func allHex(t string) bool {
	for i := 0; i < len(t); i++ {
		if !isHex(t[i]) {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
