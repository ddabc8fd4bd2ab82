package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CarteState is where an aidant's carte (or app) stands: none, linked but not validated by a
// code yet, validated (usable to log in).
type CarteState int

const (
	DeviceNone CarteState = iota
	DeviceUnvalidated
	DeviceValidated
)

// CarteActions are the carte actions offered to the référent. LinkDisabled shows the link
// button greyed out: an inactive aidant without a carte (the reference's matrix).
type CarteActions struct {
	Link, LinkDisabled, Validate, Unlink bool
}

// CarteActionsFor is the availability matrix of the carte actions:
//
//	aidant                          link      validate  unlink
//	active, no carte                yes       no        no
//	active, carte not validated     no        yes       yes
//	active, carte validated         no        no        yes
//	inactive, no carte              disabled  no        no
//	inactive, carte (either state)  no        no        yes
func CarteActionsFor(active bool, st CarteState) CarteActions {
	return CarteActions{
		Link:         active && st == DeviceNone,
		LinkDisabled: !active && st == DeviceNone,
		Validate:     active && st == DeviceUnvalidated,
		Unlink:       st != DeviceNone,
	}
}

// AppActions are the authenticator-app actions offered to the référent: start adding one,
// confirm the one being added with a code, remove it (added or being added).
type AppActions struct {
	Add, Confirm, Remove bool
}

// AppActionsFor follows the cartes' matrix: only an active aidant gets a new app; an app can
// always be removed.
func AppActionsFor(active bool, st CarteState) AppActions {
	return AppActions{
		Add:     active && st == DeviceNone,
		Confirm: active && st == DeviceUnvalidated,
		Remove:  st != DeviceNone,
	}
}

// UnlinkReason is why a carte is unlinked from an aidant (journaled).
type UnlinkReason string

const (
	ReasonPerte             UnlinkReason = "perte"
	ReasonCasse             UnlinkReason = "casse"
	ReasonDysfonctionnement UnlinkReason = "dysfonctionnement"
	ReasonDepart            UnlinkReason = "depart"
	ReasonErreur            UnlinkReason = "erreur"
	ReasonAutre             UnlinkReason = "autre" // with a text
)

// UnlinkReasons lists the reasons in display order.
func UnlinkReasons() []UnlinkReason {
	return []UnlinkReason{ReasonPerte, ReasonCasse, ReasonDysfonctionnement, ReasonDepart, ReasonErreur, ReasonAutre}
}

// Label is the reason as the référent reads it.
func (r UnlinkReason) Label() string {
	switch r {
	case ReasonPerte:
		return "Perte de la carte"
	case ReasonCasse:
		return "Carte cassée"
	case ReasonDysfonctionnement:
		return "Dysfonctionnement de la carte"
	case ReasonDepart:
		return "Départ de l'aidant de la structure"
	case ReasonErreur:
		return "Carte liée par erreur"
	case ReasonAutre:
		return "Autre raison"
	}
	return string(r)
}

