package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

func secretOf(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func TestParseSigningSecret(t *testing.T) {
	for _, n := range []int{webhook.MinSecretBytes, 32, webhook.MaxSecretBytes} {
		key, err := webhook.ParseSigningSecret(secretOf(n))
		if err != nil || len(key) != n {
			t.Errorf("ParseSigningSecret of %d bytes = %d bytes, %v; want the key", n, len(key), err)
		}
	}
	long := secretOf(32)
	for secret, want := range map[string]string{
		"":                                   "must start with",
		"abc":                                "must start with",
		"WHSEC_" + long[6:]:                  "must start with",
		"whsec_":                             "decodes to 0 bytes",
		"whsec_!!!":                          "not standard base64",
		secretOf(webhook.MinSecretBytes - 1): "decodes to 23 bytes",
		secretOf(webhook.MaxSecretBytes + 1): "decodes to 65 bytes",
		strings.TrimRight(secretOf(25), "="): "not standard base64", // padding left out
		long[:20] + "\n" + long[20:]:         "not standard base64", // DecodeString would skip it
		long[:20] + " " + long[20:]:          "not standard base64",
		strings.NewReplacer("+", "-", "/", "_").Replace(secretOf(63)): "not standard base64", // URL alphabet
		long + "\x00": "not standard base64",
	} {
		_, err := webhook.ParseSigningSecret(secret)
		if !errors.Is(err, webhook.ErrBadSecret) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSigningSecret(%q) = %v, want ErrBadSecret containing %q", secret, err, want)
			continue
		}
		if rest := strings.TrimPrefix(secret, "whsec_"); len(rest) > 3 && strings.Contains(err.Error(), rest) {
			t.Errorf("ParseSigningSecret(%q): the error shows the secret: %v", secret, err)
		}
	}
}

// Nothing is signed, or verified, with a secret the rule refuses: an empty HMAC key would let
// anyone forge signatures.
func TestSignRefusesBadSecret(t *testing.T) {
	h := http.Header{}
	if err := webhook.Sign(h, "whsec_", "msg_1", time.Now(), []byte("{}")); !errors.Is(err, webhook.ErrBadSecret) {
		t.Errorf("Sign with whsec_ = %v, want ErrBadSecret", err)
	}
	if len(h) != 0 {
		t.Errorf("Sign with a bad secret set headers: %v", h)
	}
	good := secretOf(24)
	ts := time.Now()
	if err := webhook.Sign(h, good, "msg_1", ts, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(good, h, []byte("{}"), ts, time.Minute); err != nil {
		t.Errorf("Verify of a fresh signature = %v", err)
	}
	if err := webhook.Verify("whsec_", h, []byte("{}"), ts, time.Minute); !errors.Is(err, webhook.ErrBadSecret) {
		t.Errorf("Verify with whsec_ = %v, want ErrBadSecret", err)
	}
}
