package warehouse

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
)

// newAdvMySQL creates a database adv_my_<random> in charset (utf8mb4 when empty) on the test
// server, runs setup in it (multiple statements), drops it at cleanup, and returns a source
// reading it and a handle on it for fixtures.
func newAdvMySQL(t *testing.T, charset, setup string) (*MySQL, *sql.DB, string) {
	t.Helper()
	if charset == "" {
		charset = "utf8mb4"
	}
	admin := openAdvMySQL(t, "")
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "adv_my_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET " + charset); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin := openAdvMySQL(t, "")
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	db := openAdvMySQL(t, name)
	t.Cleanup(func() { _ = db.Close() })
	if setup != "" {
		if _, err := db.Exec(setup); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	u, _ := url.Parse(warehousetest.MySQLAdminURL())
	u.Path = "/" + name
	return NewMySQL(&controlplane.MySQLConfig{URL: u.String()}), db, u.String()
}

func openAdvMySQL(t *testing.T, dbName string) *sql.DB {
	t.Helper()
	cfg, err := ParseMySQLURL(warehousetest.MySQLAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName, cfg.MultiStatements = dbName, true
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	return db
}

// readAdvKeys reads query keyed on key and returns, per row in order, the key's text
// ("<null>" for none), the JSON its upsert sends for the key column, and the JSON a mirror's
// delete sends for that text (KeyJSON).
func readAdvKeys(t *testing.T, src *MySQL, query, key string) (keys, upserts, deletes []string) {
	t.Helper()
	cols, err := src.Describe(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	col := slices.IndexFunc(cols, func(c controlplane.Column) bool { return c.Name == key })
	if col < 0 {
		t.Fatalf("%s: no column %q in %v", query, key, cols)
	}
	keyJSON := src.KeyJSON(cols[col])
	rows, err := Read(context.Background(), src, query, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		up := string(rows.AppendValue(nil, col))
		if !json.Valid([]byte(up)) {
			t.Errorf("%s: invalid JSON %q", query, up)
		}
		k, null := rows.Key()
		if null {
			keys, upserts, deletes = append(keys, "<null>"), append(upserts, up), append(deletes, "")
			continue
		}
		del := string(appendString(nil, k))
		if keyJSON != nil {
			del = string(keyJSON(nil, k))
		}
		keys, upserts, deletes = append(keys, string(k)), append(upserts, up), append(deletes, del)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, upserts, deletes
}

// checkAdvKeys: every key a row is sent under (a key with a text, not repeated) is named by a
// mirror's delete as its upsert named it, and no two keys are sent as the same JSON (a receiver
// could not tell them apart, and a delete of one would name both).
func checkAdvKeys(t *testing.T, what string, keys, upserts, deletes []string) {
	t.Helper()
	count := map[string]int{}
	for _, k := range keys {
		count[k]++
	}
	sent := map[string]string{}
	for i, k := range keys {
		if k == "<null>" || count[k] > 1 {
			continue
		}
		if deletes[i] != upserts[i] {
			t.Errorf("%s: key %q: its upsert sends %s, a mirror's delete %s", what, k, upserts[i], deletes[i])
		}
		if other, dup := sent[upserts[i]]; dup {
			t.Errorf("%s: keys %q and %q are both sent as %s", what, other, k, upserts[i])
		}
		sent[upserts[i]] = k
	}
}

// TestMySQLBinaryKeysNotUTF8: a binary key whose bytes are not UTF-8 has no text (NULL: the
// row is invalid, never sent), on MariaDB as on MySQL; MariaDB's CONVERT replaced each such
// byte by '?', so 0xFF alone was sent under the key "?" (upserts "/w==", a delete "Pw==") and
// 0xFF and '?' were one key.
func TestMySQLBinaryKeysNotUTF8(t *testing.T) {
	t.Parallel()
	src, _, _ := newAdvMySQL(t, "", `CREATE TABLE b (k varbinary(8), v int);
	INSERT INTO b VALUES (0xFF, 1), ('?', 2), (0x61FE, 3), ('a', 4), (0xC3A9, 5), (0xC3, 6), (0xEDA080, 7), (NULL, 8), ('', 9);
	CREATE TABLE bb (k blob, v int); INSERT INTO bb SELECT * FROM b;
	CREATE TABLE bf (k binary(2), v int); INSERT INTO bf VALUES (0xFFFF, 1), ('??', 2), ('ab', 3), (0xC3A9, 4)`)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"select k, v from b", []string{"", "?", "a", "é", "<null>", "<null>", "<null>", "<null>", "<null>"}},
		{"select k, v from bb", []string{"", "?", "a", "é", "<null>", "<null>", "<null>", "<null>", "<null>"}},
		{"select k, v from bf", []string{"??", "ab", "é", "<null>"}},
		{"select unhex(hex(k)) as k, v from b", []string{"", "?", "a", "é", "<null>", "<null>", "<null>", "<null>", "<null>"}},
	} {
		keys, upserts, deletes := readAdvKeys(t, src, tc.query, "k")
		if diff := cmp.Diff(tc.want, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tc.query, diff)
		}
		checkAdvKeys(t, tc.query, keys, upserts, deletes)
	}
}

