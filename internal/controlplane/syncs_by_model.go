package controlplane

import "context"

// ListSyncsByModel returns the syncs that read model modelID, by id. The provider checks them
// before a model change drops a column one of them uses.
func (s *Store) ListSyncsByModel(ctx context.Context, modelID int64) ([]*Sync, error) {
	rows, err := s.db.Query(ctx, `SELECT `+syncColumns+` FROM backflow.syncs WHERE model_id = $1 ORDER BY id`, modelID)
	return collect(rows, err, scanSync)
}