// ParseUnlinkReason reads a submitted reason.
func ParseUnlinkReason(s string) (UnlinkReason, bool) {
	for _, r := range UnlinkReasons() {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// MaxReasonText bounds the free text of ReasonAutre.
const MaxReasonText = 500

// Errors of the carte actions, for the messages beside the fields (a wrong code is
// ErrCodeRefused, as at the signature of a mandat).
var (
	ErrCarteUnknown = errors.New("aucune carte avec ce numéro de série")
	ErrCarteTaken   = errors.New("carte déjà associée à un aidant")
	ErrReason       = errors.New("raison invalide")
)

// OTPRules are the TOTP decisions the référent's carte and app actions persist. app/otp makes
// them (otp.StoreRules); the store only locks, saves and journals.
type OTPRules struct {
	NewSecret func() ([]byte, error)    // an app's random secret
	NewCarte  func() OTPDevice          // a freshly linked carte: its step, a wide tolerance
	NewApp    func() OTPDevice          // an app being added: its step and tolerance
	Verify    VerifyFunc                // a carte's validation code, within the device's tolerance
	Confirm   func(OTPDevice) OTPDevice // a carte just validated: confirmed, narrow tolerance
	Pair      VerifyFunc                // an app's first code: the exact current step, then confirmed
}

// NormaliseSerial is the one form serial numbers are looked up in.
func NormaliseSerial(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }

// managed is an aidant of the scope locked for an action, with their devices.
type managed struct {
	org      *Organisation
	referent *Aidant
	aidant   *Aidant
	carte    *OTPDevice // nil: none
	serial   string
	app      *OTPDevice // nil: none
}

func (m *managed) carteState() CarteState { return stateOf(m.carte) }
func (m *managed) appState() CarteState   { return stateOf(m.app) }

func stateOf(d *OTPDevice) CarteState {
	switch {
	case d == nil:
		return DeviceNone
	case d.Confirmed:
		return DeviceValidated
	default:
		return DeviceUnvalidated
	}
}

// lockManaged checks the scope and locks a member of its organisation (aidant row first,
// then their devices: every référent action takes them in this order).
func (s *Store) lockManaged(ctx context.Context, scope ReferentScope, aidantID int64) (*managed, error) {
	org, ref, err := s.scopeOf(ctx, scope)
	if err != nil {
		return nil, err
	}
	m := &managed{org: org, referent: ref, aidant: new(Aidant)}
	if err := s.db.NewSelect().Model(m.aidant).ModelTableExpr("aidants AS a").ColumnExpr("a.*").
		Where("a.id = ?", aidantID).Where(memberOf, org.ID).For("UPDATE OF a").Scan(ctx); err != nil {
		return nil, notFound(err, "lock managed aidant")
	}
	var ds []OTPDevice
	if err := s.db.NewSelect().Model(&ds).Where("aidant_id = ?", aidantID).OrderExpr("id").For("UPDATE").Scan(ctx); err != nil {
		return nil, fmt.Errorf("lock devices: %w", err)
	}
	for i := range ds {
		switch ds[i].Kind {
		case "carte":
			m.carte = &ds[i]
		case "app":
			m.app = &ds[i]
		}
	}
	if m.carte != nil {
		if err := s.db.NewSelect().Model((*CarteTOTP)(nil)).Column("serial_number").Where("id = ?", *m.carte.CarteID).Scan(ctx, &m.serial); err != nil {
			return nil, fmt.Errorf("carte serial: %w", err)
		}
	}
	return m, nil
}

func (m *managed) notice(kind NoticeKind) Notice {
	return Notice{Kind: kind, Aidant: m.aidant, Referent: m.referent, Organisation: m.org, Serial: m.serial}
}

func (m *managed) journal(action, info string) *JournalEntry {
	return &JournalEntry{Action: action, AidantID: &m.referent.ID, OrganisationID: &m.org.ID, Info: aidantInfo(m.aidant) + info}
}

// LinkCarte links the carte of that serial number, from the stock, to an active aidant of the
// scope without one, as an unvalidated device with a wide tolerance (it is validated next,
// with a code). The carte must exist (ErrCarteUnknown) and be free (ErrCarteTaken).
func (s *Store) LinkCarte(ctx context.Context, scope ReferentScope, aidantID int64, serial string, rules OTPRules, notify NoticeFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if !CarteActionsFor(m.aidant.IsActive, m.carteState()).Link {
			return ErrUnavailable
		}
		c := new(CarteTOTP)
		if err := tx.db.NewSelect().Model(c).Where("serial_number = ?", NormaliseSerial(serial)).For("UPDATE").Scan(ctx); err != nil {
			if notFound(err, "") == ErrNotFound {
				return ErrCarteUnknown
			}
			return fmt.Errorf("find carte: %w", err)
		}
		if taken, err := tx.db.NewSelect().Model((*OTPDevice)(nil)).Where("carte_id = ?", c.ID).Exists(ctx); err != nil {
			return fmt.Errorf("carte taken: %w", err)
		} else if taken {
			return ErrCarteTaken
		}
		d := rules.NewCarte()
		d.AidantID, d.Kind, d.CarteID, d.SeedEnc, d.Confirmed = m.aidant.ID, "carte", &c.ID, c.SeedEnc, false
		if _, err := tx.db.NewInsert().Model(&d).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert carte device: %w", err)
		}
		m.serial = c.SerialNumber
		if err := tx.appendJournal(ctx, m.journal(ActionCardAssociation, ", carte "+c.SerialNumber)); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticeCarteLinked))
	})
}

// ValidateCarte checks a code of the aidant's linked carte within its wide tolerance; a good
// one confirms the carte and narrows its tolerance. A wrong code is ErrCodeRefused, and the
// failure is saved all the same (the device's backoff holds against guessing).
func (s *Store) ValidateCarte(ctx context.Context, scope ReferentScope, aidantID int64, code string, rules OTPRules, notify NoticeFunc) error {
	refused := false
	err := s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if !CarteActionsFor(m.aidant.IsActive, m.carteState()).Validate {
			return ErrUnavailable
		}
		if m.carte.Secret, err = tx.sealer.Open(m.carte.SeedEnc); err != nil {
			return err
		}
		ok, next := rules.Verify(*m.carte, code, tx.Now())
		next.ID = m.carte.ID
		if ok {
			next = rules.Confirm(next)
		}
		if err := tx.saveDeviceState(ctx, &next); err != nil {
			return err
		}
		if !ok {
			refused = true
			return nil
		}
		if err := tx.appendJournal(ctx, m.journal(ActionCardValidation, ", carte "+m.serial)); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticeCarteValidated))
	})
	if err == nil && refused {
		return ErrCodeRefused
	}
	return err
}