// TestMySQLBoolKeys: a BOOL (TINYINT(1)) key is sent as true for every value but 0, so its key
// is "1" or "0": rows of 1, 2 and -1 are one key (a duplicate, never sent), not three records
// sent as true (a mirror's delete of one, true, named the others too).
func TestMySQLBoolKeys(t *testing.T) {
	t.Parallel()
	src, _, _ := newAdvMySQL(t, "", `CREATE TABLE t (k bool, v int); INSERT INTO t VALUES (1, 1), (2, 2), (-1, 3), (0, 4), (NULL, 5);
	CREATE TABLE u (k tinyint(1) unsigned, v int); INSERT INTO u VALUES (0, 1), (7, 2)`)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"select k, v from t", []string{"0", "1", "1", "1", "<null>"}},
		{"select k, v from u", []string{"0", "1"}},
	} {
		keys, upserts, deletes := readAdvKeys(t, src, tc.query, "k")
		if diff := cmp.Diff(tc.want, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tc.query, diff)
		}
		checkAdvKeys(t, tc.query, keys, upserts, deletes)
	}
}

// TestMySQLKeysNotUTF8: a text key whose bytes are not UTF-8 (MariaDB's utf8mb4 and utf8mb3
// hold a surrogate's, 0xEDA080, and CONVERT keeps them) has no key: the row is invalid, never
// sent. Its text went to the ledger, whose Postgres text refuses it, and two such keys were
// sent as one string of U+FFFD.
func TestMySQLKeysNotUTF8(t *testing.T) {
	t.Parallel()
	src, _, _ := newAdvMySQL(t, "", `SET SESSION sql_mode = '';
	CREATE TABLE t (k varchar(20) CHARACTER SET utf8mb4, v int);
	INSERT INTO t VALUES (0xEDA080, 1), (0xEDBFBF, 2), ('x', 3), ('é', 4), (0x61EDA080, 5);
	CREATE TABLE t3 (k varchar(20) CHARACTER SET utf8mb3, v int);
	INSERT INTO t3 VALUES (0xEDA080, 1), ('y', 2)`)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"select k, v from t", []string{"x", "é"}},
		{"select k, v from t3", []string{"y"}},
		{"select convert(unhex('EDA080') using utf8mb4) as k, 1 as v union all select 'z', 2", []string{"z"}},
	} {
		keys, upserts, deletes := readAdvKeys(t, src, tc.query, "k")
		var valid []string
		for _, k := range keys {
			if !utf8.ValidString(k) {
				t.Errorf("%s: key %q is not UTF-8", tc.query, k)
			}
			if k != "<null>" {
				valid = append(valid, k)
			}
		}
		if diff := cmp.Diff(tc.want, valid); diff != "" {
			t.Errorf("%s: keys with a text (-want +got):\n%s", tc.query, diff)
		}
		checkAdvKeys(t, tc.query, keys, upserts, deletes)
	}
}

// TestMySQLURLColumnsWithAlias: the driver's columnsWithAlias=true in the URL named every
// column "m.<name>" (the derived table the model runs as): the model lost its key column, and
// a describe showed other names than the model's. The read names columns as the model does.
func TestMySQLURLColumnsWithAlias(t *testing.T) {
	t.Parallel()
	_, _, u := newAdvMySQL(t, "", `CREATE TABLE t (id int, name varchar(5)); INSERT INTO t VALUES (1, 'a')`)
	src := NewMySQL(&controlplane.MySQLConfig{URL: u + "?columnsWithAlias=true"})
	cols, err := src.Describe(context.Background(), "select * from t")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]controlplane.Column{{Name: "id", Type: "int"}, {Name: "name", Type: "varchar"}}, cols); diff != "" {
		t.Errorf("describe (-want +got):\n%s", diff)
	}
	keys, upserts, _ := readAdvKeys(t, src, "select * from t", "id")
	if diff := cmp.Diff([]string{"1"}, keys); diff != "" || upserts[0] != "1" {
		t.Errorf("keys (-want +got):\n%s; upserts %v", diff, upserts)
	}
}

