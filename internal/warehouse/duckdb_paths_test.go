//go:build cgo && linux

package warehouse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
