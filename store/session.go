package store

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/schema"
)

// SessionAidantKey is the session value holding the logged-in aidant's id; it is mirrored in a
// column so that every session of an aidant can be ended server-side.
const SessionAidantKey = "aid"

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	IDHash    []byte    `bun:"id_hash,pk"`
	AidantID  *int64    `bun:"aidant_id"`
	Data      []byte    `bun:"data"`
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// SessionStore is a gorilla/sessions Store kept in Postgres. The cookie carries only a random
// id, signed; the row is keyed by the id's hash so a database leak yields no usable cookie.
type SessionStore struct {
	st      *Store
	codecs  []securecookie.Codec
	Options *sessions.Options
	decoded decodedValues
}

// decodedValues remembers session data already decoded, by its bytes: a session's row
// changes at most once a minute (the activity's batched write) while it is read on every
// request, and gob builds a decoder's type information anew for each message (7 % of the
// App's CPU under FI logins, BENCHMARKS.md § Throughput). Keyed by the data itself, it
// cannot be stale; it holds at most decodedValuesMax entries and starts over when full.
type decodedValues struct {
	mu sync.Mutex
	m  map[string]map[any]any
}

const decodedValuesMax = 2048

// decode returns data's values, a copy of its own (handlers change them; byte slices are
// copied too).
func (d *decodedValues) decode(data []byte) (map[any]any, error) {
	d.mu.Lock()
	v, ok := d.m[string(data)]
	d.mu.Unlock()
	if !ok {
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
			return nil, err
		}
		d.mu.Lock()
		if d.m == nil || len(d.m) >= decodedValuesMax {
			d.m = make(map[string]map[any]any)
		}
		d.m[string(data)] = v
		d.mu.Unlock()
	}
	out := make(map[any]any, len(v)+1)
	for k, x := range v {
		if b, ok := x.([]byte); ok {
			x = bytes.Clone(b)
		}
		out[k] = x
	}
	return out, nil
}

var _ sessions.Store = (*SessionStore)(nil)

// NewSessionStore signs cookies with hashKey; opts gives the cookie attributes and MaxAge.
func (s *Store) NewSessionStore(hashKey []byte, opts sessions.Options) *SessionStore {
	codecs := securecookie.CodecsFromPairs(hashKey)
	for _, c := range codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(opts.MaxAge)
		}
	}
	return &SessionStore{st: s, codecs: codecs, Options: &opts}
}

// Get returns the session cached for this request, or loads it.
func (ss *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(ss, name)
}

// New loads the session named by the request's cookie, or returns a fresh one. A missing,
// forged, expired or deleted session silently becomes a fresh one.
func (ss *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(ss, name)
	opts := *ss.Options
	sess.Options = &opts
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var id string
	if err := securecookie.DecodeMulti(name, c.Value, &id, ss.codecs...); err != nil {
		return sess, nil
	}
	data, loaded, err := ss.st.loadSession(r.Context(), HashToken(id))
	if err != nil {
		if err == ErrNotFound {
			return sess, nil
		}
		return sess, fmt.Errorf("load session: %w", err)
	}
	values, err := ss.decoded.decode(data)
	if err != nil {
		return sessions.NewSession(ss, name), nil
	}
	sess.Values = values
	sess.Values[loadedKey{}] = loaded
	sess.ID = id
	sess.IsNew = false
	return sess, nil
}

