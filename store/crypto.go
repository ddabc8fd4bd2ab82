package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sealer encrypts secrets at rest (TOTP seeds, OIDC keys) with AES-256-GCM under a key
// derived from the application's secret key.
type Sealer struct {
	aead   cipher.AEAD
	secret []byte
}

// NewSealer derives the encryption key from secret with a purpose label, so the same secret
// key can serve other uses (cookie signing) without key reuse.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("secret key must be at least 32 bytes")
	}
	key := DeriveKey(secret, "aidants-connect/seal/v1")
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return &Sealer{aead: aead, secret: secret}, nil
}

// DeriveKey returns a 32-byte key for one purpose (HMAC-SHA256 of the label under secret).
func DeriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Key derives a key for one purpose from the application secret (salts, HMAC keys).
func (s *Sealer) Key(purpose string) []byte { return DeriveKey(s.secret, "aidants-connect/"+purpose) }

// Seal encrypts plaintext; the nonce is prepended to the result.
func (s *Sealer) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, nil), nil
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	return out, nil
}

// NewToken returns a random URL-safe token of 32 bytes of entropy.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is how codes, links and session ids are stored: never in clear.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
