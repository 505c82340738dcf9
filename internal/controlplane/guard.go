package controlplane

// Guard bounds what one run of a sync may send. A run that would exceed any bound sends nothing
// and is recorded RunBlocked (the runner decides: runner/guard.go). Nil fields are no bound.
type Guard struct {
	// MaxDeleted: at most this many `deleted` records in one run.
	MaxDeleted *int64 `json:"max_deleted,omitempty"`
	// MaxDeletedPercent: deletes at most this percentage of the keys delivered before the run.
	MaxDeletedPercent *float64 `json:"max_deleted_percent,omitempty"`
	// MaxChangedPercent: changes at most this percentage of the keys delivered before the run.
	MaxChangedPercent *float64 `json:"max_changed_percent,omitempty"`
	// MinModelRows: the model returns at least this many rows.
	MinModelRows *int64 `json:"min_model_rows,omitempty"`
}

// DefaultMirrorDeletedPercent is the guard of a mirror sync whose definition sets none: one run
// deletes at most half of the keys delivered before it.
const DefaultMirrorDeletedPercent = 50.0

// Active reports whether g bounds anything.
func (g Guard) Active() bool {
	return g.MaxDeleted != nil || g.MaxDeletedPercent != nil || g.MaxChangedPercent != nil || g.MinModelRows != nil
}

// EffectiveGuard is the guard a run of y obeys: its own, or for a mirror sync without one the
// default (DefaultMirrorDeletedPercent). A guard set with no bound turns the default off.
func (s *Sync) EffectiveGuard() Guard {
	if s.Guard != nil {
		return *s.Guard
	}
	if s.Behavior == BehaviorMirror {
		p := DefaultMirrorDeletedPercent
		return Guard{MaxDeletedPercent: &p}
	}
	return Guard{}
}
