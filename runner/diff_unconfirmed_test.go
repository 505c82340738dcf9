package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// What the diff sends for each state of a key's ledger entry, merging the ledger or looking keys
// up: a key that may have been delivered and was absent before (UnconfirmedNew's marker) is new,
// whatever the behavior, so a request block creates it rather than updating what the endpoint
// may never have had; one that was delivered before (the empty marker) is changed (append: new).
// For mirror both are deleted once the model lost them.
func TestDiffUnconfirmedKeys(t *testing.T) {
	// The model: same, other, unconf, unconfNew, fresh; the ledger also has goneUnconf and
	// goneUnconfNew, which the model lost.
	src := func() *memSource {
		s := &memSource{}
		for _, k := range []string{"fresh", "other", "same", "unconf", "unconfNew"} {
			s.keys = append(s.keys, []byte(k))
			s.objs = append(s.objs, fmt.Appendf(nil, `{"unique_id":%q}`, k))
		}
		return s
	}
	newDiffer := func(behavior string, full bool) *differ {
		m, err := newMapper(src().Columns(), nil, "unique_id")
		if err != nil {
			t.Fatal(err)
		}
		return &differ{behavior: behavior, full: full, m: m, counts: new(Counters)}
	}
	// The records' hashes, as a diff against an empty ledger takes them.
	hashes := map[string][]byte{}
	if err := newDiffer(controlplane.BehaviorUpdateOrCreate, false).run(context.Background(), src(), nil, func(r *record) error {
		hashes[string(r.key)] = append([]byte(nil), r.hash[:]...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	other := append([]byte(nil), hashes["other"]...)
	other[0]++
	entries := map[string][]byte{"goneUnconf": {}, "goneUnconfNew": {0}, "other": other, "same": hashes["same"],
		"unconf": {}, "unconfNew": {0}}
	mem := func() *memLedger {
		l := &memLedger{}
		for _, k := range slices.Sorted(maps.Keys(entries)) {
			l.keys, l.hashes = append(l.keys, []byte(k)), append(l.hashes, entries[k])
		}
		return l
	}
	for _, c := range []struct {
		behavior string
		full     bool
		want     string // of the merge; the lookup sends the same without deletions
	}{
		{controlplane.BehaviorUpdateOrCreate, false, "fresh:new other:changed unconf:changed unconfNew:new"},
		{controlplane.BehaviorUpdateOrCreate, true, "fresh:new other:changed same:changed unconf:changed unconfNew:new"},
		{controlplane.BehaviorMirror, false,
			"fresh:new goneUnconf:deleted goneUnconfNew:deleted other:changed unconf:changed unconfNew:new"},
		{controlplane.BehaviorAppend, false, "fresh:new unconf:new unconfNew:new"},
	} {
		for _, lookup := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s full=%v lookup=%v", c.behavior, c.full, lookup), func(t *testing.T) {
				d := newDiffer(c.behavior, c.full)
				var led ledger = mem()
				if lookup {
					l := mem()
					d.lookup = func(_ context.Context, keys []string) ([][]byte, []bool, error) {
						h, f := ledgerLookup(l, keys)
						return h, f, nil
					}
					led = nil
				}
				var got []string
				if err := d.run(context.Background(), src(), led, func(r *record) error {
					got = append(got, string(r.key)+":"+kindNames[r.kind])
					if r.kind != kindDeleted && r.stored != (entries[string(r.key)] != nil) {
						t.Errorf("%s: stored %v", r.key, r.stored)
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				want := strings.Fields(c.want)
				if lookup { // a partial diff deletes nothing
					want = slices.DeleteFunc(want, func(w string) bool { return strings.HasSuffix(w, ":deleted") })
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("sent (-want +got):\n%s", diff)
				}
			})
		}
	}
}
