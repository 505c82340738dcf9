package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
)

// findSync looks a sync up by the NAME|ID argument, by the control plane's rules for a reference
// (store.LookupSync: "id:N", "name:TEXT", else its name or, when it is all digits, its id; an
// argument that is the id of one sync and the name of another is refused). An "id:" not followed
// by an id is a usage error. When no sync has the name, the error suggests the names that match
// ignoring case (or contain the name given, ignoring case), or lists the syncs there are.
func findSync(ctx context.Context, store *controlplane.Store, ref string) (*controlplane.Sync, error) {
	y, err := store.LookupSync(ctx, ref)
	switch {
	case errors.Is(err, controlplane.ErrBadRef):
		return nil, usageError(err.Error())
	case errors.Is(err, controlplane.ErrNotFound) && !strings.HasPrefix(ref, "id:"):
		return nil, suggest(ctx, store, strings.TrimPrefix(ref, "name:"), err)
	}
	return y, err
}

// suggest is err followed by suggestSyncs's hint for ref.
func suggest(ctx context.Context, store *controlplane.Store, ref string, err error) error {
	syncs, lerr := store.ListSyncs(ctx)
	if lerr != nil {
		return err
	}
	return fmt.Errorf("%w%s", err, suggestSyncs(ref, syncs))
}

// suggestSyncs is the hint that follows "no sync has the id or name ...".
func suggestSyncs(ref string, syncs []*controlplane.Sync) string {
	if len(syncs) == 0 {
		return "; there are no syncs yet (they are created by terraform apply)"
	}
	var same, near, all []string
	want := strings.ToLower(strings.TrimSpace(ref))
	for _, y := range syncs {
		q := printable.ShellWord(y.Name) // to be pasted into a command
		all = append(all, q)
		switch name := strings.ToLower(y.Name); {
		case name == want:
			same = append(same, q)
		case want != "" && (strings.Contains(name, want) || strings.Contains(want, name)):
			near = append(near, q)
		}
	}
	switch {
	case len(same) > 0:
		return "; did you mean " + orList(same) + "? (names are case-sensitive)"
	case len(near) > 0 && len(near) <= 5:
		return "; did you mean " + orList(near) + "?"
	case len(all) <= 10:
		return "; the syncs are " + strings.Join(all, ", ")
	}
	return "; 'backflow-runner runs' lists the recent runs with their syncs' names"
}

func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
