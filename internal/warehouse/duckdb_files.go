//go:build cgo

package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrFileChanged: a local file a DuckDB model reads changed while the run read it (duckFiles).
var ErrFileChanged = errors.New("a file the model reads changed during the read")

// duckFiles are the local files a DuckDB model reads, as they were when looked at.
//
// A file has no snapshot: DuckDB reads it while the run streams. A file rewritten in place
// meanwhile (truncated and written again, as pandas' to_csv or cp does) was read partly old,
// partly new: a Parquet file and a CSV file of 2M rows each, rewritten after 5000 rows were
// handed over, gave 102400 and 535185 rows of the old version and the rest of the new, and no
// error. The files a pattern (read_parquet('dir/*.parquet')) matches are opened one by one as
// the read reaches them: keys moved from the last file to the first, each published by a rename
// while the first was read, were in neither version DuckDB read, and a mirror's run succeeded
// and sent them as deleted (TestDuckDBMirrorFilesChangedDuringRun). A file renamed over one
// DuckDB has open is read whole (it keeps it open), but a pattern's next files are not open
// yet, nor is a second read of the same path in the model.
//
// So a read looks at its files just before it starts and once DuckDB has handed over its last
// row, and fails when they differ: which files its patterns match, and for each whether it is
// the same file (os.SameFile: not renamed over), of the same size, modification time and change
// time (changeTime: cp -p and rsync --inplace --times set the modification time back; a rewrite
// to the same size that the timestamps cannot tell apart, within the kernel's clock tick of a few
// milliseconds, or a second on some file systems, goes unseen). That costs a glob and a
// stat per file, twice a run, nothing per row. The files are those the model's own SQL names
// (table functions' paths, FROM 'file.parquet'), constants (refuseDuckPaths), and those the
// views and table macros it reads name (viewPaths); not those init_sql itself reads (CREATE TABLE ... AS, as the
// connection opens), nor remote ones (s3://, https://), which Backflow does not look at.
type duckFiles struct {
	patterns []string               // duckLocalPaths
	seen     map[string]fs.FileInfo // by name; nil: matched, but could not be looked at
}

// modelFiles looks at the local files a model's SQL names, and those of the views and table
// macros it reads; ast is DuckDB's parse of the SQL, as describe made it.
func (c *duckConn) modelFiles(ctx context.Context, ast string) (*duckFiles, error) {
	paths, tables, err := astPaths(ast)
	if err != nil {
		return nil, err
	}
	more, err := c.viewPaths(ctx, tables)
	if err != nil {
		return nil, err
	}
	f := &duckFiles{patterns: slices.Concat(paths, more)}
	f.seen, err = c.look(ctx, f.patterns)
	return f, err
}

