package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// The FranceConnect-facing OpenID provider (we are FI): its clients, signing keys and the
// aidant's pseudonymous identifiers. Flows, codes and tokens are in idp_flow.go.

// ID token algorithms and userinfo formats a client may use.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgHS256 = "HS256"

	UserinfoJSON = "json"
	UserinfoJWT  = "jwt"
)

var (
	// ErrIdPClientInvalid wraps what is wrong with a client definition.
	ErrIdPClientInvalid = errors.New("client OpenID invalide")
	// ErrIdPClientExists means the client id is taken.
	ErrIdPClientExists = errors.New("ce client OpenID existe déjà")
	// ErrIdPSecretRefused means a client authenticated with a wrong secret.
	ErrIdPSecretRefused = errors.New("client secret refused")
)

// IdPClient is a relying party of our provider: FranceConnect in production, the simulator's
// broker in dev and the bac à sable.
type IdPClient struct {
	bun.BaseModel `bun:"table:idp_clients,alias:idp_client"`

	ID             string            `bun:"id,pk"`
	Name           string            `bun:"name"`
	SecretHash     []byte            `bun:"secret_hash"`
	SecretEnc      []byte            `bun:"secret_enc"`
	RedirectURIs   []string          `bun:"redirect_uris,array"`
	PostLogoutURIs []string          `bun:"post_logout_uris,array"`
	IDTokenAlg     string            `bun:"id_token_alg"`
	UserinfoFormat string            `bun:"userinfo_format"`
	RepScopeValues map[string]string `bun:"rep_scope_values,type:jsonb"`
	Source         string            `bun:"source"`
	CreatedAt      time.Time         `bun:"created_at"`
	UpdatedAt      time.Time         `bun:"updated_at"`
}

// HasRedirectURI reports whether u is registered, character for character.
func (c *IdPClient) HasRedirectURI(u string) bool { return slices.Contains(c.RedirectURIs, u) }

// HasPostLogoutURI reports whether u is a registered post-logout redirect URI.
func (c *IdPClient) HasPostLogoutURI(u string) bool { return slices.Contains(c.PostLogoutURIs, u) }

// RepScopeValue is how the client names a démarche in rep_scope.
func (c *IdPClient) RepScopeValue(demarche string) string {
	if v, ok := c.RepScopeValues[demarche]; ok {
		return v
	}
	return demarche
}

// DemarcheFor is the démarche a rep_scope value names in the client's vocabulary, whatever
// its case and accents: FranceConnect's own scenarios send "Etranger-Europe" for our
// "Étranger-Europe".
func (c *IdPClient) DemarcheFor(value string) (string, bool) {
	v := FoldRepScope(value)
	for _, k := range DemarcheKeys() {
		if FoldRepScope(c.RepScopeValue(k)) == v {
			return k, true
		}
	}
	return "", false
}

