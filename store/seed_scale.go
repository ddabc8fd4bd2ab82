package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// ScaleOptions sizes SeedScale.
type ScaleOptions struct {
	Usagers  int       // how many usagers to add
	PerOrg   int       // average usagers per organisation (default 200)
	Batch    int       // usagers per transaction (default 20 000)
	Seed     uint64    // random seed: the same seed gives the same names and dates
	Progress io.Writer // one line per batch; nil for none
}

// ScaleReport is what SeedScale added.
type ScaleReport struct {
	Organisations, Aidants, Usagers, Mandats, Autorisations int
	Elapsed                                                 time.Duration
	SampleAidantEmail                                       string // an aidant of the largest organisation
}

// SeedScale fills the database with synthetic data at scale, for load tests and search
// benchmarks: opt.Usagers usagers spread unevenly over opt.Usagers/opt.PerOrg new
// organisations (a few large ones, many small), with realistic French names, and about
// three mandats each, in every state (active, expiring soon, expired, revoked as a whole or
// in part, outdated). It writes through COPY, one transaction per batch.
//
// Scale data bypasses the journal: no journal row is written for it, so the journal of a
// seeded database does not account for these mandats (journal verify still passes: the
// chain is untouched). Never run it on a database that matters.
func (s *Store) SeedScale(ctx context.Context, opt ScaleOptions) (ScaleReport, error) {
	start := time.Now()
	var rep ScaleReport
	db, ok := s.db.(*bun.DB)
	if !ok {
		return rep, errors.New("seed scale: needs the database handle, not a transaction")
	}
	if opt.Usagers <= 0 {
		return rep, errors.New("seed scale: the number of usagers must be positive")
	}
	if opt.PerOrg <= 0 {
		opt.PerOrg = 200
	}
	if opt.Batch <= 0 {
		opt.Batch = 20_000
	}
	if opt.Progress == nil {
		opt.Progress = io.Discard
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("seed scale connection: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("seed scale: driver connection is %T, not pgx", dc)
		}
		g := newScaleGen(opt, s)
		return g.run(ctx, c.Conn(), &rep)
	})
	rep.Elapsed = time.Since(start)
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// scaleGen generates the data deterministically from its seed.
type scaleGen struct {
	opt      ScaleOptions
	st       *Store
	rnd      *rand.Rand
	now      time.Time
	tag      string // run tag: keeps subs and emails unique across runs
	orgIDs   []int64
	aidantOf map[int64]int64 // organisation → its aidant
	cumul    []float64       // cumulative organisation weights
	attKey   []byte
	started  time.Time
}

func newScaleGen(opt ScaleOptions, st *Store) *scaleGen {
	seed := opt.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	h := sha256.Sum256([]byte(strconv.FormatUint(seed, 10) + time.Now().String()))
	return &scaleGen{opt: opt, st: st, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: st.Now(),
		tag: hex.EncodeToString(h[:4]), aidantOf: map[int64]int64{}, attKey: st.sealer.Key("attestation"), started: time.Now()}
}

func (g *scaleGen) run(ctx context.Context, c *pgx.Conn, rep *ScaleReport) error {
	nOrgs := max(1, g.opt.Usagers/g.opt.PerOrg)
	if err := g.createOrganisations(ctx, c, nOrgs, rep); err != nil {
		return err
	}
	fmt.Fprintf(g.opt.Progress, "organisations : %d, aidants : %d\n", rep.Organisations, rep.Aidants)
	for done := 0; done < g.opt.Usagers; {
		n := min(g.opt.Batch, g.opt.Usagers-done)
		if err := g.batch(ctx, c, n, rep); err != nil {
			return err
		}
		done += n
		fmt.Fprintf(g.opt.Progress, "usagers %d/%d (%d %%) · mandats %d · autorisations %d · %s\n",
			done, g.opt.Usagers, done*100/g.opt.Usagers, rep.Mandats, rep.Autorisations, time.Since(g.started).Truncate(time.Second))
	}
	fmt.Fprintln(g.opt.Progress, "statistiques et carte de visibilité (VACUUM ANALYZE)…")
	if _, err := c.Exec(ctx, "VACUUM (ANALYZE) organisations, aidants, aidant_organisations, usagers, mandats, autorisations"); err != nil {
		return fmt.Errorf("vacuum analyze: %w", err)
	}
	return nil
}

