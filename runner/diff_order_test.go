package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A model whose rows come out of key order fails the run saying so, without the keys: they are
// the model's data, and a run's error goes where the data does not (notifications, logs, the
// status page; docs/warehouses.md, "Errors leave the data out").
func TestDiffKeyOrderErrorLeavesKeysOut(t *testing.T) {
	src := &memSource{}
	for _, k := range []string{"bob@example.com", "alice@example.com"} {
		src.keys = append(src.keys, []byte(k))
		src.objs = append(src.objs, fmt.Appendf(nil, `{"unique_id":%q}`, k))
	}
	m, err := newMapper(src.Columns(), nil, "unique_id")
	if err != nil {
		t.Fatal(err)
	}
	d := &differ{behavior: controlplane.BehaviorUpdateOrCreate, m: m, counts: new(Counters)}
	err = d.run(context.Background(), src, nil, func(*record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not in key order") || strings.Contains(err.Error(), "example.com") {
		t.Fatalf("got %v; want the rows refused as not in key order, without their keys", err)
	}
}