// FoldRepScope is how rep_scope values compare: lower case, without accents (marks dropped
// from the canonical decomposition).
func FoldRepScope(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// RepScopeLabels is the vocabulary of FranceConnect's fixtures: the démarche titles without
// spaces around the hyphens ("Famille-Scolarité").
func RepScopeLabels() map[string]string {
	m := map[string]string{}
	for _, d := range Demarches() {
		m[d.Key] = strings.ReplaceAll(d.Title, " - ", "-")
	}
	return m
}

// IdPClientInput defines a client. Empty IDTokenAlg, UserinfoFormat and RepScopeValues take
// the defaults: ES256, JSON, the démarche keys.
type IdPClientInput struct {
	ID, Name, Secret             string
	RedirectURIs, PostLogoutURIs []string
	IDTokenAlg, UserinfoFormat   string
	RepScopeValues               map[string]string
	Source                       string // "config" (AC_IDP_CLIENTS) or "cli" (the client subcommand)
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func invalidClient(format string, args ...any) error {
	return fmt.Errorf("%w : %s", ErrIdPClientInvalid, fmt.Sprintf(format, args...))
}

func (in *IdPClientInput) normalise() error {
	if !clientIDPattern.MatchString(in.ID) {
		return invalidClient("l'identifiant %q doit faire 1 à 100 caractères parmi A-Z a-z 0-9 . _ -", in.ID)
	}
	if err := checkClientSecret(in.Secret); err != nil {
		return err
	}
	if len(in.RedirectURIs) == 0 {
		return invalidClient("au moins une adresse de retour (redirect_uri) est nécessaire")
	}
	for _, u := range append(slices.Clone(in.RedirectURIs), in.PostLogoutURIs...) {
		if err := checkClientURI(u); err != nil {
			return err
		}
	}
	if in.PostLogoutURIs == nil {
		in.PostLogoutURIs = []string{}
	}
	if in.IDTokenAlg == "" {
		in.IDTokenAlg = AlgES256
	}
	if in.UserinfoFormat == "" {
		in.UserinfoFormat = UserinfoJSON
	}
	if in.IDTokenAlg != AlgES256 && in.IDTokenAlg != AlgRS256 && in.IDTokenAlg != AlgHS256 {
		return invalidClient("algorithme %q : ES256, RS256 ou HS256", in.IDTokenAlg)
	}
	if in.UserinfoFormat != UserinfoJSON && in.UserinfoFormat != UserinfoJWT {
		return invalidClient("format userinfo %q : json ou jwt", in.UserinfoFormat)
	}
	if in.Source != "config" && in.Source != "cli" {
		return invalidClient("origine %q", in.Source)
	}
	values := map[string]string{}
	seen := map[string]bool{}
	for _, k := range DemarcheKeys() {
		v := k
		if in.RepScopeValues != nil {
			if w, ok := in.RepScopeValues[k]; ok {
				v = w
			}
		}
		if v == "" || seen[FoldRepScope(v)] { // values compare without case or accents (DemarcheFor)
			return invalidClient("la valeur rep_scope %q de la démarche %s est vide ou déjà prise", v, k)
		}
		seen[FoldRepScope(v)], values[k] = true, v
	}
	for k := range in.RepScopeValues {
		if _, ok := FindDemarche(k); !ok {
			return invalidClient("rep_scope : démarche %q inconnue", k)
		}
	}
	in.RepScopeValues = values
	return nil
}

// checkClientSecret wants at least 32 bytes: HS256 signs with the secret itself (RFC 7518
// §3.2), and a hash is only a safe way to store a secret that cannot be guessed.
func checkClientSecret(secret string) error {
	if len(secret) < 32 || len(secret) > 512 || strings.TrimSpace(secret) != secret {
		return invalidClient("le secret doit faire de 32 à 512 caractères, sans espace autour")
	}
	return nil
}

// checkClientURI accepts absolute https URLs, and http only on the loopback (local tests). The
// origin ends up in a Content-Security-Policy, so nothing that could break out of it passes.
func checkClientURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" ||
		strings.ContainsAny(raw, " \t\r\n;,'\"\\") {
		return invalidClient("adresse %q : URL absolue sans fragment attendue", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return invalidClient("adresse %q : https obligatoire (http seulement sur la boucle locale)", raw)
}

func (s *Store) clientRow(in IdPClientInput) (*IdPClient, error) {
	c := &IdPClient{ID: in.ID, Name: in.Name, SecretHash: HashToken(in.Secret), RedirectURIs: in.RedirectURIs,
		PostLogoutURIs: in.PostLogoutURIs, IDTokenAlg: in.IDTokenAlg, UserinfoFormat: in.UserinfoFormat,
		RepScopeValues: in.RepScopeValues, Source: in.Source}
	if c.IDTokenAlg == AlgHS256 {
		sealed, err := s.sealer.Seal([]byte(in.Secret))
		if err != nil {
			return nil, err
		}
		c.SecretEnc = sealed
	}
	c.CreatedAt = s.Now()
	c.UpdatedAt = c.CreatedAt
	return c, nil
}

// CreateIdPClient registers a new client; an existing id is ErrIdPClientExists.
func (s *Store) CreateIdPClient(ctx context.Context, in IdPClientInput) (*IdPClient, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	c, err := s.clientRow(in)
	if err != nil {
		return nil, err
	}
	res, err := s.db.NewInsert().Model(c).On("CONFLICT (id) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("create idp client: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrIdPClientExists
	}
	s.clients.forget()
	return c, nil
}

// UpsertIdPClient creates or replaces a client (configured clients, at every start).
func (s *Store) UpsertIdPClient(ctx context.Context, in IdPClientInput) (*IdPClient, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	c, err := s.clientRow(in)
	if err != nil {
		return nil, err
	}
	_, err = s.db.NewInsert().Model(c).On("CONFLICT (id) DO UPDATE").
		Set("name = EXCLUDED.name, secret_hash = EXCLUDED.secret_hash, secret_enc = EXCLUDED.secret_enc").
		Set("redirect_uris = EXCLUDED.redirect_uris, post_logout_uris = EXCLUDED.post_logout_uris").
		Set("id_token_alg = EXCLUDED.id_token_alg, userinfo_format = EXCLUDED.userinfo_format").
		Set("rep_scope_values = EXCLUDED.rep_scope_values, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("upsert idp client: %w", err)
	}
	s.clients.forget()
	return c, nil
}

// RotateIdPClientSecret replaces a client's secret; the old one stops working at once.
func (s *Store) RotateIdPClientSecret(ctx context.Context, id, secret string) error {
	if err := checkClientSecret(secret); err != nil {
		return err
	}
	defer s.clients.forget()
	return s.InTx(ctx, func(tx *Store) error {
		c, err := tx.readIdPClient(ctx, id)
		if err != nil {
			return err
		}
		in := IdPClientInput{ID: c.ID, Secret: secret, IDTokenAlg: c.IDTokenAlg}
		row, err := tx.clientRow(in)
		if err != nil {
			return err
		}
		_, err = tx.db.NewUpdate().Model((*IdPClient)(nil)).Where("id = ?", id).
			Set("secret_hash = ?, secret_enc = ?, updated_at = ?", row.SecretHash, row.SecretEnc, row.UpdatedAt).Exec(ctx)
		return notFound(err, "rotate idp client secret")
	})
}

// idpClientsRecheck is how long an instance trusts the clients it read: /authorize and /token
// read them on every request, and they change only with the configuration or `ac client`.
const idpClientsRecheck = 5 * time.Second

// idpClients is the clients as this instance last read them, all at once (a handful of rows).
// A write through this instance forgets them at once; a write through another instance is seen
// here within idpClientsRecheck; an unknown id is always looked up, so a client created
// elsewhere is known at once. The statement that spends a code re-checks the client's secret
// in the database (IdPExchange.SecretHash), so a secret rotated elsewhere stops working at
// /token at once all the same.
type idpClients struct {
	mu     sync.Mutex
	byID   map[string]*IdPClient
	readAt time.Time // wall clock, monotonic
}

func (c *idpClients) forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.byID = nil
	c.mu.Unlock()
}

// GetIdPClient returns a client by id, from the instance's cache (idpClients). The client
// returned is shared: callers must not change it.
func (s *Store) GetIdPClient(ctx context.Context, id string) (*IdPClient, error) {
	if s.clients == nil {
		return s.readIdPClient(ctx, id)
	}
	cache := s.clients
	cache.mu.Lock()
	byID, fresh := cache.byID, cache.byID != nil && time.Since(cache.readAt) < idpClientsRecheck
	cache.mu.Unlock()
	if !fresh {
		var cs []IdPClient
		readAt := time.Now()
		if err := s.db.NewSelect().Model(&cs).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read idp clients: %w", err)
		}
		byID = make(map[string]*IdPClient, len(cs))
		for i := range cs {
			byID[cs[i].ID] = &cs[i]
		}
		cache.mu.Lock()
		if cache.byID == nil || cache.readAt.Before(readAt) {
			cache.byID, cache.readAt = byID, readAt
		}
		cache.mu.Unlock()
	}
	if c, ok := byID[id]; ok {
		return c, nil
	}
	c, err := s.readIdPClient(ctx, id) // created since, perhaps by another instance
	if err == nil {
		cache.forget()
	}
	return c, err
}

func (s *Store) readIdPClient(ctx context.Context, id string) (*IdPClient, error) {
	c := new(IdPClient)
	err := s.db.NewSelect().Model(c).Where("id = ?", id).Scan(ctx)
	return c, notFound(err, "get idp client")
}

// ListIdPClients returns every client, by id.
func (s *Store) ListIdPClients(ctx context.Context) ([]IdPClient, error) {
	var cs []IdPClient
	err := s.db.NewSelect().Model(&cs).OrderExpr("id").Scan(ctx)
	return cs, notFound(err, "list idp clients")
}

// AuthenticateIdPClient checks a client's secret: unknown client ErrNotFound, wrong secret
// ErrIdPSecretRefused.
func (s *Store) AuthenticateIdPClient(ctx context.Context, id, secret string) (*IdPClient, error) {
	c, err := s.GetIdPClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(HashToken(secret), c.SecretHash) == 1 {
		return c, nil
	}
	// The cache may predate a rotation made through another instance: the database decides.
	if c, err = s.readIdPClient(ctx, id); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(HashToken(secret), c.SecretHash) != 1 {
		return nil, ErrIdPSecretRefused
	}
	s.clients.forget()
	return c, nil
}

// IdPClientSecret opens an HS256 client's sealed secret (its signing key).
func (s *Store) IdPClientSecret(c *IdPClient) ([]byte, error) {
	if c.SecretEnc == nil {
		return nil, fmt.Errorf("client %s: no sealed secret (alg %s)", c.ID, c.IDTokenAlg)
	}
	return s.sealer.Open(c.SecretEnc)
}

// IdPSubject is the usager's sub towards one client: a keyed hash of the usager's own sub
// (itself a salted hash of the FranceConnect sub) and the client id. It is stable for a person
// and a client, reveals nothing, and differs between clients, so two relying parties cannot
// link their users through it.
func (s *Store) IdPSubject(clientID, usagerSub string) string {
	m := hmac.New(sha256.New, s.sealer.Key("idp-sub"))
	m.Write([]byte(clientID))
	m.Write([]byte{0})
	m.Write([]byte(usagerSub))
	return hex.EncodeToString(m.Sum(nil))
}

// LastCodeProof is when the aidant last proved a TOTP code: the last login or activity check.
// The zero time means never.
func (s *Store) LastCodeProof(ctx context.Context, aidantID int64) (time.Time, error) {
	var at []time.Time
	err := s.db.NewSelect().Model((*JournalEntry)(nil)).Column("created_at").
		Where("aidant_id = ? AND action IN (?)", aidantID, bun.In([]string{ActionConnectAidant, ActionActivityCheck})).
		OrderExpr("id DESC").Limit(1).Scan(ctx, &at)
	if err != nil {
		return time.Time{}, fmt.Errorf("last code proof: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}

// IdPSigningKey is one of the provider's asymmetric keys.
type IdPSigningKey struct {
	bun.BaseModel `bun:"table:idp_signing_keys,alias:idp_key"`

	KID        string     `bun:"kid,pk"`
	Alg        string     `bun:"alg"`
	PrivateEnc []byte     `bun:"private_enc"`
	PublicDER  []byte     `bun:"public_der"`
	CreatedAt  time.Time  `bun:"created_at"`
	RetiredAt  *time.Time `bun:"retired_at"`
}

// idpKeyLock serialises the creation of signing keys by instances starting together.
const idpKeyLock = 727_011_040

// NewIdPKey is a key pair a caller generated: PKCS #8 private, PKIX public, DER.
type NewIdPKey struct {
	KID             string
	Private, Public []byte
}

// ActiveIdPSigningKey returns the algorithm's active key with its private key opened. When
// there is none it stores the one generate makes (called at most once).
func (s *Store) ActiveIdPSigningKey(ctx context.Context, alg string, generate func() (NewIdPKey, error)) (*IdPSigningKey, []byte, error) {
	k := new(IdPSigningKey)
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.db.NewSelect().Model(k).Where("alg = ? AND retired_at IS NULL", alg).Scan(ctx)
		if notFound(err, "") != ErrNotFound {
			return notFound(err, "active signing key")
		}
		if _, err := tx.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", idpKeyLock); err != nil {
			return fmt.Errorf("signing key lock: %w", err)
		}
		err = tx.db.NewSelect().Model(k).Where("alg = ? AND retired_at IS NULL", alg).Scan(ctx)
		if notFound(err, "") != ErrNotFound {
			return notFound(err, "active signing key")
		}
		nk, err := generate()
		if err != nil {
			return fmt.Errorf("generate %s key: %w", alg, err)
		}
		sealed, err := tx.sealer.Seal(nk.Private)
		if err != nil {
			return err
		}
		*k = IdPSigningKey{KID: nk.KID, Alg: alg, PrivateEnc: sealed, PublicDER: nk.Public, CreatedAt: tx.Now()}
		_, err = tx.db.NewInsert().Model(k).Exec(ctx)
		return notFound(err, "insert signing key")
	})
	if err != nil {
		return nil, nil, err
	}
	private, err := s.sealer.Open(k.PrivateEnc)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	return k, private, nil
}

// PublishedIdPSigningKeys are the keys the JWKS lists: the active ones, and those retired less
// than keep ago (tokens they signed may still be checked).
func (s *Store) PublishedIdPSigningKeys(ctx context.Context, keep time.Duration) ([]IdPSigningKey, error) {
	var ks []IdPSigningKey
	err := s.db.NewSelect().Model(&ks).Column("kid", "alg", "public_der", "created_at", "retired_at").
		Where("retired_at IS NULL OR retired_at > ?", s.Now().Add(-keep)).OrderExpr("created_at, kid").Scan(ctx)
	return ks, notFound(err, "published signing keys")
}

// RetireIdPSigningKeys retires the active key of alg; the next ActiveIdPSigningKey makes a new
// one. The retired key stays published for a while (PublishedIdPSigningKeys).
func (s *Store) RetireIdPSigningKeys(ctx context.Context, alg string) error {
	_, err := s.db.NewUpdate().Model((*IdPSigningKey)(nil)).Set("retired_at = ?", s.Now()).
		Where("alg = ? AND retired_at IS NULL", alg).Exec(ctx)
	return notFound(err, "retire signing key")
}
