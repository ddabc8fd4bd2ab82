package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// SignDemoMandat runs the mandat wizard's steps through the store for a demo aidant (whose
// demo code is accepted): step 1, the FranceConnect identity, the signature, journaled as the
// wizard journals them. The demo seed's practice mandats and the tests use it; it returns the
// mandat and its usager.
func (s *Store) SignDemoMandat(ctx context.Context, a *Aidant, id FCIdentity, duree string, demarches []string) (*Mandat, *Usager, error) {
	token, err := s.StartMandatFlow(ctx, a.ID, a.CurrentOrganisationID, MandatChoice{Demarches: demarches, Duree: duree}, nil)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, fmt.Errorf("demo mandat state: %w", err)
	}
	state := hex.EncodeToString(b)
	if err := s.SetFCState(ctx, a.ID, token, state, s.FCNonce(state)); err != nil {
		return nil, nil, err
	}
	f, err := s.FlowForCallback(ctx, a.ID, token, state)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.IdentifyUsager(ctx, f, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.CreateMandat(ctx, CreateMandatInput{AidantID: a.ID, FlowToken: token, Code: "123456", AllowDemo: true})
	if err != nil {
		return nil, nil, err
	}
	return m, u, nil
}
