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

// minSecret is the shortest value Scrub looks for: shorter ones (a "1" flag) would cut up
// ordinary text and guard nothing.
const minSecret = 4

// Scrub returns s, text an endpoint answered, with the connection's secrets it may echo (an
// endpoint that prints the request it refused) replaced: its headers' values (and a header's
// credential after its scheme, "Bearer TOKEN"), the basic auth password and header, the
// signing secret, the OAuth2 token in use, and the URL's password and query values. What an
// answer keeps goes to run errors, rejected records, the delivery log, the status page and
// notifications, which are read by more people than the connection's secrets are.
func (e Endpoint) Scrub(s string) string {
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
		if _, cred, ok := strings.Cut(v, " "); ok {
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
	return s
}
