package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Hashed fields, metadata fields and null omission through a real run: values as Postgres
// encodes them, hashed as their text; metadata sent but outside change detection.
func TestMappingTypes(t *testing.T) {
	t.Parallel()
	lower := []string{controlplane.NormalizeTrim, controlplane.NormalizeLowercase}
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, []controlplane.Mapping{
		{From: "id", To: "id"},
		{From: "email", To: "email_sha256", Hash: controlplane.HashSHA256, Normalize: lower},
		{Metadata: controlplane.MetadataSyncRunID, To: "run_id"},
		{From: "score", To: "score_sha256", Hash: controlplane.HashSHA256},
		{From: "vip", To: "vip_sha256", Hash: controlplane.HashSHA256},
		{From: "id", To: "id_sha256", Hash: controlplane.HashSHA256},
		{From: "updated_at", To: "updated_sha256", Hash: controlplane.HashSHA256},
		{From: "name", To: "name"},
		{Metadata: controlplane.MetadataOperation, To: "op"},
		{Metadata: controlplane.MetadataSyncRunAt, To: "run_at"},
		{Metadata: controlplane.MetadataSyncID, To: "sync"},
	})
	f.exec(`ALTER TABLE users ADD COLUMN score numeric;
		UPDATE users SET email = E' Ada@Example.COM\t', score = 3.50 WHERE id = 1;
		UPDATE users SET name = NULL WHERE id = 2`)
	f.sync.OmitNulls = true
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}

	run := f.run(controlplane.RunSucceeded, RunOptions{})
	_, recs := f.recv.Take("id")
	if len(recs) != 5 {
		t.Fatalf("first run sent %d records, want 5", len(recs))
	}
	byID := map[float64]map[string]any{}
	for _, r := range recs {
		byID[r.Data["id"].(float64)] = r.Data
	}
	ada := byID[1]
	for field, want := range map[string]any{
		"email_sha256":   sha("ada@example.com"), // trimmed (a tab too) and lower-cased first
		"score_sha256":   sha("3.50"),            // a numeric's exact text
		"vip_sha256":     sha("true"),
		"id_sha256":      sha("1"),
		"updated_sha256": sha("2019-12-08 14:19:52"), // the timestamp's string as sent
		"run_id":         float64(run.ID),
		"op":             "new",
		"run_at":         run.StartedAt.UTC().Format(time.RFC3339),
		"sync":           float64(f.sync.ID),
		"name":           "Ada",
	} {
		if ada[field] != want {
			t.Errorf("record 1: %s = %v, want %v", field, ada[field], want)
		}
	}
	if _, ok := byID[2]["name"]; ok {
		t.Errorf("record 2 has its NULL name with send_nulls off: %v", byID[2])
	}
	if _, ok := byID[3]["vip_sha256"]; ok {
		t.Errorf("record 3 has its NULL vip (hashed) with send_nulls off: %v", byID[3])
	}
	if _, ok := byID[2]["score_sha256"]; ok {
		t.Errorf("record 2 has its NULL score with send_nulls off: %v", byID[2])
	}

	// Nothing changed: the metadata differ (another run id and time) but nothing is sent.
	f.run(controlplane.RunSucceeded, RunOptions{})
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Fatalf("a run with nothing changed sent %v: metadata took part in change detection", got)
	}

	// Sending nulls changes the records that have one (all but Ada's have a NULL score); NULL
	// stays null when hashed.
	f.sync.OmitNulls = false
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	run3 := f.run(controlplane.RunSucceeded, RunOptions{})
	got, recs := f.recv.Take("id")
	if want := []string{"changed 10", "changed 2", "changed 3", "changed 4"}; !slices.Equal(got, want) {
		t.Fatalf("after send_nulls = true, sent %v, want %v", got, want)
	}
	for _, r := range recs {
		if r.Data["op"] != "changed" || r.Data["run_id"] != float64(run3.ID) {
			t.Errorf("record %v: op %v, run_id %v; want changed, %d", r.Data["id"], r.Data["op"], r.Data["run_id"], run3.ID)
		}
		if v, ok := r.Data["score_sha256"]; !ok || v != nil {
			t.Errorf("record %v: score_sha256 = %v (present %v), want null", r.Data["id"], v, ok)
		}
		if r.Data["id"] == float64(2) {
			if v, ok := r.Data["name"]; !ok || v != nil {
				t.Errorf("record 2: name = %v (present %v), want null", v, ok)
			}
		}
	}
}

// A mirror sync deleting a key whose mapping hashes it sends the hashed key, and its metadata.
func TestHashedKeyDeleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorMirror, []controlplane.Mapping{
		{From: "id", To: "id_sha256", Hash: controlplane.HashSHA256},
		{From: "email", To: "email"},
		{Metadata: controlplane.MetadataOperation, To: "op"},
	})
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id_sha256")
	f.exec(`DELETE FROM users WHERE id = 10`)
	f.run(controlplane.RunSucceeded, RunOptions{})
	got, recs := f.recv.Take("id_sha256")
	if want := []string{`deleted "` + sha("10") + `"`}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if recs[0].Data["op"] != "deleted" || len(recs[0].Data) != 2 {
		t.Errorf("deleted record = %v, want the hashed key and op = deleted", recs[0].Data)
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string][2]string{ // step: input, output
		controlplane.NormalizeTrim:        {" \tA b\u00a0\n", "A b"},
		controlplane.NormalizeLowercase:   {"ÀDA@Example.COM", "àda@example.com"},
		controlplane.NormalizeRemoveSpace: {" +1 (555) 010\t99 ", "+1(555)01099"},
		controlplane.NormalizeDigitsOnly:  {"+1 (555) 010-99", "155501099"},
	}
	for _, step := range controlplane.Normalizations {
		c, ok := cases[step]
		if !ok {
			t.Errorf("normalization %q has no test case", step)
			continue
		}
		if got := string(normalize([]byte(c[0]), []string{step})); got != c[1] {
			t.Errorf("%s(%q) = %q, want %q", step, c[0], got, c[1])
		}
	}
	if got := string(normalize([]byte("  Ada@Example.com "), []string{"trim", "lowercase"})); got != "ada@example.com" {
		t.Errorf("trim, lowercase = %q", got)
	}
}

func TestMapperRefusesUnknownTypes(t *testing.T) {
	cols := []controlplane.Column{{Name: "id", Type: "int8"}}
	for _, mp := range []controlplane.Mapping{
		{From: "id", To: "x", Hash: "md5"},
		{From: "id", To: "x", Hash: "sha256", Normalize: []string{"upper"}},
		{Metadata: "sync_name", To: "x"},
	} {
		_, err := newMapper(cols, []controlplane.Mapping{mp}, "id")
		if err == nil || !strings.Contains(err.Error(), "this runner does not know") {
			t.Errorf("mapping %+v: %v, want a refusal listing what is known", mp, err)
		}
	}
}