// UnlinkCarte removes the aidant's carte device (validated or not) for a reason; the carte
// stays in the stock, free for another aidant. ReasonAutre needs a text (ErrReason).
func (s *Store) UnlinkCarte(ctx context.Context, scope ReferentScope, aidantID int64, reason UnlinkReason, text string, notify NoticeFunc) error {
	text = strings.TrimSpace(text)
	if _, ok := ParseUnlinkReason(string(reason)); !ok || (reason == ReasonAutre && text == "") || len(text) > MaxReasonText {
		return ErrReason
	}
	return s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if !CarteActionsFor(m.aidant.IsActive, m.carteState()).Unlink {
			return ErrUnavailable
		}
		if _, err := tx.db.NewDelete().Model(m.carte).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete carte device: %w", err)
		}
		why := string(reason)
		if reason == ReasonAutre {
			why += " : " + text
		}
		if err := tx.appendJournal(ctx, m.journal(ActionCardDissociation, ", carte "+m.serial+", raison : "+why)); err != nil {
			return err
		}
		n := m.notice(NoticeCarteUnlinked)
		n.Reason = reason.Label()
		return tx.tell(ctx, notify, n)
	})
}

// StartApp prepares an authenticator app for an active aidant without one: an unconfirmed
// device with a fresh secret, shown as a QR code until a code confirms it. Starting again
// keeps the same secret. It journals nothing: nothing can log in with it yet.
func (s *Store) StartApp(ctx context.Context, scope ReferentScope, aidantID int64, rules OTPRules) error {
	return s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		acts := AppActionsFor(m.aidant.IsActive, m.appState())
		if acts.Confirm {
			return nil
		}
		if !acts.Add {
			return ErrUnavailable
		}
		secret, err := rules.NewSecret()
		if err != nil {
			return err
		}
		d := rules.NewApp()
		d.AidantID, d.Kind, d.Confirmed = m.aidant.ID, "app", false
		if d.SeedEnc, err = tx.sealer.Seal(secret); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(&d).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert app device: %w", err)
		}
		return nil
	})
}

// ConfirmApp checks the first code of the app being added (the exact current step) and
// confirms it: from then on the aidant logs in with it. A wrong code is ErrCodeRefused.
func (s *Store) ConfirmApp(ctx context.Context, scope ReferentScope, aidantID int64, code string, rules OTPRules, notify NoticeFunc) error {
	refused := false
	err := s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if !AppActionsFor(m.aidant.IsActive, m.appState()).Confirm {
			return ErrUnavailable
		}
		if m.app.Secret, err = tx.sealer.Open(m.app.SeedEnc); err != nil {
			return err
		}
		ok, next := rules.Pair(*m.app, code, tx.Now())
		next.ID = m.app.ID
		if err := tx.saveDeviceState(ctx, &next); err != nil {
			return err
		}
		if !ok || !next.Confirmed {
			refused = true
			return nil
		}
		if err := tx.appendJournal(ctx, m.journal(ActionCardAssociation, ", application d'authentification")); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticeAppAdded))
	})
	if err == nil && refused {
		return ErrCodeRefused
	}
	return err
}

// RemoveApp deletes the aidant's app, confirmed or being added. Only a confirmed one was
// usable, so only its removal is journaled and told.
func (s *Store) RemoveApp(ctx context.Context, scope ReferentScope, aidantID int64, notify NoticeFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if !AppActionsFor(m.aidant.IsActive, m.appState()).Remove {
			return ErrUnavailable
		}
		if _, err := tx.db.NewDelete().Model(m.app).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete app device: %w", err)
		}
		if !m.app.Confirmed {
			return nil
		}
		if err := tx.appendJournal(ctx, m.journal(ActionCardDissociation, ", application d'authentification")); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticeAppRemoved))
	})
}

// AddCartesToStock puts cartes in the stock, free (the demo seed; the staff's import comes
// with the back-office). A serial already in stock is left as it is.
func (s *Store) AddCartesToStock(ctx context.Context, cartes map[string][]byte) error {
	return s.InTx(ctx, func(tx *Store) error {
		for serial, seed := range cartes {
			sealed, err := tx.sealer.Seal(seed)
			if err != nil {
				return err
			}
			c := &CarteTOTP{SerialNumber: NormaliseSerial(serial), SeedEnc: sealed}
			if _, err := tx.db.NewInsert().Model(c).On("CONFLICT (serial_number) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("stock carte: %w", err)
			}
		}
		return nil
	})
}