// createOrganisations adds the organisations, one aidant each (a demo account: the code
// 123456 works in dev and sandbox modes only), and the weights that make a few of them large.
func (g *scaleGen) createOrganisations(ctx context.Context, c *pgx.Conn, n int, rep *ScaleReport) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return fmt.Errorf("seed organisations: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	names, cities, zips := make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		city := scaleCities[g.rnd.IntN(len(scaleCities))]
		names[i] = fmt.Sprintf("%s %s n° %d (%s)", scaleOrgKinds[i%len(scaleOrgKinds)], city, i+1, g.tag)
		cities[i], zips[i] = city, fmt.Sprintf("%05d", 1000+g.rnd.IntN(94000))
	}
	rows, err := tx.Query(ctx, `INSERT INTO organisations (name, city, zipcode, address, type_name)
		SELECT n, c, z, '1 place de la République', 'Structure de test' FROM unnest($1::text[], $2::text[], $3::text[]) AS t(n, c, z)
		RETURNING id`, names, cities, zips)
	if err != nil {
		return fmt.Errorf("insert organisations: %w", err)
	}
	g.orgIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("insert organisations: %w", err)
	}
	ids, err := nextIDs(ctx, tx, "aidants_id_seq", n)
	if err != nil {
		return err
	}
	aidants := make([][]any, n)
	members := make([][]any, n)
	for i, org := range g.orgIDs {
		email := fmt.Sprintf("aidant%d.%s@scale.aidantsconnect.fr", i+1, g.tag)
		given := scaleGiven[g.rnd.IntN(len(scaleGiven))].name
		aidants[i] = []any{ids[i], email, given, "Aidant", org, true, true, true}
		members[i] = []any{ids[i], org, true}
		g.aidantOf[org] = ids[i]
		if i == 0 {
			rep.SampleAidantEmail = email
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"aidants"}, []string{"id", "email", "first_name", "last_name",
		"current_organisation_id", "can_create_mandats", "is_active", "is_demo"}, pgx.CopyFromRows(aidants)); err != nil {
		return fmt.Errorf("copy aidants: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"aidant_organisations"}, []string{"aidant_id", "organisation_id", "is_referent"},
		pgx.CopyFromRows(members)); err != nil {
		return fmt.Errorf("copy memberships: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit organisations: %w", err)
	}
	// Organisation k (from 0) weighs 1/√(k+1): with 5 000 organisations the largest holds
	// 0.7 % of the usagers (≈ 7 000 of a million) and the median one about 140.
	g.cumul = make([]float64, n)
	total := 0.0
	for k := range n {
		total += 1 / math.Sqrt(float64(k+1))
		g.cumul[k] = total
	}
	rep.Organisations, rep.Aidants = n, n
	return nil
}

func (g *scaleGen) pickOrg() int64 {
	x := g.rnd.Float64() * g.cumul[len(g.cumul)-1]
	return g.orgIDs[sort.SearchFloat64s(g.cumul, x)]
}

// nextIDs reserves n ids of a sequence (not necessarily contiguous under concurrency).
func nextIDs(ctx context.Context, tx pgx.Tx, seq string, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, "SELECT nextval($1::regclass) FROM generate_series(1, $2)", seq, n)
	if err != nil {
		return nil, fmt.Errorf("reserve %s: %w", seq, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reserve %s: %w", seq, err)
	}
	return ids, nil
}

