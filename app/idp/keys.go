package idp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aidantsconnect/ac/store"
)

const (
	// keyRecheck is how often an instance looks again for the active key, so that a key
	// retired by another instance (rotation) stops being used everywhere soon after.
	keyRecheck = 5 * time.Minute
	// retiredKeysKept: a retired key stays in the JWKS this long, far beyond any token it signed.
	retiredKeysKept = 24 * time.Hour
)

// signingKey is one of our asymmetric keys, ready to sign.
type signingKey struct {
	kid    string
	alg    jose.SignatureAlgorithm
	key    crypto.Signer
	signer jose.Signer
	loaded time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.kid }

// keyring holds the active key of each algorithm, shared with the other instances through the
// database (private keys sealed there).
type keyring struct {
	st  *store.Store
	now func() time.Time

	mu     sync.Mutex
	active map[jose.SignatureAlgorithm]*signingKey
}

func newKeyring(st *store.Store) *keyring {
	return &keyring{st: st, now: time.Now, active: map[jose.SignatureAlgorithm]*signingKey{}}
}

// get returns the active key for alg (ES256 or RS256), creating it on first use. A cached key
// is looked up again after keyRecheck, in case another instance rotated it.
func (kr *keyring) get(ctx context.Context, alg jose.SignatureAlgorithm) (*signingKey, error) {
	kr.mu.Lock()
	cached := kr.active[alg]
	kr.mu.Unlock()
	now := kr.now()
	if cached != nil && now.Sub(cached.loaded) < keyRecheck {
		return cached, nil
	}
	row, private, err := kr.st.ActiveIdPSigningKey(ctx, string(alg), func() (store.NewIdPKey, error) { return generateKey(alg) })
	if err != nil {
		return nil, err
	}
	var k *signingKey
	if cached != nil && cached.kid == row.KID {
		k = &signingKey{kid: cached.kid, alg: alg, key: cached.key, signer: cached.signer} // no need to parse it again
	} else if k, err = parseSigningKey(row.KID, alg, private); err != nil {
		return nil, err
	}
	k.loaded = now
	kr.mu.Lock()
	kr.active[alg] = k
	kr.mu.Unlock()
	return k, nil
}

func parseSigningKey(kid string, alg jose.SignatureAlgorithm, der []byte) (*signingKey, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", kid, err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %T is not a signer", kid, parsed)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("signer %s: %w", kid, err)
	}
	return &signingKey{kid: kid, alg: alg, key: key, signer: signer}, nil
}

// generateKey makes a key pair; its kid is its RFC 7638 thumbprint.
func generateKey(alg jose.SignatureAlgorithm) (store.NewIdPKey, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return store.NewIdPKey{}, fmt.Errorf("no key for %s", alg)
	}
	if err != nil {
		return store.NewIdPKey{}, err
	}
	private, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return store.NewIdPKey{}, err
	}
	public, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return store.NewIdPKey{}, err
	}
	tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return store.NewIdPKey{}, err
	}
	return store.NewIdPKey{KID: base64.RawURLEncoding.EncodeToString(tp), Private: private, Public: public}, nil
}

// published lists the public keys of the JWKS: active ones and recently retired ones.
func (kr *keyring) published(ctx context.Context) ([]op.Key, error) {
	rows, err := kr.st.PublishedIdPSigningKeys(ctx, retiredKeysKept)
	if err != nil {
		return nil, err
	}
	keys := make([]op.Key, 0, len(rows))
	for _, r := range rows {
		pub, err := x509.ParsePKIXPublicKey(r.PublicDER)
		if err != nil {
			return nil, fmt.Errorf("public key %s: %w", r.KID, err)
		}
		keys = append(keys, publicKey{kid: r.KID, alg: jose.SignatureAlgorithm(r.Alg), key: pub})
	}
	return keys, nil
}

// publicKey is a JWKS entry.
type publicKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key any
}

func (k publicKey) ID() string                         { return k.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }
