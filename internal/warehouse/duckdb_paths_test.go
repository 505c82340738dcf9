//go:build cgo && linux

package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestDuckDBModelReadsNoProcessFiles: DuckDB runs inside the runner (and, at plan time, the
// provider) with its file and network access. A model may not read under /proc, /sys or /dev
// (read_text('/proc/self/environ') sent the process's environment, '/proc/*/environ' that of
// every process of its user, and read_csv of it named the model's columns after its first line
// at plan time), nor a cloud's metadata service; a file function's path must be a constant.
// Data files, tables and date spines stay readable.
func TestDuckDBModelReadsNoProcessFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(csv, []byte("id|name\n1|a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// dir/up links to /, so dir/up/../proc is /proc to the kernel (links before ".."), though
	// dir/proc lexically.
	if err := os.Symlink("/", filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "env")
	if err := os.Symlink("/proc/self/environ", link); err != nil {
		t.Fatal(err)
	}
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:", InitSQL: "CREATE TABLE dev (id INT); CREATE TABLE proc (id INT)"})
	ctx := context.Background()
	depth := strings.Repeat("../", strings.Count(dir, "/")+2)
	for _, q := range []string{
		"select content as id from read_text('/proc/self/environ')",
		"select content as id from read_text('/proc/*/environ')",
		"select * from read_csv('/proc/self/environ')",
		"select * from '/proc/self/environ'",
		"select content as id from read_text('file:///proc/self/environ')",
		"select content as id from read_text('/sys/class/net/lo/address')",
		"select content as id from read_blob('/dev/stdin')",
		"select content as id from read_text('//proc/./self/../self/environ')",
		"select content as id from read_text('" + depth + "proc/self/environ')",
		"select content as id from read_text('/*/self/environ')",
		"select content as id from read_text('/pro?/self/environ')",
		"select content as id from read_text('/[p]roc/self/environ')",
		"select content as id from read_text('/**/environ')",
		"select content as id from read_text('/pr' || 'oc/self/environ')",
		"select content as id from read_text(concat('/proc', '/self/environ'))",
		"select r.content as id from (select '/proc/self/environ' as p) t, lateral read_text(t.p) r",
		"with x as (select content as id from read_text('/proc/self/environ')) select * from x",
		"select 1 as id where exists (select 1 from read_text('/proc/self/environ'))",
		"select content as id from read_text(['" + csv + "', '/proc/self/environ'])",
		"select content as id from read_text('" + link + "')",
		"select content as id from read_text('" + dir + "/up/../proc/*/environ')",
		"select content as id from read_text('" + dir + "/up/../proc/self/environ')",
		"select content as id from read_text('http://169.254.169.254/latest/meta-data/iam/security-credentials/')",
		"select content as id from read_text('http://metadata.google.internal/computeMetadata/v1/')",
		"select content as id from read_text('http://[fd00:ec2::254]/latest/meta-data/')",
	} {
		_, err := src.Describe(ctx, q)
		if !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("describe of %q: %v, want it refused as not read-only", q, err)
		}
		if r, err := src.Open(ctx, q, "id", nil); err == nil {
			r.Close()
			t.Errorf("a read of %q opened", q)
		}
	}
	for _, q := range []string{
		"select * from read_csv('" + csv + "', delim = '|', header = true, quote = '*', escape = '?')",
		"select * from read_csv(['" + csv + "'], delim = '|', columns = {'id': 'INT', 'name': 'VARCHAR'}, skip = 1)",
		"select * from '" + csv + "'",
		"select d::DATE as id from generate_series(current_date - 7, current_date, INTERVAL 1 DAY) t(d)",
		"select range as id from range(3)",
		"select * from dev union all select * from proc",
	} {
		if _, err := src.Describe(ctx, q); err != nil {
			t.Errorf("describe of %q: %v, want its columns", q, err)
		}
	}
}

// duckRefusedQueries fails t for each query Describe does not refuse as not read-only, and for
// each a read of it opens.
func duckRefusedQueries(t *testing.T, src *DuckDB, queries ...string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range queries {
		if _, err := src.Describe(ctx, q); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("describe of %q: %v, want it refused as not read-only", q, err)
		}
		if r, err := src.Open(ctx, q, "id", nil); err == nil {
			r.Close()
			t.Errorf("a read of %q opened", q)
		}
	}
}

