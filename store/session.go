package store

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/uptrace/bun"
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
	row := new(sessionRow)
	err = ss.st.db.NewSelect().Model(row).Where("id_hash = ? AND expires_at > ?", HashToken(id), ss.st.Now()).Scan(r.Context())
	if err != nil {
		if notFound(err, "") == ErrNotFound {
			return sess, nil
		}
		return sess, fmt.Errorf("load session: %w", err)
	}
	if err := gob.NewDecoder(bytes.NewReader(row.Data)).Decode(&sess.Values); err != nil {
		return sessions.NewSession(ss, name), nil
	}
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
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(sess.Values); err != nil {
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
	return nil
}
