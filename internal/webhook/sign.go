package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Signing secrets are "whsec_" followed by the standard base64 (with padding) of 24 to 64 random
// bytes: the form Standard Webhooks libraries issue and decode, and the key sizes the spec allows.
const (
	SecretPrefix   = "whsec_"
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ErrBadSecret is a signing secret that is not "whsec_" and the base64 of 24 to 64 bytes. Its
// messages never include the secret.
var ErrBadSecret = errors.New("invalid signing secret")

// ParseSigningSecret decodes a signing secret into its HMAC key. It is the one rule for signing
// secrets: the provider refuses what it refuses at plan time, and the runner refuses to sign with
// a stored secret it refuses rather than sign with a key no receiver can verify.
func ParseSigningSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: it must start with %q", ErrBadSecret, SecretPrefix)
	}
	// DecodeString skips CR and LF, which a receiver's library may not: only the alphabet passes.
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '+' || c == '/' || c == '=') {
			return nil, fmt.Errorf("%w: character %d after %q is not standard base64 (A-Z, a-z, 0-9, +, / and = padding)",
				ErrBadSecret, i+1, SecretPrefix)
		}
	}
	key, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil {
		// The base64 error names only an offset, never the secret's text.
		return nil, fmt.Errorf("%w: the part after %q is not standard base64 with padding (%v)", ErrBadSecret, SecretPrefix, err)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("%w: it decodes to %d bytes; Standard Webhooks keys are %d to %d bytes",
			ErrBadSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}

// signature is "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under key.
func signature(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Signature is "v1,<base64 HMAC-SHA256 of id.timestamp.body>". A secret ParseSigningSecret
// refuses is an error: nothing is signed with a key no receiver can verify.
func Signature(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := ParseSigningSecret(secret)
	if err != nil {
		return "", err
	}
	return signature(key, id, ts, body), nil
}

// Sign sets the Standard Webhooks headers on h for body. id must stay the same on every retry.
// A secret ParseSigningSecret refuses is an error and h is left alone.
func Sign(h http.Header, secret, id string, ts time.Time, body []byte) error {
	sig, err := Signature(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}

// ErrBadSignature means a request's signature does not match its body under the secret.
var ErrBadSignature = errors.New("webhook signature does not match")

// Verify checks a signed request's headers and body, allowing tolerance of clock skew. A secret
// ParseSigningSecret refuses is an error wrapping ErrBadSecret.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := ParseSigningSecret(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not a Unix time")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return errors.New("webhook-timestamp is too far from now")
	}
	want := signature(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}
