package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// findSync looks a sync up by the NAME|ID argument: "id:N" is the sync with id N, "name:TEXT"
// the sync named TEXT exactly; anything else is its name or, when it is all digits, its id. An
// argument that is both the id of one sync and the name of another is refused, saying how to
// pick each (the API's lookup, runner/api.go, still takes the id). When there is none, the error
// suggests the names that match ignoring case (or contain the name given, ignoring case), or
// lists the syncs there are.
func findSync(ctx context.Context, store *controlplane.Store, ref string) (*controlplane.Sync, error) {
	if s, ok := strings.CutPrefix(ref, "id:"); ok {
		id, isID := controlplane.ParseRef(s)
		if !isID {
			return nil, usageError(fmt.Sprintf("%q: id: is followed by a sync's id, a number above 0 "+
				"(name:%s names a sync whose name is %q)", ref, ref, ref))
		}
		y, err := store.GetSync(ctx, id)
		if errors.Is(err, controlplane.ErrNotFound) {
			return nil, fmt.Errorf("no sync has the id %d: %w", id, err)
		}
		return y, err
	}
	if name, ok := strings.CutPrefix(ref, "name:"); ok {
		y, err := store.GetSyncByName(ctx, name)
		if errors.Is(err, controlplane.ErrNotFound) {
			return nil, suggest(ctx, store, name, fmt.Errorf("no sync has the name %q: %w", name, err))
		}
		return y, err
	}
	y, err := store.LookupSync(ctx, ref)
	if errors.Is(err, controlplane.ErrNotFound) {
		return nil, suggest(ctx, store, ref, err)
	}
	if err != nil {
		return nil, err
	}
	if y.Name != ref {
		// Found by its id: is ref also another sync's name?
		named, err := store.GetSyncByName(ctx, ref)
		switch {
		case err == nil && named.ID != y.ID:
			return nil, fmt.Errorf("%q is both the id of sync %q and the name of sync %d: say which, "+
				"with id:%d (sync %q) or name:%s", ref, y.Name, named.ID, y.ID, y.Name, ref)
		case err != nil && !errors.Is(err, controlplane.ErrNotFound):
			return nil, err
		}
	}
	return y, nil
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
		q := fmt.Sprintf("%q", y.Name)
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
