package runner

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// APITokenEnv names the token that guards the daemon's status page and API. Unset: the status
// page is open to requests addressed to an IP address or localhost, and the API is off.
const APITokenEnv = "BACKFLOW_API_TOKEN"

// apiToken is the one check of BACKFLOW_API_TOKEN, for the status page and the API. Only the
// token's SHA-256 is kept, and every comparison is in constant time.
type apiToken struct{ digest []byte }

// newAPIToken returns the check of token; nil when token is empty (no token set).
func newAPIToken(token string) *apiToken {
	if token == "" {
		return nil
	}
	d := sha256.Sum256([]byte(token))
	return &apiToken{digest: d[:]}
}

func apiTokenFromEnv() *apiToken { return newAPIToken(os.Getenv(APITokenEnv)) }

// matches reports whether tok is the token.
func (t *apiToken) matches(tok string) bool {
	d := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(d[:], t.digest) == 1
}

// bearer reports whether r carries the token as "Authorization: Bearer TOKEN" (the scheme's
// name in any case, as RFC 9110 has it).
func (t *apiToken) bearer(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && t.matches(strings.TrimLeft(tok, " "))
}

// hexDigest is what the status page's sign-in cookie holds: the digest, not the token.
func (t *apiToken) hexDigest() string { return fmt.Sprintf("%x", t.digest) }

// matchesDigest reports whether hexDigest is the token's (a sign-in cookie's value).
func (t *apiToken) matchesDigest(hexDigest string) bool {
	return subtle.ConstantTimeCompare([]byte(hexDigest), []byte(t.hexDigest())) == 1
}