// TestDuckDBModelReadsNoProcessFileByFileURL: DuckDB reads file:/p and file://localhost/p as
// /p, so read_text('file:/proc/self/environ') sent the runner's environment.
func TestDuckDBModelReadsNoProcessFileByFileURL(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	duckRefusedQueries(t, src,
		"select content as id from read_text('file:/proc/self/environ')",
		"select content as id from read_text('FILE:/proc/self/environ')",
		"select content as id from read_text('file://localhost/proc/self/environ')",
		"select content as id from read_text('file://LOCALHOST/proc/self/environ')",
		"select content as id from read_text('file:file:/proc/self/environ')",
		"select content as id from read_text(['file:/sys/class/net/lo/address'])",
		"select * from 'file:/proc/self/environ'",
	)
}

// TestDuckDBModelReadsNoProcessFileThroughPatternLinks: a pattern reads every file it matches,
// through links: read_text('<dir>/l*') read <dir>/link, a link to /proc/self/environ (as
// '/etc/mt*' reads /etc/mtab, a link to /proc/mounts), though the pattern's fixed part <dir> is
// no link. A pattern over data files, links among them, still reads.
func TestDuckDBModelReadsNoProcessFileThroughPatternLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"a/b", "data/x=1"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"a/b/env":     "/proc/self/environ",
		"a/self":      "/proc/self",
		"a/b/up":      "/",
		"lnk":         "/proc/self/environ",
		"data/latest": filepath.Join(dir, "data/x=1"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "data/x=1/part.csv"), []byte("id\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	duckRefusedQueries(t, src,
		"select content as id from read_text('"+dir+"/l*')",
		"select content as id from read_text('"+dir+"/ln?')",
		"select content as id from read_text('"+dir+"/[l]nk')",
		"select content as id from read_text('"+dir+"/a/*/env')",
		"select content as id from read_text('"+dir+"/**/env')",
		"select content as id from read_text('"+dir+"/a/s*/environ')",
		"select content as id from read_text('"+dir+"/a/b/u*/proc/self/environ')",
		"select content as id from read_text('"+dir+"/a/b/u*/proc/version')",
		"select content as id from read_text('"+dir+"/a/b/u?/etc/../proc/version')",
		"select content as id from read_text('file:"+dir+"/**')",
		"select * from '"+dir+"/l*'",
	)
	ctx := context.Background()
	for _, q := range []string{
		"select * from read_csv('" + dir + "/data/**/*.csv', hive_partitioning = true)",
		"select * from read_csv('" + dir + "/data/*/*.csv')",
		"select * from read_csv('" + dir + "/data/latest/part.csv')",
	} {
		if _, err := src.Describe(ctx, q); err != nil {
			t.Errorf("describe of %q: %v, want its columns", q, err)
		}
	}
}

// TestDuckDBModelReadsNoFIFO: a model reading a FIFO (or a socket, or a device outside /dev)
// hung the plan (read_csv's sniffing, as the model was described) and the run (read_text),
// whatever the statement timeout: DuckDB waits inside open(2) for a writer, where its interrupt
// does not reach. Named, through a link, matched by a pattern or by **, it is refused. The
// writer here ends each such wait (it opens the FIFO once a reader has, and closes it) so that
// the test ends without the check too, failing.
func TestDuckDBModelReadsNoFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data/sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "data/sub/users.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fifo, filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			// Fails (ENXIO) until a reader has the FIFO open.
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
	}()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	duckRefusedQueries(t, src,
		"select * from read_csv('"+fifo+"')",
		"select content as id from read_text('"+fifo+"')",
		"select content as id from read_text('"+dir+"/link.csv')",
		"select content as id from read_text('"+dir+"/data/*/*.csv')",
		"select content as id from read_text('"+dir+"/data/**')",
		"select content as id from read_text('file:"+dir+"/data/**/users.csv')",
		"select * from '"+dir+"/link.csv'",
	)
}

// TestDuckDBModelReadsNoMetadataServiceHowever: the metadata service's address written as a C
// resolver reads it (decimal, hex, octal, short forms), IPv4-mapped or -compatible, with a
// port, behind userinfo, or in a URL Go cannot parse ('%zz') was read. A URL of another host is
// not refused (it fails here only because httpfs cannot be installed).
func TestDuckDBModelReadsNoMetadataServiceHowever(t *testing.T) {
	t.Parallel()
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	var queries []string
	for _, u := range []string{
		"http://2852039166/latest/meta-data/",
		"http://0xA9FEA9FE/latest/meta-data/",
		"http://0xa9.0xfe.0xa9.0xfe/",
		"http://0251.0376.0251.0376/",
		"http://169.254.43518/",
		"http://169.16689662/",
		"HTTP://169.254.169.254:80/",
		"http://169.254.169.254./",
		"http://[::ffff:169.254.169.254]/",
		"http://[::ffff:a9fe:a9fe]:80/",
		"http://[::169.254.169.254]/",
		"http://[fe80::1%25eth0]/",
		"http://user@169.254.169.254/",
		"http://169.254.169.254@example.com/",
		`http://example.com\@169.254.169.254/`,
		"http://169.254.169.254/%zz",
		"http://169.254.169.254 /",
		"http://100.100.100.200/latest/meta-data/",
		"http://instance-data/latest/meta-data/",
		"https://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
		"s3://169.254.169.254/x",
	} {
		queries = append(queries, "select content as id from read_text('"+u+"')")
	}
	duckRefusedQueries(t, src, queries...)
	ctx := context.Background()
	for _, u := range []string{"https://example.com/data.csv", "http://10.1.2.3:8080/x.csv", "https://[2001:db8::1]/x.csv"} {
		if _, err := src.Describe(ctx, "select * from read_csv('"+u+"')"); errors.Is(err, ErrNotReadOnly) {
			t.Errorf("describe of read_csv(%q): %v, want it not refused", u, err)
		}
	}
}

