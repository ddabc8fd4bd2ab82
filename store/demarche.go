package store

// Demarche is one procedure area an autorisation covers. The catalogue is fixed in code.
type Demarche struct {
	Key         string
	Title       string
	ShortTitle  string
	Description string
	Examples    string
}

// Demarches lists the catalogue in its display order.
func Demarches() []Demarche {
	return []Demarche{
		{"papiers", "Papiers - Citoyenneté - Élections", "Papiers", "État civil, passeport, élections, papiers à conserver, carte d'identité…", "ANTS, Défenseur des droits"},
		{"famille", "Famille - Scolarité", "Famille", "Allocations familiales, naissance, mariage, pacs, scolarité…", "CAF, ameli.fr, EduConnect"},
		{"social", "Social - Santé", "Social", "Carte Vitale, chômage, handicap, RSA, personnes âgées…", "ameli.fr, MSA"},
		{"travail", "Travail - Formation", "Travail", "CDD, concours, retraite, démission, période d'essai…", "France Travail, Mon compte formation, info-retraite.fr"},
		{"logement", "Logement", "Logement", "Allocations logement, permis de construire, logement social, fin de bail…", "CAF, Enedis"},
		{"transports", "Transports - Mobilité", "Transports", "Carte grise, permis de conduire, contrôle technique, infractions…", "ANTS, ANTAI, Crit'Air"},
		{"argent", "Argent - Impôts - Consommation", "Argent", "Crédit immobilier, impôts, consommation, livret A, assurance, surendettement…", "impots.gouv.fr, timbres fiscaux, banque"},
		{"justice", "Justice", "Justice", "Casier judiciaire, plainte, aide juridictionnelle, saisie…", "Télérecours citoyens"},
		{"etranger", "Étranger - Europe", "Étranger", "Titres de séjour, attestation d'accueil, regroupement familial…", "OFPRA"},
		{"loisirs", "Loisirs - Sport - Culture", "Loisirs", "Animaux, permis bateau, tourisme, permis de chasser…", "Ariane"},
	}
}

// DemarcheKeys lists the catalogue's keys in display order.
func DemarcheKeys() []string {
	ds := Demarches()
	keys := make([]string, len(ds))
	for i, d := range ds {
		keys[i] = d.Key
	}
	return keys
}

// FindDemarche returns the démarche with that key.
func FindDemarche(key string) (Demarche, bool) {
	for _, d := range Demarches() {
		if d.Key == key {
			return d, true
		}
	}
	return Demarche{}, false
}

// FindDemarches returns the démarches with those keys, in the keys' order, skipping unknown
// keys (nil if none is known).
func FindDemarches(keys []string) []Demarche {
	var out []Demarche
	for _, k := range keys {
		if d, ok := FindDemarche(k); ok {
			out = append(out, d)
		}
	}
	return out
}
