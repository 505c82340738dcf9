//go:build cgo

package warehouse

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// TestDuckDBFileChangedDuringRead: a file a model reads that changes while the read goes on
// fails the read, naming the file and how it changed, whatever DuckDB made of it. Each read
// takes a few rows, then the test changes the files, then reads the rest: before 6 Dec 2026 a
// Parquet or CSV file rewritten in place so was read half old, half new, and a file of a pattern
// replaced so was read new while the others were read old, and the read ended without an error:
// a mirror sent `deleted` for keys both versions hold.
func TestDuckDBFileChangedDuringRead(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, model string
		files       map[string]string // written with v = 1 before the read: name and the condition on its users' ids
		change      func(w *duckFileWriter)
		want        string // the file, then how it changed
		init        string // the connection's init_sql, %s the test's directory
	}{
		{"parquet rewritten in place", "read_parquet('%s/users.parquet')", map[string]string{"users.parquet": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`, ""},
		{"csv rewritten in place", "read_csv('%s/users.csv', buffer_size = 65536)", map[string]string{"users.csv": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.csv", "i < 50000") }, `users.csv" was rewritten in place`, ""},
		// As cp -p and rsync --inplace --times do: a file of the same size, its modification time
		// set back to what it was.
		{"parquet rewritten in place, its times kept", "read_parquet('%s/users.parquet')", map[string]string{"users.parquet": "i < 50000"},
			func(w *duckFileWriter) { w.inPlaceKeepingTimes("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`, ""},
		{"csv truncated in place", "read_csv('%s/users.csv', buffer_size = 65536)", map[string]string{"users.csv": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.csv", "i < 10") }, `users.csv" was rewritten in place`, ""},
		// Keys 40000-40999 move from the last file to the first, each published by a rename: the
		// first is being read (old), the last is not opened yet (new), so neither holds them.
		{"keys moved between files of a pattern", "read_parquet('%s/part-*.parquet')",
			map[string]string{"part-1.parquet": "i < 20000", "part-2.parquet": "i BETWEEN 20000 AND 39999", "part-3.parquet": "i BETWEEN 40000 AND 59999"},
			func(w *duckFileWriter) {
				w.renamed("part-3.parquet", "i BETWEEN 41000 AND 59999")
				w.renamed("part-1.parquet", "i < 20000 OR i BETWEEN 40000 AND 40999")
			}, `part-1.parquet" was replaced by another file`, ""},
		{"a file added to a pattern", "read_parquet('%s/part-*.parquet')",
			map[string]string{"part-1.parquet": "i < 20000", "part-2.parquet": "i BETWEEN 20000 AND 39999"},
			func(w *duckFileWriter) { w.renamed("part-0.parquet", "i BETWEEN 40000 AND 40009") }, `part-0.parquet" was added`, ""},
		{"a file of a pattern removed", "read_parquet('%s/part-*.parquet')",
			map[string]string{"part-1.parquet": "i < 20000", "part-2.parquet": "i BETWEEN 20000 AND 39999", "part-3.parquet": "i BETWEEN 40000 AND 59999"},
			func(w *duckFileWriter) { w.remove("part-3.parquet") }, `part-3.parquet" was removed`, ""},
		// A log another process appends to: the read may take a line half written.
		{"csv appended to", "read_csv('%s/users.csv', buffer_size = 65536)", map[string]string{"users.csv": "i < 50000"},
			func(w *duckFileWriter) { w.appended("users.csv", "50000,2,x\n") }, `users.csv" grew from`, ""},
		{"a file of a list rewritten in place", "read_csv(['%[1]s/a.csv', '%[1]s/b.csv'], buffer_size = 65536)",
			map[string]string{"a.csv": "i < 20000", "b.csv": "i BETWEEN 20000 AND 39999"},
			func(w *duckFileWriter) { w.inPlace("b.csv", "i BETWEEN 20000 AND 39999") }, `b.csv" was rewritten in place`, ""},
		{"a file named as a table rewritten in place", "'%s/users.parquet'", map[string]string{"users.parquet": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`, ""},
		{"a file a view of init_sql reads, through another view", "everyone", map[string]string{"users.parquet": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`,
			`CREATE SCHEMA lake; CREATE VIEW lake."Users" AS SELECT * FROM read_parquet('%s/users.parquet');
			CREATE VIEW everyone AS WITH u AS (SELECT * FROM lake.users) SELECT * FROM u`},
		{"a file a view with a dot in its name reads", `"lake.users"`, map[string]string{"users.parquet": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`,
			`CREATE VIEW "lake.users" AS SELECT * FROM read_parquet('%s/users.parquet')`},
		{"a file a table macro of init_sql reads, through a view", "everyone()", map[string]string{"users.parquet": "i < 50000"},
			func(w *duckFileWriter) { w.inPlace("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`,
			`CREATE VIEW users AS SELECT * FROM read_parquet('%s/users.parquet');
			CREATE MACRO everyone() AS TABLE SELECT * FROM users`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newDuckFileWriter(t)
			for name, cond := range c.files {
				w.write(name, cond, 1)
			}
			w.age()
			// DuckDB computes up to streaming_buffer_size ahead of the rows handed over (976 KB by
			// default, every row of these files): a smaller one makes these reads read most of their
			// files after the change, as a larger file's read does.
			src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
				InitSQL: "SET streaming_buffer_size = '16KB'; " + strings.ReplaceAll(c.init, "%s", w.dir)})
			model := c.model
			if strings.Contains(model, "%") {
				model = fmt.Sprintf(model, w.dir)
			}
			readChanging(t, src, "select id, v from "+model, func() { c.change(w) }, c.want)
		})
	}
}

// TestDuckDBFileChangedUnderAViewOfTheDatabase: a view of the database file over a Parquet file,
// as dbt-duckdb's external materializations write, whose file is rewritten in place during a read.
func TestDuckDBFileChangedUnderAViewOfTheDatabase(t *testing.T) {
	t.Parallel()
	w := newDuckFileWriter(t)
	w.write("users.parquet", "i < 50000", 1)
	w.age()
	path, _ := warehousetest.NewDuckDBFile(t, fmt.Sprintf("CREATE VIEW users AS SELECT * FROM read_parquet('%s/users.parquet')", w.dir))
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path, InitSQL: "SET streaming_buffer_size = '16KB'"})
	readChanging(t, src, "select id, v from users", func() { w.inPlace("users.parquet", "i < 50000") }, `users.parquet" was rewritten in place`)
}

// readChanging reads query (id, v) on src, calls change once 4096 rows are read, reads the rest,
// and fails t unless the read failed with ErrFileChanged saying want.
func readChanging(t *testing.T, src *DuckDB, query string, change func(), want string) {
	t.Helper()
	s, err := src.Open(context.Background(), query, "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, versions := 0, map[string]int{}
	for s.Next() {
		if n++; n == 4096 {
			change()
		}
		versions[string(s.AppendValue(nil, 1))]++
	}
	if err := s.Err(); !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), want) {
		t.Fatalf("read %d rows (by v: %v), error %v; want it to fail with %q", n, versions, err, want)
	}
}

// TestDuckDBFilesChangedBetweenReads: files published between reads (written whole, renamed into
// place), the next read reads the new version, without an error; and a read of files nobody
// changes reads them as they are.
func TestDuckDBFilesChangedBetweenReads(t *testing.T) {
	t.Parallel()
	w := newDuckFileWriter(t)
	w.write("part-1.parquet", "i < 100", 1)
	w.write("part-2.parquet", "i BETWEEN 100 AND 199", 1)
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	query := fmt.Sprintf("select id, v from read_parquet('%s/part-*.parquet')", w.dir)
	read := func() map[string]int {
		t.Helper()
		objs, _ := readMySQL(t, src, query, "id")
		versions := map[string]int{}
		for _, o := range objs {
			versions[fmt.Sprint(decode(t, []byte(o)).(map[string]any)["v"])]++
		}
		return versions
	}
	if got := read(); !cmp.Equal(got, map[string]int{"1": 200}) {
		t.Errorf("first read: %v", got)
	}
	w.renamed("part-2.parquet", "i BETWEEN 100 AND 149")
	w.renamed("part-3.parquet", "i BETWEEN 150 AND 249")
	if got := read(); !cmp.Equal(got, map[string]int{"1": 100, "2": 150}) {
		t.Errorf("read after the files were published: %v", got)
	}
}

func TestDuckLocalPaths(t *testing.T) {
	t.Parallel()
	c, err := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"}).connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, tc := range []struct {
		query         string
		paths, tables []string
	}{
		{"select * from read_parquet('/d/a.parquet')", []string{"/d/a.parquet"}, nil},
		{"select * from read_csv(['/d/a.csv', 'b.csv'], header = true, dateformat = '%d/%m/%Y')", []string{"/d/a.csv", "b.csv"}, nil},
		{"select * from 'users.parquet' join read_json('~/x/*.json') using (id)", []string{"users.parquet", "~/x/*.json"}, []string{"users.parquet"}},
		{"select * from read_parquet('s3://bucket/*.parquet') union all select * from read_parquet('file:///d/a.parquet')",
			[]string{"file:///d/a.parquet"}, nil},
		{"with t as (select * from read_parquet('/d/a.parquet')) select * from t, range(3) join users using (id)",
			[]string{"/d/a.parquet"}, []string{"t", "users"}},
		{"select * from users(3) join read_xlsx('/d/a.xlsx') using (id)", []string{"/d/a.xlsx"}, []string{"read_xlsx()", "users()"}},
		{"select * from main.users", nil, []string{"users"}},
		{`select * from "lake.users" join 'u.csv' using (id)`, []string{"lake.users", "u.csv"}, []string{"lake.users", "u.csv"}},
	} {
		ast, err := c.parse(context.Background(), tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var tree any
		if err := json.Unmarshal([]byte(ast), &tree); err != nil {
			t.Fatal(err)
		}
		paths, tables := duckLocalPaths(tree)
		slices.Sort(paths)
		slices.Sort(tables)
		slices.Sort(tc.paths)
		if diff := cmp.Diff(tc.paths, paths); diff != "" {
			t.Errorf("%s: paths (-want +got):\n%s", tc.query, diff)
		}
		if diff := cmp.Diff(tc.tables, tables); diff != "" {
			t.Errorf("%s: tables (-want +got):\n%s", tc.query, diff)
		}
	}
}

// TestDuckViewQuery: a view's query, from its SQL as duckdb_views() writes it, whatever its name
// and columns hold.
func TestDuckViewQuery(t *testing.T) {
	t.Parallel()
	for def, want := range map[string]string{
		"CREATE VIEW users AS SELECT * FROM read_parquet('/d/*.parquet');":    "SELECT * FROM read_parquet('/d/*.parquet')",
		`CREATE VIEW "we ird AS x" (a, b) AS SELECT 1, 2 FROM "/d/y.csv";`:    `SELECT 1, 2 FROM "/d/y.csv"`,
		`CREATE VIEW "x""y" ("a)b", "c "" AS d", e) AS SELECT 1, 2, 3;`:       "SELECT 1, 2, 3",
		`CREATE VIEW Users2 AS SELECT 1 AS "AS";`:                             `SELECT 1 AS "AS"`,
		"CREATE VIEW s.v AS WITH t AS (SELECT * FROM users) SELECT * FROM t;": "WITH t AS (SELECT * FROM users) SELECT * FROM t",
		"CREATE TEMP VIEW tv AS SELECT 1 AS a;":                               "SELECT 1 AS a",
		"CREATE TABLE t AS SELECT 1;":                                         "",
	} {
		got, ok := duckViewQuery(def)
		if got != want || ok != (want != "") {
			t.Errorf("duckViewQuery(%q) = %q, %v; want %q", def, got, ok, want)
		}
	}
}

// duckFileWriter writes a test's Parquet and CSV files of users (id, v, pad) through a DuckDB
// database of its own.
type duckFileWriter struct {
	t   *testing.T
	db  *sql.DB
	dir string
}

func newDuckFileWriter(t *testing.T) *duckFileWriter {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return &duckFileWriter{t: t, db: db, dir: t.TempDir()}
}

// write writes the users whose ids (i, up to 60000) match cond, of version v, to name in the
// test's directory, as DuckDB's COPY ... TO does: Parquet in row groups of 2048, CSV with a header.
func (w *duckFileWriter) write(name, cond string, v int) {
	w.t.Helper()
	format := "FORMAT parquet, ROW_GROUP_SIZE 2048"
	if strings.HasSuffix(name, ".csv") {
		format = "FORMAT csv, HEADER true"
	}
	q := fmt.Sprintf("COPY (SELECT i AS id, %d AS v, repeat('x', 40) AS pad FROM range(60000) AS r(i) WHERE %s) TO '%s' (%s)",
		v, cond, filepath.Join(w.dir, name), format)
	if _, err := w.db.Exec(q); err != nil {
		w.t.Fatal(err)
	}
}

// age sets every file's modification time an hour back, so that a rewrite, however soon, changes it.
func (w *duckFileWriter) age() {
	w.t.Helper()
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(w.dir, e.Name()), past, past); err != nil {
			w.t.Fatal(err)
		}
	}
}

