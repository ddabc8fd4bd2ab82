package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"

	"github.com/aidantsconnect/ac/store"
)

// verifyJournal is `ac journal verify [checkpoints.json]`: the chain recomputed with its key,
// checked against the database's signed checkpoints and those of the file (the published
// document, or a list of them, as an auditor keeps copies), and the entries missing after the
// latest checkpoint. The verification first chains every committed entry (the chainer's
// pass). Any finding is an error, so the exit status says it.
func verifyJournal(ctx context.Context, st *store.Store, files []string, out io.Writer) error {
	var extra []store.JournalCheckpoint
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("checkpoints: %w", err)
		}
		cps, err := store.ParseCheckpoints(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		extra = append(extra, cps...)
	}
	rep, err := st.VerifyJournal(ctx, extra...)
	if err != nil {
		return err
	}
	switch {
	case rep.ForgedCheckpoint != "":
		return fmt.Errorf("journal altéré : %s", rep.ForgedCheckpoint)
	case rep.BrokenID != 0:
		return fmt.Errorf("journal altéré : entrée n° %d (%s) ; %d entrées vérifiées avant elle", rep.BrokenID, rep.BrokenWhy, rep.Checked)
	case rep.Missing > 0:
		what := fmt.Sprintf("%d entrées manquent", rep.Missing)
		if rep.Missing == 1 {
			what = "1 entrée manque"
		}
		return fmt.Errorf("journal tronqué : %s à la fin (le point de contrôle du %s en compte %d, le journal en a %d)",
			what, rep.Last.CreatedAt.UTC().Format("02/01/2006 à 15:04:05 UTC"), rep.Last.Entries, rep.Checked)
	}
	fmt.Fprintf(out, "journal intact : %d entrées vérifiées\n", rep.Checked)
	if rep.Last == nil {
		fmt.Fprintln(out, "aucun point de contrôle signé pour l'instant : des entrées supprimées à la fin ne se verraient pas")
	} else {
		fmt.Fprintf(out, "%s ; le dernier, du %s, compte %s ; %s depuis\n",
			plural(int64(rep.Checkpoints), "point de contrôle signé concorde", "points de contrôle signés concordent"),
			rep.Last.CreatedAt.UTC().Format("02/01/2006 à 15:04:05 UTC"), plural(rep.Last.Entries, "entrée", "entrées"),
			plural(rep.Uncovered, "entrée", "entrées"))
	}
	if rep.Unchained > 0 {
		fmt.Fprintf(out, "%s pas encore chaînée(s) : leurs transactions ont validé pendant la vérification\n", plural(rep.Unchained, "entrée", "entrées"))
	}
	fmt.Fprintf(out, "clé publique des points de contrôle (Ed25519) : %s\n", base64.StdEncoding.EncodeToString(st.CheckpointPublicKey()))
	return nil
}

// plural is n and the French noun phrase agreed with it (0 and 1 take the singular).
func plural(n int64, one, many string) string {
	if n <= 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
