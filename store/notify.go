package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Periodic notifications. Each is sent at most once per kind, recipient and period: the
// notifications_sent row and the email are inserted in one transaction, and a row already
// there (a retried job, a second run in the period, another instance) sends nothing.
const (
	NotifyDigest    = "aidant_digest"      // aidants: the mandats expiring within 30 days, weekly
	NotifyReferent  = "referent_followup"  // référents: aidants without a working device, old requests, weekly
	NotifyDemandeur = "demandeur_reminder" // demandeurs: a draft request untouched for 30 days, once per stretch

	// PendingRequestAfter is when a référent's request counts as waiting too long.
	PendingRequestAfter = 14 * 24 * time.Hour
	// DraftUntouchedAfter is when a draft habilitation request gets its reminder.
	DraftUntouchedAfter = 30 * 24 * time.Hour
)

// ActionSetDigest journals an aidant's choice about the weekly digest.
const ActionSetDigest = "set_digest_preference"

// weekPeriod names the ISO week of t: "2026-W49".
func weekPeriod(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// notifyOnce queues the email unless (kind, recipient, period) was already sent, in one
// transaction. It reports whether the email was queued.
func (s *Store) notifyOnce(ctx context.Context, kind, recipient, period string, e func() (Email, error)) (bool, error) {
	sent := false
	err := s.InTx(ctx, func(tx *Store) error {
		res, err := tx.db.NewRaw("INSERT INTO notifications_sent (kind, recipient, period, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			kind, recipient, period, tx.Now()).Exec(ctx)
		if err != nil {
			return fmt.Errorf("notification %s: %w", kind, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		m, err := e()
		if err != nil {
			return err
		}
		sent = true
		return tx.QueueEmail(ctx, m)
	})
	return sent, err
}

// DigestOrganisation is one organisation's line of an aidant's digest.
type DigestOrganisation struct {
	ID       int64  `bun:"organisation_id"`
	Name     string `bun:"name"`
	Expiring int    `bun:"expiring"`
}

// DigestNotice is an aidant's weekly digest.
type DigestNotice struct {
	To, FirstName string
	Organisations []DigestOrganisation
}

// DigestMailFunc writes the digest's email (the handlers do, with the links).
type DigestMailFunc func(DigestNotice) (Email, error)

// SendDigests sends each active aidant who may create mandats, and has not opted out, the
// week's digest of the mandats in force of each of their active organisations that end within
// ExpiresSoonWithin (CountExpiringSoon's figure), when there are some. It returns how many
// were queued.
func (s *Store) SendDigests(ctx context.Context, mail DigestMailFunc) (int, error) {
	now := s.Now()
	var rows []struct {
		AidantID  int64  `bun:"aidant_id"`
		Email     string `bun:"email"`
		FirstName string `bun:"first_name"`
		DigestOrganisation
	}
	err := s.db.NewRaw(`SELECT a.id AS aidant_id, a.email, a.first_name, o.id AS organisation_id, o.name, n.expiring
		FROM aidants AS a
		JOIN aidant_organisations AS ao ON ao.aidant_id = a.id
		JOIN organisations AS o ON o.id = ao.organisation_id AND o.is_active
		CROSS JOIN LATERAL (SELECT count(*) AS expiring FROM mandats AS m
			WHERE m.organisation_id = o.id AND m.revoked_at IS NULL AND m.expires_at > ? AND m.expires_at <= ?) AS n
		WHERE a.is_active AND a.can_create_mandats AND NOT a.is_staff AND NOT a.digest_opt_out AND n.expiring > 0
		ORDER BY a.id, o.name, o.id`, now, now.Add(ExpiresSoonWithin)).Scan(ctx, &rows)
	if err != nil {
		return 0, fmt.Errorf("digests: %w", err)
	}
	var notices []DigestNotice
	for i, r := range rows {
		if i == 0 || rows[i-1].AidantID != r.AidantID {
			notices = append(notices, DigestNotice{To: r.Email, FirstName: r.FirstName})
		}
		n := &notices[len(notices)-1]
		n.Organisations = append(n.Organisations, r.DigestOrganisation)
	}
	return sendEach(s, ctx, NotifyDigest, weekPeriod(now), notices, func(n DigestNotice) string { return n.To },
		func(n DigestNotice) (Email, error) { return mail(n) })
}

// sendEach sends each notice once for the period, each in its own transaction.
func sendEach[N any](s *Store, ctx context.Context, kind, period string, ns []N, to func(N) string, mail func(N) (Email, error)) (int, error) {
	sent := 0
	for _, n := range ns {
		ok, err := s.notifyOnce(ctx, kind, to(n), period, func() (Email, error) { return mail(n) })
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// SetDigestOptOut records an aidant's choice about the weekly digest, journaled.
func (s *Store) SetDigestOptOut(ctx context.Context, aidantID, orgID int64, optOut bool) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*Aidant)(nil)).Set("digest_opt_out = ?", optOut).Where("id = ? AND is_active", aidantID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("digest preference: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		info := "récapitulatif activé"
		if optOut {
			info = "récapitulatif désactivé"
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionSetDigest, AidantID: &aidantID, OrganisationID: &orgID, Info: info})
	})
}

// ReferentNotice is a référent's weekly follow-up of one organisation.
type ReferentNotice struct {
	To, FirstName, Organisation string
	// WithoutDevice are the names of active aidants with no confirmed carte or app.
	WithoutDevice []string
	// Pending are the requests waiting for more than PendingRequestAfter: "Prénom Nom
	// (demande d'habilitation du 02/11/2026)".
	Pending []PendingRequest
}

// PendingRequest is a request the team has not decided on for too long.
type PendingRequest struct {
	What    string    `bun:"what"` // habilitation, structure, coreferent
	Who     string    `bun:"who"`
	Created time.Time `bun:"created_at"`
}

// ReferentMailFunc writes the référent's follow-up email.
type ReferentMailFunc func(ReferentNotice) (Email, error)

// SendReferentFollowUps sends each référent of an active organisation, once a week, the list
// of its active aidants without a working carte or app (no confirmed device) and of its
// requests pending for more than PendingRequestAfter, when there is any.
func (s *Store) SendReferentFollowUps(ctx context.Context, mail ReferentMailFunc) (int, error) {
	now := s.Now()
	var refs []struct {
		Email     string `bun:"email"`
		FirstName string `bun:"first_name"`
		OrgID     int64  `bun:"organisation_id"`
		OrgName   string `bun:"name"`
	}
	if err := s.db.NewRaw(`SELECT a.email, a.first_name, o.id AS organisation_id, o.name
		FROM aidant_organisations AS ao JOIN aidants AS a ON a.id = ao.aidant_id AND a.is_active
		JOIN organisations AS o ON o.id = ao.organisation_id AND o.is_active
		WHERE ao.is_referent ORDER BY o.id, a.id`).Scan(ctx, &refs); err != nil {
		return 0, fmt.Errorf("référents: %w", err)
	}
	var notices []ReferentNotice
	byOrg := map[int64]ReferentNotice{}
	for _, r := range refs {
		n, ok := byOrg[r.OrgID]
		if !ok {
			n = ReferentNotice{Organisation: r.OrgName}
			if err := s.db.NewRaw(`SELECT trim(a.first_name || ' ' || a.last_name) FROM aidants AS a
				JOIN aidant_organisations AS ao ON ao.aidant_id = a.id AND ao.organisation_id = ?
				WHERE a.is_active AND NOT EXISTS (SELECT 1 FROM otp_devices AS d WHERE d.aidant_id = a.id AND d.confirmed)
				ORDER BY a.last_name, a.first_name, a.id`, r.OrgID).Scan(ctx, &n.WithoutDevice); err != nil {
				return 0, fmt.Errorf("aidants without a device: %w", err)
			}
			before := now.Add(-PendingRequestAfter)
			if err := s.db.NewRaw(`SELECT 'habilitation' AS what, trim(first_name || ' ' || last_name) AS who, created_at
				FROM habilitation_requests WHERE organisation_id = ? AND status IN (?) AND created_at <= ?
				UNION ALL SELECT 'structure', email, created_at FROM structure_change_requests WHERE organisation_id = ? AND status = ? AND created_at <= ?
				UNION ALL SELECT 'coreferent', trim(first_name || ' ' || last_name), created_at FROM coreferent_requests WHERE organisation_id = ? AND status = ? AND created_at <= ?
				ORDER BY created_at`, r.OrgID, bun.In(pendingHabilitationStatuses), before, r.OrgID, RequestNew, before, r.OrgID, RequestNew, before).Scan(ctx, &n.Pending); err != nil {
				return 0, fmt.Errorf("pending requests: %w", err)
			}
			byOrg[r.OrgID] = n
		}
		if len(n.WithoutDevice) == 0 && len(n.Pending) == 0 {
			continue
		}
		n.To, n.FirstName = r.Email, r.FirstName
		notices = append(notices, n)
	}
	return sendEach(s, ctx, NotifyReferent, weekPeriod(now), notices,
		func(n ReferentNotice) string { return n.To + " " + n.Organisation }, func(n ReferentNotice) (Email, error) { return mail(n) })
}

// SendDraftReminders reminds each demandeur of a draft habilitation request (status new,
// never submitted) untouched for DraftUntouchedAfter, once per untouched stretch (the period
// is the request's last change), with their space's link: the token is opened from its
// sealed copy for the email only. mail is the habilitation's (kind "draft").
func (s *Store) SendDraftReminders(ctx context.Context, mail HabilitationMailFunc) (int, error) {
	now := s.Now()
	var rs []OrganisationRequest
	if err := s.db.NewSelect().Model(&rs).Relation("Demandeur").
		Where("orq.status = ? AND orq.submitted_at IS NULL AND orq.updated_at <= ?", HabilitationNew, now.Add(-DraftUntouchedAfter)).
		Where("demandeur.email_confirmed_at IS NOT NULL").
		OrderExpr("orq.id").Scan(ctx); err != nil {
		return 0, fmt.Errorf("draft requests: %w", err)
	}
	sent := 0
	for i := range rs {
		r := &rs[i]
		ok, err := s.notifyOnce(ctx, NotifyDemandeur, r.Demandeur.Email+" #"+strconv.FormatInt(r.ID, 10), r.UpdatedAt.UTC().Format(time.RFC3339),
			func() (Email, error) {
				token, err := s.sealer.Open(r.Demandeur.TokenSealed)
				if err != nil {
					return Email{}, err
				}
				return mail(HabilitationNotice{Kind: "draft", To: r.Demandeur.Email, FirstName: r.Demandeur.FirstName, Token: string(token), Request: r})
			})
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}
