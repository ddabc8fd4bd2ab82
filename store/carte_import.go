package store

import (
	"context"
	"encoding/base32"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
)

// CarteLine is one line of a supplier's CSV of cartes TOTP (serial number, seed), as parsed:
// the seed decoded from hexadecimal or base32, or the problem with the line.
type CarteLine struct {
	Line     int // in the file, from 1
	Serial   string
	Seed     []byte
	Encoding string // "hexadécimal" or "base32"
	Problem  string
}

// Seed sizes accepted: at least 128 bits (RFC 4226), at most 512.
const (
	minSeed = 16
	maxSeed = 64
)

var (
	hexSeed    = regexp.MustCompile(`^(?:[0-9a-fA-F]{2})+$`)
	base32Seed = regexp.MustCompile(`^[A-Za-z2-7]+=*$`)
	serialForm = regexp.MustCompile(`^[A-Z0-9_-]{1,64}$`)
)

// ParseCartesCSV reads a supplier's CSV: one carte a line, serial number then seed, separated
// by commas or semicolons; a header line (its first cell names the serial number) and blank
// lines are skipped. A seed is hexadecimal when it can be (an even number of hex digits),
// else base32. Every line gets its problem, duplicates within the file included; ok is false
// when any line has one.
func ParseCartesCSV(data string) (lines []CarteLine, ok bool) {
	comma := ','
	if first, _, _ := strings.Cut(strings.TrimLeft(data, "\ufeff\r\n "), "\n"); strings.Count(first, ";") > strings.Count(first, ",") {
		comma = ';'
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(data, "\ufeff")))
	r.Comma, r.FieldsPerRecord, r.TrimLeadingSpace, r.ReuseRecord = comma, -1, true, false
	seen := map[string]int{}
	ok = true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			lines = append(lines, CarteLine{Line: pe.Line, Problem: "Cette ligne n'est pas lisible (guillemets mal fermés ?)."})
			ok = false
			continue
		}
		if err != nil {
			return nil, false
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		lineNo, _ := r.FieldPos(0)
		l := CarteLine{Line: lineNo}
		if len(lines) == 0 && len(rec) > 0 && isHeader(rec[0]) {
			continue
		}
		switch {
		case len(rec) != 2:
			l.Problem = "Il faut deux colonnes : le numéro de série, puis la graine."
		default:
			l.Serial = NormaliseSerial(rec[0])
			seed := strings.Join(strings.Fields(rec[1]), "")
			switch {
			case l.Serial == "":
				l.Problem = "Le numéro de série manque."
			case !serialForm.MatchString(l.Serial):
				l.Problem = "Le numéro de série ne doit contenir que des lettres, des chiffres, - ou _ (64 au plus)."
			case seed == "":
				l.Problem = "La graine manque."
			case hexSeed.MatchString(seed):
				l.Seed, _ = hex.DecodeString(seed)
				l.Encoding = "hexadécimal"
			case base32Seed.MatchString(seed):
				b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(seed, "=")))
				if err != nil {
					l.Problem = "La graine n'est ni en hexadécimal ni en base32 valide."
				}
				l.Seed, l.Encoding = b, "base32"
			default:
				l.Problem = "La graine n'est ni en hexadécimal ni en base32."
			}
			if l.Problem == "" && (len(l.Seed) < minSeed || len(l.Seed) > maxSeed) {
				l.Problem = fmt.Sprintf("La graine fait %d octets : il en faut entre %d et %d.", len(l.Seed), minSeed, maxSeed)
			}
			if l.Problem == "" {
				if prev, dup := seen[l.Serial]; dup {
					l.Problem = "Ce numéro de série figure déjà à la ligne " + strconv.Itoa(prev) + "."
				} else {
					seen[l.Serial] = l.Line
				}
			}
		}
		if l.Problem != "" {
			ok = false
			l.Seed, l.Encoding = nil, ""
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		ok = false
	}
	return lines, ok
}

func isHeader(cell string) bool {
	c := strings.ToLower(strings.TrimSpace(cell))
	for _, w := range []string{"serial", "série", "serie", "numéro", "numero"} {
		if strings.Contains(c, w) {
			return true
		}
	}
	return false
}

// ErrCartesRefused is an import with at least one line refused: nothing was imported, and
// the lines carry their problems.
var ErrCartesRefused = errors.New("cartes: lines refused")

// ImportCartes puts parsed cartes in the stock, all or none: a serial number already in
// stock refuses its line (ErrCartesRefused, the lines updated with their problem). Journaled
// import_totp_cards with the staff account as actor, in the same transaction.
func (s *Store) ImportCartes(ctx context.Context, staffID int64, lines []CarteLine) error {
	if len(lines) == 0 {
		return ErrCartesRefused
	}
	return s.InTx(ctx, func(tx *Store) error {
		serials := make([]string, len(lines))
		for i, l := range lines {
			if l.Problem != "" {
				return ErrCartesRefused
			}
			serials[i] = l.Serial
		}
		var taken []string
		if err := tx.db.NewSelect().Model((*CarteTOTP)(nil)).Column("serial_number").Where("serial_number IN (?)", bun.In(serials)).Scan(ctx, &taken); err != nil {
			return fmt.Errorf("stock: %w", err)
		}
		if len(taken) > 0 {
			in := map[string]bool{}
			for _, t := range taken {
				in[t] = true
			}
			for i := range lines {
				if in[lines[i].Serial] {
					lines[i].Problem = "Cette carte est déjà dans le stock."
				}
			}
			return ErrCartesRefused
		}
		for _, l := range lines {
			sealed, err := tx.sealer.Seal(l.Seed)
			if err != nil {
				return err
			}
			if _, err := tx.db.NewInsert().Model(&CarteTOTP{SerialNumber: l.Serial, SeedEnc: sealed}).Exec(ctx); err != nil {
				return fmt.Errorf("import carte: %w", err)
			}
		}
		info := fmt.Sprintf("%d cartes, de %s à %s", len(lines), lines[0].Serial, lines[len(lines)-1].Serial)
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionImportTOTPCards, AidantID: &staffID, Info: info})
	})
}