// inPlace rewrites name with the users cond matches, of version 2, in place: truncated and written again
// (as pandas' to_csv or cp does), the same file.
func (w *duckFileWriter) inPlace(name, cond string) {
	w.t.Helper()
	next := "next" + filepath.Ext(name)
	w.write(next, cond, 2)
	b, err := os.ReadFile(filepath.Join(w.dir, next))
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, name), b, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// inPlaceKeepingTimes is inPlace, then the file's modification time set back to what it was.
func (w *duckFileWriter) inPlaceKeepingTimes(name, cond string) {
	w.t.Helper()
	fi, err := os.Stat(filepath.Join(w.dir, name))
	if err != nil {
		w.t.Fatal(err)
	}
	// The rewrite is to change the file's change time, which the kernel takes from a clock that
	// moves in ticks of milliseconds: first, until a file written now has a later one.
	was, _ := changeTime(fi)
	probe := filepath.Join(w.t.TempDir(), "probe")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err := os.WriteFile(probe, nil, 0o600); err != nil {
			w.t.Fatal(err)
		}
		p, err := os.Stat(probe)
		if err != nil {
			w.t.Fatal(err)
		}
		if now, ok := changeTime(p); !ok || now.After(was) {
			break
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("a file written now has the change time of %s, written before", name)
		}
	}
	w.inPlace(name, cond)
	if err := os.Chtimes(filepath.Join(w.dir, name), fi.ModTime(), fi.ModTime()); err != nil {
		w.t.Fatal(err)
	}
}