// TestDuckDBModelRunsNoSerializedSQL: json_execute_serialized_sql runs the statements of the
// JSON it is given, which the model's parse does not show: given json_serialize_sql of a
// read_text('/proc/self/environ'), it read the runner's environment.
func TestDuckDBModelRunsNoSerializedSQL(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var inner string
	if err := db.QueryRow("SELECT CAST(json_serialize_sql(?) AS VARCHAR)",
		"select content as id from read_text('/proc/self/environ')").Scan(&inner); err != nil {
		t.Fatal(err)
	}
	lit := "'" + strings.ReplaceAll(inner, "'", "''") + "'"
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	duckRefusedQueries(t, src,
		"select * from json_execute_serialized_sql("+lit+")",
		"select * from (select 1) t, JSON_EXECUTE_SERIALIZED_SQL("+lit+")",
	)
}

// TestDuckDBModelReadsNoProcessFileByNamedArgument: a table macro reads a table named by a named
// argument, not the first: histogram_values(col_name := 'id', source := '<dir>/env.csv') read
// <dir>/env.csv, a link to /proc/self/environ, since only the first argument was checked.
func TestDuckDBModelReadsNoProcessFileByNamedArgument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	link := filepath.Join(dir, "env.csv")
	if err := os.Symlink("/proc/self/environ", link); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(csv, []byte("id|day\n1|05/12/2026\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:"})
	duckRefusedQueries(t, src,
		"select bin::varchar as id from histogram_values(col_name := 'column0', source := '"+link+"')",
		"select bin::varchar as id from histogram_values(col_name := 'column0', source := 'file:/proc/self/environ')",
		"select bin::varchar as id from histogram(col_name := 'column0', source := 'http://169.254.169.254/x.csv')",
	)
	q := "select * from read_csv('" + csv + "', delim = '|', dateformat = '%d/%m/%Y', columns = {'id': 'INT', 'day': 'DATE'}, skip = 1)"
	if _, err := src.Describe(context.Background(), q); err != nil {
		t.Errorf("describe of %q: %v, want its columns", q, err)
	}
}

// TestDuckDBModelReadsNoProcessFileFromSearchPath: DuckDB reads a relative path from each
// directory of file_search_path too, and "~" as home_directory says, settings init_sql may make
// (SET file_search_path = '/data', where a model's files are): with them,
// read_text('../../proc/self/environ') and (home_directory '/') read_text('~/proc/self/environ') sent the runner's
// environment, the check having resolved them from the working directory and $HOME. A relative
// path to a data file there stays readable.
func TestDuckDBModelReadsNoProcessFileFromSearchPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // its depth is / and one or more names
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte("id\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// From dir, up is /; from the working directory (deeper here) it is not. "~" is / to DuckDB,
	// $HOME to the check.
	up := strings.Repeat("../", strings.Count(dir, "/"))
	src := NewDuckDB(&controlplane.DuckDBConfig{Database: ":memory:",
		InitSQL: "SET file_search_path = '/nonexistent/backflow," + dir + "'; SET home_directory = '/'"})
	ctx := context.Background()
	for _, q := range []string{
		"select content as id from read_text('" + up + "proc/self/environ')",
		"select content as id from read_text('~/proc/self/environ')",
		"select content as id from read_text('" + up + "proc/self/*')",
	} {
		_, err := src.Describe(ctx, q)
		if !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), "/proc") {
			t.Errorf("describe of %q: %v, want it refused as reading under /proc", q, err)
		}
	}
	if _, err := src.Describe(ctx, "select id from read_csv('users.csv')"); err != nil {
		t.Errorf("a data file of file_search_path: %v", err)
	}
}