// scaleMandat is one generated mandat before it is written.
type scaleMandat struct {
	org, aidant     int64
	duree           Duree
	created, expire time.Time
	demarches       []string
	revoked         []*time.Time // per démarche
}

func (g *scaleGen) batch(ctx context.Context, c *pgx.Conn, n int, rep *ScaleReport) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return fmt.Errorf("seed batch: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	uids, err := nextIDs(ctx, tx, "usagers_id_seq", n)
	if err != nil {
		return err
	}
	usagers := make([][]any, 0, n)
	var mandats []scaleMandat
	var owners []int64 // usager of each mandat
	var subs []string
	for _, uid := range uids {
		u := g.usager()
		sum := sha256.Sum256([]byte(g.tag + "/" + strconv.FormatInt(uid, 10)))
		sub := hex.EncodeToString(sum[:])
		ms := g.mandats()
		usagers = append(usagers, []any{uid, sub, u.GivenName, u.FamilyName, u.PreferredUsername, u.Gender, u.Birthdate,
			u.Birthplace, u.Birthcountry, ms[0].created})
		for range ms {
			owners = append(owners, uid)
			subs = append(subs, sub)
		}
		mandats = append(mandats, ms...)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"usagers"}, []string{"id", "sub", "given_name", "family_name", "preferred_username",
		"gender", "birthdate", "birthplace", "birthcountry", "created_at"}, pgx.CopyFromRows(usagers)); err != nil {
		return fmt.Errorf("copy usagers: %w", err)
	}
	mids, err := nextIDs(ctx, tx, "mandats_id_seq", len(mandats))
	if err != nil {
		return err
	}
	var auts [][]any
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"mandats"}, []string{"id", "organisation_id", "usager_id", "created_by_aidant_id", "duree",
		"created_at", "expires_at", "template_version", "attestation_hash", "verify_token_hash", "revoked_at"},
		pgx.CopyFromSlice(len(mandats), func(i int) ([]any, error) {
			m := mandats[i]
			var last *time.Time
			for j, r := range m.revoked {
				if r == nil {
					last = nil
					break
				}
				if j == 0 || r.After(*last) {
					last = r
				}
			}
			for j, d := range m.demarches {
				var by any
				if m.revoked[j] != nil {
					by = m.aidant
				}
				auts = append(auts, []any{mids[i], d, m.revoked[j], by})
			}
			hash := AttestationHash(g.attKey, m.aidant, m.org, subs[i], m.demarches, m.created, m.expire, MandatTemplateVersion)
			return []any{mids[i], m.org, owners[i], m.aidant, m.duree.Key, m.created, m.expire, MandatTemplateVersion, hash,
				HashToken(g.st.VerifyToken(mids[i])), last}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy mandats: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"autorisations"}, []string{"mandat_id", "demarche", "revoked_at", "revoked_by_aidant_id"},
		pgx.CopyFromRows(auts)); err != nil {
		return fmt.Errorf("copy autorisations: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	rep.Usagers += n
	rep.Mandats += len(mandats)
	rep.Autorisations += len(auts)
	return nil
}

// usager draws a person: compound given names, particles, hyphenated and apostrophe family
// names, accents and ligatures, and a usage name for about a quarter of the women.
func (g *scaleGen) usager() Usager {
	given := scaleGiven[g.rnd.IntN(len(scaleGiven))]
	u := Usager{Gender: given.gender, GivenName: given.name}
	if g.rnd.IntN(4) == 0 { // second given name, as FranceConnect sends them
		for {
			more := scaleGiven[g.rnd.IntN(len(scaleGiven))]
			if more.gender == given.gender && more.name != given.name {
				u.GivenName += " " + more.name
				break
			}
		}
	}
	u.FamilyName = g.family()
	if g.rnd.IntN(12) == 0 {
		u.FamilyName += "-" + g.family()
	}
	if u.Gender == "female" && g.rnd.IntN(4) == 0 {
		u.PreferredUsername = g.family()
	}
	u.Birthdate = time.Date(1930+g.rnd.IntN(77), time.Month(1+g.rnd.IntN(12)), 1+g.rnd.IntN(28), 0, 0, 0, 0, time.UTC)
	u.Birthplace = fmt.Sprintf("%02d%03d", 1+g.rnd.IntN(95), 1+g.rnd.IntN(600))
	u.Birthcountry = "99100"
	return u
}

// family picks a family name: frequent names often, rare ones sometimes (Zipf-like), as in
// a real population, so some searches match thousands and others a handful.
func (g *scaleGen) family() string {
	i := int(math.Floor(math.Pow(g.rnd.Float64(), 2.2) * float64(len(scaleFamily))))
	return scaleFamily[min(i, len(scaleFamily)-1)]
}

// mandats draws one usager's mandats, oldest first: mostly with one organisation, created
// over the last three years, some revoked in part or whole, and — as the real rule does —
// a new mandat ends the same organisation's older autorisations for the same démarches.
func (g *scaleGen) mandats() []scaleMandat {
	n := []int{1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5}[g.rnd.IntN(20)]
	home := g.pickOrg()
	ms := make([]scaleMandat, 0, n)
	// The gaps between one usager's mandats come first, so that all n fit before now.
	gaps := make([]time.Duration, n)
	var span time.Duration
	for i := 1; i < n; i++ {
		gaps[i] = time.Duration(1+g.rnd.IntN(240)) * 24 * time.Hour
		span += gaps[i]
	}
	history := 3 * 365 * 24 * time.Hour
	at := g.now.Add(-span - time.Hour - time.Duration(g.rnd.Int64N(int64(max(24*time.Hour, history-span)))))
	for i := range n {
		org := home
		if g.rnd.IntN(20) == 0 {
			org = g.pickOrg()
		}
		d := Durees()[[]int{0, 1, 1, 2, 2, 3, 3, 3, 3, 3}[g.rnd.IntN(10)]]
		m := scaleMandat{org: org, aidant: g.aidantOf[org], duree: d, created: at.Truncate(time.Second), demarches: g.demarches()}
		m.expire = m.created.AddDate(0, 0, d.Days)
		m.revoked = make([]*time.Time, len(m.demarches))
		for j := range ms { // older mandats of the organisation lose these démarches now
			o := &ms[j]
			if o.org != org || !o.expire.After(m.created) {
				continue
			}
			for k, dk := range o.demarches {
				if o.revoked[k] == nil && contains(m.demarches, dk) {
					o.revoked[k] = &m.created
				}
			}
		}
		ms = append(ms, m)
		if i < n-1 {
			at = at.Add(gaps[i+1])
		}
	}
	for i := range ms {
		g.revoke(&ms[i])
	}
	return ms
}

// revoke ends about one mandat in nine as a whole and one in twelve in part, at some
// instant of its life.
func (g *scaleGen) revoke(m *scaleMandat) {
	end := m.expire
	if end.After(g.now) {
		end = g.now
	}
	span := end.Sub(m.created) - time.Second
	if span <= 0 {
		return
	}
	when := m.created.Add(time.Second + time.Duration(g.rnd.Int64N(int64(span)))).Truncate(time.Second)
	switch r := g.rnd.IntN(100); {
	case r < 11:
		for k := range m.revoked {
			if m.revoked[k] == nil {
				m.revoked[k] = &when
			}
		}
	case r < 19 && len(m.demarches) > 1:
		k := g.rnd.IntN(len(m.demarches))
		if m.revoked[k] == nil {
			m.revoked[k] = &when
		}
	}
}

func (g *scaleGen) demarches() []string {
	keys := DemarcheKeys()
	// social, papiers, argent and logement are the most asked for.
	weights := []int{18, 8, 22, 8, 14, 5, 16, 3, 5, 1}
	n := 1 + g.rnd.IntN(3)
	if g.rnd.IntN(6) == 0 {
		n = 4 + g.rnd.IntN(3)
	}
	var out []string
	for len(out) < n {
		x := g.rnd.IntN(100)
		for i, w := range weights {
			if x < w {
				if !contains(out, keys[i]) {
					out = append(out, keys[i])
				}
				break
			}
			x -= w
		}
	}
	return orderedDemarches(out)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// CheckScaleConsistency compares what the usagers list relies on with what it is derived
// from, over the whole tables: mandats.revoked_at (the cached revocation instant) with the
// autorisations, and organisation_usagers (one row per organisation and usager, kept by
// triggers) with a recomputation from the mandats. It returns the number of mismatches.
func (s *Store) CheckScaleConsistency(ctx context.Context) (int, error) {
	var n int
	err := s.db.NewRaw(`SELECT count(*) FROM mandats AS m
		LEFT JOIN LATERAL (SELECT CASE WHEN bool_and(a.revoked_at IS NOT NULL) THEN max(a.revoked_at) END AS last
		                   FROM autorisations AS a WHERE a.mandat_id = m.id) AS s ON true
		WHERE m.revoked_at IS DISTINCT FROM s.last`).Scan(ctx, &n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("check revoked_at: %w", err)
	}
	rows, err := s.CheckOrganisationUsagers(ctx)
	return n + rows, err
}

// CheckOrganisationUsagers counts the rows of organisation_usagers that differ from their
// recomputation from the mandats (and the usagers' names), missing or superfluous rows
// included.
func (s *Store) CheckOrganisationUsagers(ctx context.Context) (int, error) {
	var n int
	err := s.db.NewRaw(`WITH want AS (
		SELECT m.organisation_id, m.usager_id, u.sort_name AS usager_sort, u.search_name AS usager_search,
		       max(m.expires_at) FILTER (WHERE m.revoked_at IS NULL) AS active_until,
		       max(least(m.expires_at, m.revoked_at)) FILTER (WHERE m.revoked_at IS NOT NULL) AS revoked_until,
		       coalesce(range_agg(tstzrange(m.expires_at, m.expires_at, '[]')) FILTER (WHERE m.revoked_at IS NULL), '{}') AS expiries,
		       max(least(m.expires_at, coalesce(m.revoked_at, 'infinity'))) AS visible_until
		FROM mandats AS m JOIN usagers AS u ON u.id = m.usager_id
		GROUP BY m.organisation_id, m.usager_id, u.sort_name, u.search_name)
		SELECT count(*) FROM want AS w FULL JOIN organisation_usagers AS o USING (organisation_id, usager_id)
		WHERE (w.usager_sort, w.usager_search, w.active_until, w.revoked_until, w.expiries, w.visible_until)
		      IS DISTINCT FROM (o.usager_sort, o.usager_search, o.active_until, o.revoked_until, o.expiries, o.visible_until)`).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("check organisation_usagers: %w", err)
	}
	return n, nil
}

type scaleName struct{ name, gender string }

var scaleGiven = []scaleName{
	{"Marie", "female"}, {"Jeanne", "female"}, {"Joséphine", "female"}, {"Françoise", "female"}, {"Hélène", "female"},
	{"Maëlle", "female"}, {"Chloé", "female"}, {"Léa", "female"}, {"Zoé", "female"}, {"Anaïs", "female"},
	{"Noémie", "female"}, {"Aurélie", "female"}, {"Cécile", "female"}, {"Geneviève", "female"}, {"Thérèse", "female"},
	{"Marie-Claire", "female"}, {"Anne-Sophie", "female"}, {"Marie-Thérèse", "female"}, {"Fatoumata", "female"}, {"Aïcha", "female"},
	{"Fatima", "female"}, {"Yasmine", "female"}, {"Inès", "female"}, {"Sofia", "female"}, {"Nathalie", "female"},
	{"Isabelle", "female"}, {"Sylvie", "female"}, {"Christine", "female"}, {"Monique", "female"}, {"Josiane", "female"},
	{"Danièle", "female"}, {"Gaëlle", "female"}, {"Solène", "female"}, {"Mélanie", "female"}, {"Élodie", "female"},
	{"Nadège", "female"}, {"Agnès", "female"}, {"Béatrice", "female"}, {"Mireille", "female"}, {"Oumou", "female"},
	{"Jean", "male"}, {"José", "male"}, {"Jean-François", "male"}, {"Jean-Pierre", "male"}, {"Jean-Luc", "male"},
	{"François", "male"}, {"Frédéric", "male"}, {"Jérôme", "male"}, {"Jérémy", "male"}, {"Noël", "male"},
	{"Joël", "male"}, {"Raphaël", "male"}, {"Mickaël", "male"}, {"Gaël", "male"}, {"Loïc", "male"},
	{"Hervé", "male"}, {"René", "male"}, {"André", "male"}, {"Benoît", "male"}, {"Stéphane", "male"},
	{"Mohamed", "male"}, {"Mamadou", "male"}, {"Moussa", "male"}, {"Karim", "male"}, {"Youssef", "male"},
	{"Pierre", "male"}, {"Michel", "male"}, {"Philippe", "male"}, {"Alain", "male"}, {"Bernard", "male"},
	{"Patrick", "male"}, {"Nicolas", "male"}, {"Thomas", "male"}, {"Lucas", "male"}, {"Hugo", "male"},
	{"Éric", "male"}, {"Cédric", "male"}, {"Léon", "male"}, {"Émile", "male"}, {"Ibrahim", "male"},
}

// scaleFamily is ordered from the most to the least frequent.
var scaleFamily = []string{
	"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
	"Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
	"Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Müller", "Lefebvre", "Faure", "André",
	"Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
	"Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
	"Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
	"Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
	"Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
	"Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
	"Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
	"Da Silva", "Dos Santos", "Le Gall", "Le Goff", "Le Roux", "Le Corre", "Le Bihan", "Le Guen", "De Sousa", "Da Costa",
	"N'Diaye", "N'Guessan", "N'Dour", "D'Almeida", "D'Angelo", "O'Neill", "D'Arco", "L'Hôte", "Dell'Acqua", "N'Goma",
	"Diallo", "Traoré", "Diop", "Cissé", "Koné", "Camara", "Sy", "Keïta", "Bâ", "Touré",
	"Ben Ali", "Benali", "Haddad", "Belkacem", "Mansouri", "Boumediene", "El Amrani", "Aït Ali", "Saïdi", "Chérif",
	"Çelik", "Yılmaz", "Öztürk", "Şahin", "Nguyễn", "Trần", "Lê", "Phạm", "Kowalski", "Wiśniewski",
	"Œuvrard", "Lœillet", "Cœurdacier", "Sœur", "Bœuf", "Cœuret", "Æbischer", "Hervé", "Noël-Martin", "Saint-Jean",
	"de La Fontaine", "de Gaulle", "du Pont", "de l'Isle", "Lefèvre-Utile", "Jean-Baptiste", "Pérez", "Gonçalves", "Françon", "Besançon",
	"Thévenin", "Ménard", "Bérard", "Régnier", "Lévêque", "Pâris", "Côté", "Gâteau", "Crêpin", "Brûlé",
}

var scaleCities = []string{
	"Beaugency", "Aurillac", "Besançon", "Châteauroux", "Épinal", "Évreux", "Orléans", "Périgueux", "Saint-Étienne", "Sète",
	"Le Puy-en-Velay", "L'Haÿ-les-Roses", "Montluçon", "Nîmes", "Créteil", "Guéret", "Mâcon", "Vénissieux", "Saint-Denis", "Cayenne",
}

var scaleOrgKinds = []string{"France Services de", "CCAS de", "Médiathèque de", "Mairie de", "Centre social de"}