// renamed publishes name with the users cond matches, of version 2: written whole, then renamed
// into place.
func (w *duckFileWriter) renamed(name, cond string) {
	w.t.Helper()
	next := "next" + filepath.Ext(name)
	w.write(next, cond, 2)
	if err := os.Rename(filepath.Join(w.dir, next), filepath.Join(w.dir, name)); err != nil {
		w.t.Fatal(err)
	}
}

// appended appends text to name, the same file, as a process writing a log does.
func (w *duckFileWriter) appended(name, text string) {
	w.t.Helper()
	f, err := os.OpenFile(filepath.Join(w.dir, name), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		w.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		w.t.Fatal(err)
	}
}

func (w *duckFileWriter) remove(name string) {
	w.t.Helper()
	if err := os.Remove(filepath.Join(w.dir, name)); err != nil {
		w.t.Fatal(err)
	}
}

// TestDuckDBFileHeldByWriter: a DuckDB database file that another process holds open for writing
// (this test's binary, run again as the writer) fails a read as it opens the file, saying what
// that means; once the writer has closed it, the next read reads what it wrote. While a read has
// the file open, a writer cannot open it.
func TestDuckDBFileHeldByWriter(t *testing.T) {
	if path := os.Getenv("BACKFLOW_TEST_DUCKDB_WRITER"); path != "" {
		duckWriter(path)
		return
	}
	t.Parallel()
	path, _ := warehousetest.NewDuckDBFile(t, "CREATE TABLE users (id INTEGER, v INTEGER); INSERT INTO users VALUES (1, 1), (2, 1)")
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: path})
	ctx := context.Background()

	w := startDuckWriter(t, path)
	if got := w.line(); got != "wrote" {
		t.Fatalf("the writer said %q", got)
	}
	_, err := src.Open(ctx, "select * from users", "id", nil)
	if err == nil || !strings.Contains(err.Error(), "another process has the database file open for writing") ||
		!strings.Contains(err.Error(), "the next one reads the file once that process has closed it") ||
		!strings.Contains(err.Error(), "Conflicting lock is held in") {
		t.Errorf("a read while another process writes the file: %v", err)
	}
	w.stop()
	if _, keys := readMySQL(t, src, "select * from users", "id"); len(keys) != 3 {
		t.Errorf("the read after the writer closed the file read keys %v, want the writer's third", keys)
	}

	s, err := src.Open(ctx, "select * from users", "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w = startDuckWriter(t, path)
	if got := w.line(); !strings.Contains(got, "Could not set lock on file") {
		t.Errorf("a writer while a read has the file open said %q", got)
	}
	w.stop()
}

