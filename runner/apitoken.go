package runner

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// APITokenEnv names the token that guards the daemon's status page and API. Unset: the status
// page is open to requests addressed to an IP address or localhost, and the API is off.
const APITokenEnv = "BACKFLOW_API_TOKEN"

// apiToken is the one check of BACKFLOW_API_TOKEN, for the status page and the API. The token
// itself is not kept: only its SHA-256 and the key of the status page's sign-in cookies, both
// derived from it; every comparison is in constant time.
type apiToken struct {
	digest []byte
	// signInKey signs sign-in cookies (signIn). It is not the digest: cookies before it held
	// the digest, and whoever kept one must not be able to sign a cookie with it.
	signInKey []byte
}

// newAPIToken returns the check of token; nil when token is empty (no token set). The token is
// its value without surrounding whitespace, as BACKFLOW_SECRET_KEY is: one read from a file or a
// Kubernetes Secret often ends with a newline, which no client can send (HTTP trims a header
// value). A token of whitespace only stays as it is, so that nothing matches it (run refuses it).
func newAPIToken(token string) *apiToken {
	if token == "" {
		return nil
	}
	if t := strings.TrimSpace(token); t != "" {
		token = t
	}
	d := sha256.Sum256([]byte(token))
	k := hmac.New(sha256.New, []byte(token))
	k.Write([]byte("backflow status page sign-in key"))
	return &apiToken{digest: d[:], signInKey: k.Sum(nil)}
}

func apiTokenFromEnv() *apiToken { return newAPIToken(os.Getenv(APITokenEnv)) }

// matches reports whether tok, without surrounding whitespace (a token pasted in the sign-in
// form), is the token.
func (t *apiToken) matches(tok string) bool {
	d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(d[:], t.digest) == 1
}

// bearer reports whether r carries the token as "Authorization: Bearer TOKEN" (the scheme's
// name in any case, as RFC 9110 has it).
func (t *apiToken) bearer(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && t.matches(strings.TrimLeft(tok, " "))
}

// signInMessage precedes the expiry in what a sign-in cookie signs.
const signInMessage = "backflow status page sign-in\x00"

// signIn is the value of a sign-in cookie good until expiry: "EXPIRY.MAC", EXPIRY in Unix seconds
// and MAC the hex HMAC-SHA256 of signInMessage and EXPIRY under a key derived from the token. It
// holds no state of the server's: every replica, and a restarted daemon, with the same token
// accepts it; changing the token refuses every cookie made before.
func (t *apiToken) signIn(expiry time.Time) string {
	e := strconv.FormatInt(expiry.Unix(), 10)
	return e + "." + hex.EncodeToString(t.signInMAC(e))
}

func (t *apiToken) signInMAC(expiry string) []byte {
	m := hmac.New(sha256.New, t.signInKey)
	m.Write([]byte(signInMessage + expiry))
	return m.Sum(nil)
}

// signedIn reports whether value is a sign-in cookie of this token (signIn) whose expiry is
// after now.
func (t *apiToken) signedIn(value string, now time.Time) bool {
	e, mac, ok := strings.Cut(value, ".")
	if !ok {
		return false
	}
	expiry, err := strconv.ParseInt(e, 10, 64)
	if err != nil || !now.Before(time.Unix(expiry, 0)) {
		return false
	}
	got, err := hex.DecodeString(mac)
	return err == nil && hmac.Equal(got, t.signInMAC(e))
}
