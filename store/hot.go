package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// Hot statements: the session's (every page) and the FranceConnect login's steps run often
// enough that PostgreSQL's planning dominated their cost — bun writes every value into the
// SQL text, so each execution was parsed and planned anew (BENCHMARKS.md § Throughput: 12 ms
// of planning per login against 4 ms of execution). scanHot sends such a statement, written
// with bun's placeholders like any NewRaw, as a text with parameters ($1 …) and its values
// apart, in pgx's cache_statement mode: each connection prepares it once (statement cache
// bounded in app.tuneConn) and PostgreSQL keeps its plan. Every other statement keeps the
// App's default (exec: nothing prepared, nothing cached).

// hotStatement is a bun text turned into PostgreSQL's: the text with $1 …, and for each
// parameter the index of bun's argument it takes.
type hotStatement struct {
	sql  string
	args []int
}

var hotStatements sync.Map // bun text → *hotStatement

// hotSQL converts bun's placeholders: ?N (the Nth argument, from 0) and ? (the next one, in
// order); several uses of one argument share one parameter, an argument never referenced is
// not sent. Quoted literals are left alone. Any other placeholder (?name) is a programming
// error.
func hotSQL(query string) *hotStatement {
	if h, ok := hotStatements.Load(query); ok {
		return h.(*hotStatement)
	}
	h := &hotStatement{}
	param := map[int]int{} // bun's index → $n
	var b strings.Builder
	next, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '\'' {
			quoted = !quoted
		}
		if c != '?' || quoted {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		idx := next
		switch {
		case j > i+1:
			idx, _ = strconv.Atoi(query[i+1 : j])
		case j < len(query) && (query[j] == '_' || query[j] >= 'a' && query[j] <= 'z' || query[j] >= 'A' && query[j] <= 'Z'):
			panic(fmt.Sprintf("store: hot statement with a named placeholder at %q", query[i:min(len(query), i+20)]))
		default:
			next++
		}
		n, ok := param[idx]
		if !ok {
			h.args = append(h.args, idx)
			n = len(h.args)
			param[idx] = n
		}
		b.WriteString("$" + strconv.Itoa(n))
		i = j - 1
	}
	h.sql = b.String()
	got, _ := hotStatements.LoadOrStore(query, h)
	return got.(*hotStatement)
}

// scanHot runs a hot statement (bun placeholders, values as parameters) on the store's
// database or transaction and scans its rows into dest as NewRaw(query, args...).Scan would:
// a slice takes every row; anything else takes the first, and no row is sql.ErrNoRows.
// Values go to pgx as they are: a slice is an array ([]string is text[]).
func (s *Store) scanHot(ctx context.Context, dest any, query string, args ...any) error {
	h := hotSQL(query)
	params := make([]any, 0, len(h.args)+1)
	params = append(params, pgx.QueryExecModeCacheStatement)
	for _, i := range h.args {
		if i >= len(args) {
			return fmt.Errorf("hot statement: placeholder ?%d without a value", i)
		}
		params = append(params, args[i])
	}
	var rows *sql.Rows
	var err error
	switch db := s.db.(type) {
	case *bun.DB:
		rows, err = db.DB.QueryContext(ctx, h.sql, params...)
	case bun.Tx:
		rows, err = db.Tx.QueryContext(ctx, h.sql, params...)
	default:
		return fmt.Errorf("hot statement on %T", s.db)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	scanner := s.db.NewRaw("").DB()
	if v := reflect.ValueOf(dest); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Slice {
		return scanner.ScanRows(ctx, rows, dest)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := scanner.ScanRow(ctx, rows, dest); err != nil {
		return err
	}
	for rows.Next() {
	}
	return rows.Err()
}