// duckWriter is TestDuckDBFileHeldByWriter's writer process: it adds a user to the database file
// at path and says "wrote" (or its error) on a line, then holds the file until its input closes.
func duckWriter(path string) {
	db, err := sql.Open("duckdb", path)
	if err == nil {
		defer db.Close()
		_, err = db.Exec("INSERT INTO users VALUES (3, 1)")
	}
	if err != nil {
		fmt.Println(strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Println("wrote")
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}

type duckWriterProcess struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines *bufio.Reader
}

func startDuckWriter(t *testing.T, path string) *duckWriterProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDuckDBFileHeldByWriter$")
	cmd.Env = append(os.Environ(), "BACKFLOW_TEST_DUCKDB_WRITER="+path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &duckWriterProcess{t: t, cmd: cmd, in: in, lines: bufio.NewReader(out)}
	t.Cleanup(w.stop)
	return w
}

// line is the writer's first line of output.
func (w *duckWriterProcess) line() string {
	w.t.Helper()
	l, err := w.lines.ReadString('\n')
	if err != nil {
		w.t.Fatalf("the writer process said nothing: %v", err)
	}
	return strings.TrimSpace(l)
}

// stop closes the writer's input, and so the file, and waits for it to exit.
func (w *duckWriterProcess) stop() {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.in.Close()
	_, _ = io.Copy(io.Discard, w.lines)
	_ = w.cmd.Wait()
}
