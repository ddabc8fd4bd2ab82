package mail

import (
	"context"
	"fmt"
	"testing"
)

// loginLinkText is the body the handler used to build by hand, kept as it was.
const loginLinkText = "Bonjour %s,\n\nPour vous connecter à Aidants Connect, ouvrez ce lien :\n%s\n\n" +
	"Il est valable 5 minutes et ne fonctionne qu'une fois.\n" +
	"Si vous n'avez pas demandé à vous connecter, ignorez ce message : personne ne peut se connecter sans votre code.\n\n" +
	"L'équipe Aidants Connect\n"

func TestLoginLink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		d    LoginLinkData
		want string
	}{
		{"as sent", LoginLinkData{FirstName: "Marie", Link: "https://aidantsconnect.beta.gouv.fr/chargement/code/abc123/"},
			"Bonjour Marie,\n\nPour vous connecter à Aidants Connect, ouvrez ce lien :\nhttps://aidantsconnect.beta.gouv.fr/chargement/code/abc123/\n\n" +
				"Il est valable 5 minutes et ne fonctionne qu'une fois.\n" +
				"Si vous n'avez pas demandé à vous connecter, ignorez ce message : personne ne peut se connecter sans votre code.\n\n" +
				"L'équipe Aidants Connect\n"},
		{"plain text, not HTML-escaped", LoginLinkData{FirstName: "Zoé & <Jean-D'Arc> \"J\"", Link: "https://x.example/c/a?b=1&c=2"},
			fmt.Sprintf(loginLinkText, "Zoé & <Jean-D'Arc> \"J\"", "https://x.example/c/a?b=1&c=2")},
		{"empty", LoginLinkData{}, fmt.Sprintf(loginLinkText, "", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(context.Background(), LoginLink(tc.d))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("body:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

func TestLoginLinkSubject(t *testing.T) {
	t.Parallel()
	if want := "Votre lien de connexion à Aidants Connect"; LoginLinkSubject != want {
		t.Errorf("subject %q, want %q", LoginLinkSubject, want)
	}
}

func TestRenderStopsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := Render(ctx, LoginLink(LoginLinkData{FirstName: "Marie"})); err == nil || got != "" {
		t.Errorf("cancelled context: %q, err %v", got, err)
	}
}
