package webhook

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
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

// publicHeaders are the standard headers that say how a request is written, never who sends it:
// their values ("application/json", "gzip") are in every answer that names a format, and would
// be replaced there as if they were secrets.
var publicHeaders = map[string]bool{"content-type": true, "accept": true, "accept-encoding": true, "accept-language": true,
	"content-encoding": true, "content-language": true, "user-agent": true, "cache-control": true, "pragma": true}

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
	for name, v := range e.Headers {
		if !publicHeaders[strings.ToLower(name)] {
			addCredential(v)
		}
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
		// A token in the path, as Slack's, Discord's or Zapier's hook URLs carry it, echoed by an
		// endpoint's "Cannot POST /services/T0.../B0.../XXXX" page.
		for _, path := range []string{u.Path, u.EscapedPath()} {
			for _, seg := range strings.Split(path, "/") {
				if pathSecret(seg) {
					add(seg)
				}
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
		s = replaceCutEnd(s, v, scrubbed)
	}
	if !strings.ContainsAny(s, `%\&`) {
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

// replaceCutEnd returns s with its end replaced by mark when the end is v cut short (v's first
// minSecret bytes or more, but not all of them): an answer kept up to a bound can end inside v.
func replaceCutEnd(s, v, mark string) string {
	for k := len(v) - 1; k >= minSecret; k-- {
		if strings.HasSuffix(s, v[:k]) {
			return s[:len(s)-k] + mark
		}
	}
	return s
}

// pathSecret reports whether a segment of the connection's URL path looks like a token rather
// than a word or a version: 16 bytes or more, or 8 or more holding both a letter and a digit
// ("T0ABCDEF1", a 24-letter Slack token; not "services", "webhooks" or "v2"), but not lowercase
// words joined by hyphens or underscores ("customer-subscriptions", "incoming_webhook"), which
// an answer names as ordinary text.
func pathSecret(seg string) bool {
	if len(seg) >= 16 {
		return !joinedWords(seg)
	}
	if len(seg) < minSecret {
		return false
	}
	return strings.ContainsAny(seg, "0123456789") &&
		strings.ContainsAny(strings.ToLower(seg), "abcdefghijklmnopqrstuvwxyz")
}

// joinedWords reports whether seg is lowercase ASCII words joined by single hyphens or
// underscores: at least two words, no digit, no other byte.
func joinedWords(seg string) bool {
	words := strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' })
	if len(words) < 2 || strings.Contains(seg, "--") || strings.Contains(seg, "__") || strings.Contains(seg, "-_") ||
		strings.Contains(seg, "_-") || seg[0] == '-' || seg[0] == '_' || seg[len(seg)-1] == '-' || seg[len(seg)-1] == '_' {
		return false
	}
	for _, w := range words {
		if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	return true
}

// htmlEntities are the named character references an HTML page escapes a secret's bytes with.
var htmlEntities = map[string]byte{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'', "sol": '/',
	"equals": '=', "plus": '+', "colon": ':', "percnt": '%'}

// htmlEntity reads a character reference at the start of t (&#x2F; &#47; &amp;): the byte it
// stands for (ASCII only, which is what escapers apply to secrets) and its length; n 0 if none.
func htmlEntity(t string) (c byte, n int) {
	end := strings.IndexByte(t, ';')
	if len(t) < 3 || t[0] != '&' || end < 2 || end > 10 {
		return 0, 0
	}
	name := t[1:end]
	if name[0] != '#' {
		c, ok := htmlEntities[name]
		if !ok {
			return 0, 0
		}
		return c, end + 1
	}
	base, digits := 10, name[1:]
	if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
		base, digits = 16, digits[1:]
	}
	v, err := strconv.ParseUint(digits, base, 8)
	if err != nil || digits == "" || v >= 0x80 {
		return 0, 0
	}
	return byte(v), end + 1
}

// unescaped is s with its percent-encodings (%2F), JSON escapes (\/, \\, \", \u002F) and HTML
// character references (&#x2F;, &#47;, &amp;) undone,
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
		case c == '&':
			if r, n := htmlEntity(s[i:]); n > 0 {
				b.WriteByte(r)
				at = append(at, i)
				i += n
				continue
			}
		}
		if partialEscape(s[i:]) {
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
// \uX, \uXX, \uXXX, or a character reference without its ';' (&, &#x2, &am).
func partialEscape(t string) bool {
	switch {
	case len(t) <= 9 && t[0] == '&' && strings.Trim(t[1:], "#0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "":
		return true
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
