package idp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aidantsconnect/ac/store"
)

// ClientSpec is one client as AC_IDP_CLIENTS describes it, e.g.
//
//	[{"id": "franceconnect", "secret": "…", "redirect_uris": ["https://fcp-low.franceconnect.gouv.fr/api/v2/oidc-callback"],
//	  "post_logout_redirect_uris": ["https://fcp-low.franceconnect.gouv.fr/api/v2/client/logout-callback"],
//	  "id_token_alg": "HS256", "userinfo": "json", "rep_scope": "labels"}]
//
// id_token_alg: ES256 (default), RS256 or HS256 (signed with the secret). userinfo: json
// (default) or jwt (signed like the ID token). rep_scope: the vocabulary of rep_scope values,
// "keys" (our démarche keys, default) or "labels" (FranceConnect's, "Famille-Scolarité");
// rep_scope_values overrides single démarches ({"famille": "Famille"}).
type ClientSpec struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Secret         string            `json:"secret"`
	RedirectURIs   []string          `json:"redirect_uris"`
	PostLogoutURIs []string          `json:"post_logout_redirect_uris"`
	IDTokenAlg     string            `json:"id_token_alg"`
	Userinfo       string            `json:"userinfo"`
	RepScope       string            `json:"rep_scope"`
	RepScopeValues map[string]string `json:"rep_scope_values"`
}

// ParseClients reads AC_IDP_CLIENTS ("" is none). Unknown fields are refused: a misspelt one
// would otherwise silently take its default.
func ParseClients(raw string) ([]ClientSpec, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var specs []ClientSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("AC_IDP_CLIENTS: %w", err)
	}
	for _, s := range specs {
		if _, err := s.vocabulary(); err != nil {
			return nil, fmt.Errorf("AC_IDP_CLIENTS, client %q: %w", s.ID, err)
		}
	}
	return specs, nil
}

func (s ClientSpec) vocabulary() (map[string]string, error) {
	values := map[string]string{}
	switch s.RepScope {
	case "", "keys":
	case "labels":
		values = store.RepScopeLabels()
	default:
		return nil, fmt.Errorf("rep_scope %q : keys ou labels", s.RepScope)
	}
	for k, v := range s.RepScopeValues {
		values[k] = v
	}
	return values, nil
}

func (s ClientSpec) input(source string) store.IdPClientInput {
	values, _ := s.vocabulary() // checked by ParseClients and the command
	return store.IdPClientInput{ID: s.ID, Name: s.Name, Secret: s.Secret, RedirectURIs: s.RedirectURIs,
		PostLogoutURIs: s.PostLogoutURIs, IDTokenAlg: strings.ToUpper(s.IDTokenAlg), UserinfoFormat: strings.ToLower(s.Userinfo),
		RepScopeValues: values, Source: source}
}

// NewSecret is a random client secret: 32 bytes, 43 URL-safe characters.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const clientUsage = `usage :
  ac client add <id> --redirect-uri URL [--redirect-uri URL…] [--post-logout-uri URL…]
                [--name NOM] [--alg ES256|RS256|HS256] [--userinfo json|jwt]
                [--rep-scope keys|labels] [--rep-scope-value demarche=valeur…] [--secret-stdin]
  ac client list
  ac client rotate-secret <id> [--secret-stdin]
Le secret est tiré au hasard et affiché une seule fois ; --secret-stdin le lit sur l'entrée
standard (pour reprendre un secret déjà convenu avec FranceConnect).`

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// ClientCommand runs `ac client add | list | rotate-secret`.
func ClientCommand(ctx context.Context, st *store.Store, args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(clientUsage)
	}
	switch args[0] {
	case "list":
		return listClients(ctx, st, out)
	case "add", "rotate-secret":
	default:
		return errors.New(clientUsage)
	}
	fs := flag.NewFlagSet("client "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var spec ClientSpec
	var redirects, logouts, values listFlag
	fromStdin := fs.Bool("secret-stdin", false, "")
	if args[0] == "add" {
		fs.Var(&redirects, "redirect-uri", "")
		fs.Var(&logouts, "post-logout-uri", "")
		fs.Var(&values, "rep-scope-value", "")
		fs.StringVar(&spec.Name, "name", "", "")
		fs.StringVar(&spec.IDTokenAlg, "alg", "ES256", "")
		fs.StringVar(&spec.Userinfo, "userinfo", "json", "")
		fs.StringVar(&spec.RepScope, "rep-scope", "keys", "")
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return errors.New(clientUsage)
	}
	spec.ID = args[1]
	if err := fs.Parse(args[2:]); err != nil || fs.NArg() > 0 {
		return errors.New(clientUsage)
	}
	secret, err := readSecret(*fromStdin, stdin)
	if err != nil {
		return err
	}
	if args[0] == "rotate-secret" {
		if err := st.RotateIdPClientSecret(ctx, spec.ID, secret); err != nil {
			return fmt.Errorf("client %s : %w", spec.ID, err)
		}
		return printSecret(out, "Nouveau secret du client "+spec.ID, secret, *fromStdin)
	}
	spec.Secret, spec.RedirectURIs, spec.PostLogoutURIs = secret, redirects, logouts
	spec.RepScopeValues = map[string]string{}
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--rep-scope-value %q : demarche=valeur attendu", kv)
		}
		spec.RepScopeValues[k] = v
	}
	if _, err := spec.vocabulary(); err != nil {
		return err
	}
	if _, err := st.CreateIdPClient(ctx, spec.input("cli")); err != nil {
		return fmt.Errorf("client %s : %w", spec.ID, err)
	}
	return printSecret(out, "Client "+spec.ID+" créé. Secret", secret, *fromStdin)
}

func readSecret(fromStdin bool, stdin io.Reader) (string, error) {
	if !fromStdin {
		return NewSecret()
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("lecture du secret : %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func printSecret(out io.Writer, what, secret string, given bool) error {
	if given {
		_, err := fmt.Fprintln(out, what+" enregistré.")
		return err
	}
	_, err := fmt.Fprintf(out, "%s (affiché une seule fois, à transmettre au client) :\n%s\n", what, secret)
	return err
}

func listClients(ctx context.Context, st *store.Store, out io.Writer) error {
	cs, err := st.ListIdPClients(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tALG\tUSERINFO\tORIGINE\tREDIRECT_URIS\tPOST_LOGOUT")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.IDTokenAlg, c.UserinfoFormat, c.Source,
			strings.Join(c.RedirectURIs, " "), strings.Join(c.PostLogoutURIs, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = out.Write(buf.Bytes())
	return err
}