// localPaths are duckLocalPaths of query, DuckDB's parse of it.
func (c *duckConn) localPaths(ctx context.Context, query string) (paths, tables []string, err error) {
	ast, err := c.parse(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	return astPaths(ast)
}

// astPaths are duckLocalPaths of ast, DuckDB's parse of a query as JSON.
func astPaths(ast string) (paths, tables []string, err error) {
	var tree any
	if err := json.Unmarshal([]byte(ast), &tree); err != nil {
		return nil, nil, fmt.Errorf("read DuckDB's parse of the model's SQL: %w", err)
	}
	paths, tables = duckLocalPaths(tree)
	return paths, tables, nil
}

// viewPaths are the paths of local files that the views and table macros among tables read
// (duckLocalPaths' names), those they read included, at any depth: a view of init_sql's (on
// :memory:) or of the database file's, such as dbt-duckdb's external materializations write, over
// read_parquet('users.parquet'), or a table macro of init_sql's over one (CREATE MACRO users() AS
// TABLE ...). A view or macro is known by its name alone, in any schema (one of another schema is
// looked into for nothing); a view whose SQL duckViewQuery cannot read is not looked into. Each
// kind is listed only when the model names one that may be of it.
func (c *duckConn) viewPaths(ctx context.Context, tables []string) ([]string, error) {
	defs := map[string][]string{} // the queries of views, and of macros ("name()"), by their names in lower case
	listed := map[bool]bool{}     // by whether macros
	list := func(macros bool) error {
		if listed[macros] {
			return nil
		}
		listed[macros] = true
		q, what := "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal", "views"
		if macros {
			q, what = "SELECT function_name, macro_definition FROM duckdb_functions() WHERE function_type = 'table_macro' AND NOT internal", "table macros"
		}
		rows, err := c.conn.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("list the %s the model may read: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var def sql.NullString
			if err := rows.Scan(&name, &def); err != nil {
				return err
			}
			q, ok := def.String, def.Valid
			if name = strings.ToLower(name); macros {
				name += "()"
			} else {
				q, ok = duckViewQuery(def.String)
			}
			if ok {
				defs[name] = append(defs[name], q)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list the %s the model may read: %w", what, err)
		}
		return nil
	}
	var paths []string
	seen := map[string]bool{}
	for len(tables) > 0 {
		name := strings.ToLower(tables[0])
		tables = tables[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		if err := list(strings.HasSuffix(name, "()")); err != nil {
			return nil, err
		}
		for _, q := range defs[name] {
			p, t, err := c.localPaths(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("read the SQL of the view or macro %q: %w", name, err)
			}
			paths, tables = append(paths, p...), append(tables, t...)
		}
	}
	return paths, nil
}

// duckViewQuery is the query of a view, from its SQL as duckdb_views() writes it: "CREATE [TEMP]
// VIEW name [(columns)] AS query;", the name and columns quoted where they need it. false when
// def is not so.
func duckViewQuery(def string) (string, bool) {
	rest, ok := strings.CutPrefix(def, "CREATE VIEW ")
	if !ok {
		if rest, ok = strings.CutPrefix(def, "CREATE TEMP VIEW "); !ok {
			return "", false
		}
	}
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch {
		case rest[i] == '"': // a quoted name, "" a quote in it
			for i++; i < len(rest) && (rest[i] != '"' || strings.HasPrefix(rest[i:], `""`)); i++ {
				if rest[i] == '"' {
					i++
				}
			}
		case rest[i] == '(':
			depth++
		case rest[i] == ')':
			depth--
		case depth == 0 && strings.HasPrefix(rest[i:], " AS "):
			return strings.TrimSuffix(strings.TrimSpace(rest[i+len(" AS "):]), ";"), true
		}
	}
	return "", false
}

// look stats the files patterns match, as DuckDB's glob expands them.
func (c *duckConn) look(ctx context.Context, patterns []string) (map[string]fs.FileInfo, error) {
	seen := map[string]fs.FileInfo{}
	for _, pattern := range patterns {
		names, err := c.glob(ctx, pattern)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			fi, _ := os.Stat(name) // gone since the glob: nil, as after a removal
			seen[name] = fi
		}
	}
	return seen, nil
}

// glob is the files pattern matches, as DuckDB's glob() says: a path without wildcards itself,
// when it is a file; a file: URL its path; ~ and a relative path resolved as DuckDB reads them
// (home_directory, file_search_path).
func (c *duckConn) glob(ctx context.Context, pattern string) ([]string, error) {
	rows, err := c.conn.QueryContext(ctx, "SELECT file FROM glob(?)", pattern)
	if err != nil {
		return nil, fmt.Errorf("list the files the model reads (%s): %w", pattern, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the files the model reads (%s): %w", pattern, err)
	}
	return names, nil
}

// duckLocalPaths are the paths and patterns of local files in tree, DuckDB's parse of a model,
// and the names of the tables it reads (views among them, and CTEs) and of its table functions
// with "()" after them (table macros among them): each table function's
// first argument (a path or a list of them: range's and the like's are no paths and match no
// file) and each table named by a path (FROM 'users.parquet'), but URLs other than file: ones.
func duckLocalPaths(tree any) (paths, tables []string) {
	add := func(p string) {
		if scheme, _, ok := strings.Cut(p, "://"); ok && !strings.EqualFold(scheme, "file") {
			return
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	_ = eachDuckNode(tree, func(v map[string]any) error {
		switch v["type"] {
		case "TABLE_FUNCTION":
			fn, _ := v["function"].(map[string]any)
			args, _ := fn["arguments"].([]any)
			name, _ := fn["function_name"].(string)
			if !duckOwnTableFunctions[strings.ToLower(name)] && !slices.Contains(tables, name+"()") { // a table macro's, perhaps
				tables = append(tables, name+"()")
			}
			if len(args) == 0 || duckAnyArguments[strings.ToLower(name)] {
				return nil
			}
			arg, _ := args[0].(map[string]any)
			expr, _ := arg["expression"].(map[string]any)
			strs, _ := duckConstantStrings(expr, nil)
			for _, s := range strs {
				add(s)
			}
		case "BASE_TABLE":
			// A name that may be a file's (a table's matches no file, unless one of that name is
			// in the runner's directory, which is then looked at for nothing).
			// A name with a dot may be a view's too (FROM "lake.users", a quoted name): both.
			t, _ := v["table_name"].(string)
			if strings.ContainsAny(t, `/\.`) || strings.HasPrefix(t, "~") {
				add(t)
			}
			if !strings.ContainsAny(t, `/\`) && !strings.HasPrefix(t, "~") && !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
		return nil
	})
	return paths, tables
}

// changedSince says whether a, the same file as b, looked at later, changed since by its change
// time (changeTime): written to though of the same size and modification time, the latter set
// back.
func changedSince(b, a fs.FileInfo) bool {
	bt, ok := changeTime(b)
	at, ok2 := changeTime(a)
	return ok && ok2 && !bt.Equal(at)
}

// duckOwnTableFunctions are DuckDB's table functions that models call most, which are no table
// macros: listing the macros (duckdb_functions(), which lists every function) takes tens of
// milliseconds, which a model that calls only these does not spend.
var duckOwnTableFunctions = map[string]bool{"read_parquet": true, "parquet_scan": true, "read_csv": true,
	"read_csv_auto": true, "read_json": true, "read_json_auto": true, "read_ndjson": true, "read_ndjson_auto": true,
	"read_json_objects": true, "read_text": true, "read_blob": true, "glob": true, "range": true,
	"generate_series": true, "unnest": true}

// ended is err, which ended a read of files (io.EOF: DuckDB handed over its last row), unless a
// file changed during the read (ErrFileChanged), which may also be why DuckDB failed: a Parquet
// file rewritten smaller in place failed the read with "TProtocolException: Invalid data", a
// CSV file with "Could not read enough bytes", a file a pattern matched removed with "Cannot
// open file", which the error of the change then ends with. The read's result must be closed:
// the files are listed on its connection.
func (c *duckConn) ended(ctx context.Context, files *duckFiles, err error) error {
	if err != io.EOF && ctx.Err() != nil {
		return err // stopped, as DuckDB's error says; a read that reached its end is looked at all the same
	}
	cerr := c.unchanged(ctx, files)
	switch {
	case err == io.EOF && cerr != nil:
		return cerr
	case errors.Is(cerr, ErrFileChanged):
		return fmt.Errorf("%w (DuckDB's error: %w)", cerr, err)
	}
	return err
}

// unchanged looks at the files again, once the read has ended, and says which changed since
// before (ErrFileChanged): a file removed, added (matched by a pattern), renamed over, grown
// (appended to, as a log is, or rewritten longer), or of another size or modification time.
func (c *duckConn) unchanged(ctx context.Context, f *duckFiles) error {
	before := f.seen
	after, err := c.look(ctx, f.patterns)
	if err != nil {
		return err
	}
	names := slices.Concat(slices.Collect(maps.Keys(before)), slices.Collect(maps.Keys(after)))
	slices.Sort(names)
	var changed []string
	how := ""
	for _, name := range slices.Compact(names) {
		b, wasThere := before[name]
		a, isThere := after[name]
		var what string
		switch {
		case !isThere || (b != nil && a == nil):
			what = "was removed"
		case !wasThere || (b == nil && a != nil):
			what = "was added (the model's pattern matches it)"
		case b == nil: // could not be looked at, before nor after
		case !os.SameFile(b, a):
			what = "was replaced by another file (renamed over it)"
		case a.Size() > b.Size():
			what = fmt.Sprintf("grew from %d to %d bytes (appended to, or rewritten in place)", b.Size(), a.Size())
		case b.Size() != a.Size() || !b.ModTime().Equal(a.ModTime()):
			what = fmt.Sprintf("was rewritten in place (%d bytes modified at %s, then %d bytes modified at %s)",
				b.Size(), b.ModTime().UTC().Format(time.RFC3339Nano), a.Size(), a.ModTime().UTC().Format(time.RFC3339Nano))
		case changedSince(b, a):
			what = "was rewritten in place, its modification time then set back (as cp -p and rsync --inplace --times do), " +
				"or its owner or permissions changed"
		}
		if what != "" {
			if how == "" {
				how = what
			}
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	others := ""
	if len(changed) > 1 {
		others = fmt.Sprintf(" (and %d other files changed too)", len(changed)-1)
	}
	do := "Write each file whole under another name and rename it into place (DuckDB's COPY ... TO does so)"
	if strings.HasPrefix(how, "grew") {
		// A log another process appends to all the time would fail every run, each the same way.
		do = "A file another process keeps appending to (a log) fails every run during which it grows: have the " +
			"model read only files the writer has finished (renamed, when it starts a new one, to names the model's " +
			"pattern matches and the file it writes does not), or a copy made between runs; any other file, write it whole under another name and " +
			"rename it into place"
	}
	return fmt.Errorf("%w: %q %s while the run read it%s, so the rows read may mix two versions of the files: "+
		"the run sends nothing, and the next one reads them again. %s: see docs/warehouses.md, DuckDB",
		ErrFileChanged, changed[0], how, others, do)
}