// TestMySQLKilledMidRead: a read whose query or connection is killed from another session
// (KILL QUERY, KILL CONNECTION) while the server still streams it ends with an error, never as
// a shorter result (which a mirror would take for deletions).
func TestMySQLKilledMidRead(t *testing.T) {
	t.Parallel()
	src, db, _ := newAdvMySQL(t, "", `SET SESSION max_recursive_iterations = 100000;
	CREATE TABLE n (id int PRIMARY KEY);
	INSERT INTO n WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000) SELECT i FROM s`)
	for _, kill := range []string{"KILL QUERY", "KILL CONNECTION"} {
		// 30000 rows of 2 kB: more than socket buffers hold, so the server is still sending.
		s, err := src.Open(context.Background(), "select id, repeat('x', 2000) as pad, 'kill_marker' as m from n", "id", nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for s.Next() {
			if n++; n == 2 {
				var id int64
				if err := db.QueryRow(`SELECT id FROM information_schema.PROCESSLIST
					WHERE info LIKE '%kill_marker%' AND info NOT LIKE '%PROCESSLIST%'`).Scan(&id); err != nil {
					_ = s.Close()
					t.Fatal(err)
				}
				if _, err := db.Exec(fmt.Sprintf("%s %d", kill, id)); err != nil {
					_ = s.Close()
					t.Fatal(err)
				}
			}
		}
		err = s.Err()
		_ = s.Close()
		if err == nil || n >= 30000 {
			t.Errorf("%s after 2 rows: read %d rows, error %v; want fewer and an error", kill, n, err)
		}
	}
}

// TestMySQLVectorIsBase64: MySQL 9's VECTOR (the driver names it "VECTOR") is its floats'
// bytes on the wire: sent as base64 like the other binary types, as its delete names it, never
// as a string of those bytes (U+FFFD and stray characters). No server here has the type, so the
// codec is tested on the bytes MySQL sends for [1, -2] (little-endian float32s).
func TestMySQLVectorIsBase64(t *testing.T) {
	v := []byte{0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}
	c := myCodecFor("VECTOR", 0)
	if got := string(c.appendJSON(nil, v)); got != `"AACAPwAAAMA="` {
		t.Errorf("VECTOR [1, -2] is sent as %s, want \"AACAPwAAAMA=\"", got)
	}
	keyJSON := (&MySQL{}).KeyJSON(controlplane.Column{Name: "v", Type: "vector"})
	if keyJSON == nil {
		t.Fatal("a VECTOR key's delete names it as a string of its bytes, want base64")
	}
	if got := string(keyJSON(nil, v)); got != `"AACAPwAAAMA="` {
		t.Errorf("a VECTOR key's delete names it %s, want \"AACAPwAAAMA=\"", got)
	}
}

// TestMariaDBJSONNotUTF8: MariaDB's utf8mb4 holds a UTF-16 surrogate's bytes (0xEDA080), which
// json_valid takes, in a JSON column or a JSON function's result: such a value is sent as a
// string of its text, each bad byte U+FFFD, as a JSON function's of a binary argument is; it
// went out nested, bytes and all, a record that is not UTF-8.
func TestMariaDBJSONNotUTF8(t *testing.T) {
	t.Parallel()
	src, db, _ := newAdvMySQL(t, "", `CREATE TABLE t (id int PRIMARY KEY, j json); INSERT INTO t VALUES (2, '["ok"]')`)
	if !newMySQLIsMariaDB(t, src) {
		t.Skip("MySQL's utf8mb4 holds no surrogate")
	}
	if _, err := db.Exec(`SET SESSION sql_mode = ''; INSERT INTO t VALUES (1, CONCAT('["a', CONVERT(0xEDA080 USING utf8mb4), '"]'))`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"select id, j from t", []string{`"[\"a\ufffd\ufffd\ufffd\"]"`, `["ok"]`}},
		{"select id, json_array(convert(unhex('EDA080') using utf8mb4), id) as j from t",
			[]string{`"[\"\ufffd\ufffd\ufffd\", 1]"`, `"[\"\ufffd\ufffd\ufffd\", 2]"`}},
	} {
		rows, err := Read(context.Background(), src, tc.query, "id", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			v := rows.AppendValue(nil, 1)
			if !utf8.Valid(v) || !json.Valid(v) {
				t.Errorf("%s: j is sent as %q: not UTF-8 JSON", tc.query, v)
			}
			got = append(got, string(v))
		}
		err = rows.Err()
		_ = rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: j (-want +got):\n%s", tc.query, diff)
		}
	}
}
