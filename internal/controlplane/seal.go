package controlplane

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// SecretKeyEnv names the environment variable holding the key that seals secrets at rest.
const SecretKeyEnv = "BACKFLOW_SECRET_KEY"

// DatabaseURLEnv names the environment variable holding the control-plane URL.
const DatabaseURLEnv = "BACKFLOW_DATABASE_URL"

// ErrNoSecretKey means no key was configured.
var ErrNoSecretKey = errors.New(SecretKeyEnv + " is not set")

// ErrWrongKey means sealed data could not be opened: it was sealed under another key, altered,
// or (a connection's) sealed for another connection.
var ErrWrongKey = errors.New("secret could not be decrypted: " + SecretKeyEnv +
	" is not the key the control plane's secrets were sealed with (or the sealed value was altered, or copied from another connection)")

// Sealer seals and opens secrets with AES-256-GCM.
type Sealer struct {
	aead cipher.AEAD
	// sum identifies the key (SHA-256 of it) so that two sealers can be compared.
	sum [sha256.Size]byte
}

// ParseKey builds a Sealer from a base64 key of 32 bytes, as `openssl rand -base64 32` prints.
func ParseKey(encoded string) (*Sealer, error) {
	if strings.TrimSpace(encoded) == "" {
		return nil, fmt.Errorf("%w: set it (or the provider's secret_key) to 32 random bytes in base64, "+
			"as `openssl rand -base64 32` prints", ErrNoSecretKey)
	}
	return ParseKeyFrom(SecretKeyEnv, encoded)
}

// ParseKeyFrom is ParseKey for a key read from source (an environment variable or a file),
// which its errors name. It never echoes the key.
func ParseKeyFrom(source, encoded string) (*Sealer, error) {
	encoded = strings.TrimSpace(encoded)
	if encoded == "" {
		return nil, fmt.Errorf("%s is empty: it must be 32 random bytes in base64, as `openssl rand -base64 32` prints", source)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(encoded)
	}
	if err != nil {
		hint := ""
		if strings.ContainsAny(encoded, "-_") && !strings.ContainsAny(encoded, "+/") {
			hint = " (it looks like URL-safe base64, with - and _: write it in standard base64, with + and /)"
		}
		return nil, fmt.Errorf("%s is not valid base64%s: it must be 32 random bytes in base64, "+
			"as `openssl rand -base64 32` prints", source, hint)
	}
	if len(raw) != 32 {
		hint := ""
		if len(encoded)%2 == 0 && strings.Trim(encoded, "0123456789abcdefABCDEF") == "" {
			// Hex digits are base64 too: `openssl rand -hex 32` decodes to 48 bytes.
			hint = fmt.Sprintf(" (it looks like hex, %d bytes written as %d hex digits: the key is read as base64)",
				len(encoded)/2, len(encoded))
		}
		return nil, fmt.Errorf("%s decodes to %d bytes, want 32%s: generate one with `openssl rand -base64 32`",
			source, len(raw), hint)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, sum: sha256.Sum256(raw)}, nil
}

// SameKey tells whether s and o hold the same key.
func (s *Sealer) SameKey(o *Sealer) bool { return s.sum == o.sum }

// SealerFromEnv reads BACKFLOW_SECRET_KEY.
func SealerFromEnv() (*Sealer, error) {
	return ParseKey(os.Getenv(SecretKeyEnv))
}

// Seal encrypts plaintext; aad binds the ciphertext to its context (it is not secret).
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return s.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open decrypts what Seal produced with the same key and aad, or returns ErrWrongKey.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrWrongKey
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}
