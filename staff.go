package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/store"
)

const staffUsage = "usage: ac staff add EMAIL [--prenom PRÉNOM] [--nom NOM]"

// staffCommand is `ac staff add EMAIL`: a staff account of the national team, with an
// authenticator app whose enrolment is printed once (a QR code drawn in the terminal, and the
// secret to type by hand). The account then logs in like any aidant: email, code, link.
func staffCommand(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	if len(args) < 2 || args[0] != "add" {
		return errors.New(staffUsage)
	}
	email := args[1]
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.SetOutput(out)
	first := fs.String("prenom", "", "first name")
	last := fs.String("nom", "", "last name")
	if err := fs.Parse(args[2:]); err != nil || fs.NArg() > 0 {
		return errors.New(staffUsage)
	}
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || !strings.Contains(email, "@") {
		return fmt.Errorf("adresse e-mail invalide : %q (%s)", email, staffUsage)
	}
	local, _, _ := strings.Cut(email, "@")
	if *first == "" {
		*first = local
	}
	if *last == "" {
		*last = "Équipe Aidants Connect"
	}
	secret, err := otp.GenerateSecret()
	if err != nil {
		return err
	}
	a, err := st.CreateStaff(ctx, store.StaffInput{Email: email, FirstName: *first, LastName: *last, Secret: secret, Step: otp.AppStep})
	if errors.Is(err, store.ErrAccountExists) {
		return fmt.Errorf("un compte existe déjà pour %s", email)
	}
	if err != nil {
		return err
	}
	uri := otp.ProvisioningURI(secret, otp.Issuer, a.Email, otp.AppStep)
	q, err := qrcode.New(uri, qrcode.Low)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	fmt.Fprintf(out, "compte de l'équipe créé : %s\n\n", a.Email)
	fmt.Fprintln(out, "Scannez ce QR code avec l'application d'authentification :")
	fmt.Fprint(out, q.ToSmallString(false))
	fmt.Fprintf(out, "\nou saisissez la clé : %s\n(lien : %s)\n", otp.Base32(secret), uri)
	fmt.Fprintln(out, "Cette clé ne sera plus affichée. Connectez-vous ensuite avec l'adresse e-mail et un code de l'application.")
	return nil
}