// Save writes the session row and its cookie; MaxAge < 0 deletes both.
func (ss *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if _, err := ss.st.db.NewDelete().Model((*sessionRow)(nil)).Where("id_hash = ?", HashToken(sess.ID)).Exec(ctx); err != nil {
				return fmt.Errorf("delete session: %w", err)
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		id, err := NewToken()
		if err != nil {
			return err
		}
		sess.ID = id
	}
	values := make(map[any]any, len(sess.Values))
	for k, v := range sess.Values {
		if _, ok := k.(loadedKey); !ok { // what was read with the session is not part of it
			values[k] = v
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(values); err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	row := &sessionRow{IDHash: HashToken(sess.ID), Data: buf.Bytes(), ExpiresAt: ss.st.Now().Add(time.Duration(sess.Options.MaxAge) * time.Second)}
	if id, ok := sess.Values[SessionAidantKey].(int64); ok {
		row.AidantID = &id
	}
	_, err := ss.st.db.NewInsert().Model(row).
		On("CONFLICT (id_hash) DO UPDATE").
		Set("data = EXCLUDED.data, aidant_id = EXCLUDED.aidant_id, expires_at = EXCLUDED.expires_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	encoded, err := securecookie.EncodeMulti(sess.Name(), sess.ID, ss.codecs...)
	if err != nil {
		return fmt.Errorf("sign session cookie: %w", err)
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), encoded, sess.Options))
	return nil
}

// SessionAidant is what the session's own query reads with it (one statement per request):
// the aidant the session belongs to, if still active, their memberships of active
// organisations (by name) and when they last proved a TOTP code (the zero time: never).
type SessionAidant struct {
	Aidant        *Aidant
	Memberships   []Membership
	LastCodeProof time.Time
}

// loadedKey holds the SessionAidant in the session's values while the request lasts; Save
// never writes it.
type loadedKey struct{}

// LoadedAidant returns what the session's query read with it; false when the session was not
// loaded from the database (a fresh one). A loaded session without an active aidant has a nil
// Aidant.
func LoadedAidant(sess *sessions.Session) (*SessionAidant, bool) {
	l, ok := sess.Values[loadedKey{}].(*SessionAidant)
	return l, ok
}

// sessionLoadRow is one row of loadSession: the session and its aidant, once per membership.
type sessionLoadRow struct {
	Data          []byte       `bun:"data"`
	HasAidant     bool         `bun:"has_aidant"`
	LastCodeProof *time.Time   `bun:"last_code_proof"`
	Aidant        Aidant       `bun:"embed:a_"`
	HasMembership bool         `bun:"has_membership"`
	IsReferent    bool         `bun:"m_is_referent"`
	Organisation  Organisation `bun:"embed:o_"`
}

// sessionLoadSQL is loadSession's statement; its arguments are the id hash and now.
var sessionLoadSQL = sync.OnceValue(func() string {
	cols := func(alias string, model any) string { return aliasedColumns(alias, alias+"_", model) }
	return `SELECT s.data, a.id IS NOT NULL AS has_aidant, m.aidant_id IS NOT NULL AS has_membership, m.is_referent AS m_is_referent,
	(SELECT j.created_at FROM journal AS j WHERE j.aidant_id = a.id AND j.action IN ('` + ActionConnectAidant + `', '` + ActionActivityCheck + `')
	 ORDER BY j.id DESC LIMIT 1) AS last_code_proof` + cols("a", (*Aidant)(nil)) + cols("o", (*Organisation)(nil)) + `
FROM sessions AS s
LEFT JOIN aidants AS a ON a.id = s.aidant_id AND a.is_active
LEFT JOIN (aidant_organisations AS m JOIN organisations AS o ON o.id = m.organisation_id AND o.is_active) ON m.aidant_id = a.id
WHERE s.id_hash = ? AND s.expires_at > ?
ORDER BY o.name, o.id`
})

// loadSession reads a live session's data with its aidant, their memberships and their last
// code proof, in one statement.
func (s *Store) loadSession(ctx context.Context, idHash []byte) ([]byte, *SessionAidant, error) {
	var rows []sessionLoadRow
	if err := s.scanHot(ctx, &rows, sessionLoadSQL(), idHash, s.Now()); err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, ErrNotFound
	}
	l := &SessionAidant{}
	if r := rows[0]; r.HasAidant {
		a := r.Aidant
		l.Aidant = &a
		if r.LastCodeProof != nil {
			l.LastCodeProof = *r.LastCodeProof
		}
	}
	for _, r := range rows {
		if r.HasMembership && l.Aidant != nil {
			o := r.Organisation
			l.Memberships = append(l.Memberships, Membership{AidantID: l.Aidant.ID, OrganisationID: o.ID, IsReferent: r.IsReferent, Organisation: &o})
		}
	}
	return rows[0].Data, l, nil
}

// DeleteAidantSessions ends every session of an aidant (deactivation, security events).
func (s *Store) DeleteAidantSessions(ctx context.Context, aidantID int64) error {
	_, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("aidant_id = ?", aidantID).Exec(ctx)
	return notFound(err, "delete aidant sessions")
}

// CountAidantSessions counts the live sessions of an aidant (tests, référent views).
func (s *Store) CountAidantSessions(ctx context.Context, aidantID int64) (int, error) {
	n, err := s.db.NewSelect().Model((*sessionRow)(nil)).Where("aidant_id = ? AND expires_at > ?", aidantID, s.Now()).Count(ctx)
	return int(n), notFound(err, "count sessions")
}

// PurgeExpired removes expired sessions, login links, rate-limit windows and wizard runs.
func (s *Store) PurgeExpired(ctx context.Context) error {
	now := s.Now()
	for _, q := range []*bun.DeleteQuery{
		s.db.NewDelete().Model((*sessionRow)(nil)).Where("expires_at <= ?", now),
		s.db.NewDelete().Model((*MagicToken)(nil)).Where("expires_at <= ?", now),
		s.db.NewDelete().TableExpr("rate_limits").Where("window_start <= ?", now.Add(-24*time.Hour)),
		// Wizard runs hold personal data: they go as soon as they expire.
		s.db.NewDelete().Model((*MandatFlow)(nil)).Where("expires_at <= ?", now),
	} {
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
	}
	// FI flows and their tokens: off the request path (/authorize used to purge them).
	return s.purgeIdPFlows(ctx)
}

// metaDialect only describes models (their columns) for statements written by hand.
var metaDialect = pgdialect.New()

func bunTable(model any) *schema.Table { return metaDialect.Tables().Get(reflect.TypeOf(model)) }

// aliasedColumns lists the model's columns of the table aliased alias as prefix+column, each
// after a comma, for a struct field tagged embed:prefix.
func aliasedColumns(alias, prefix string, model any) string {
	var b strings.Builder
	for _, f := range bunTable(model).Fields {
		fmt.Fprintf(&b, ", %s.%s AS %s%s", alias, f.Name, prefix, f.Name)
	}
	return b.String()
}
