package controlplane

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Connection secrets are the only sealed data in the control plane (backflow.connections.
// sealed_secrets); a rekey reseals them all or none.

// RekeyResult counts what RekeyConnections did.
type RekeyResult struct {
	// Resealed connections were opened with the old key and are now sealed with the new one.
	Resealed int
	// AlreadyNew connections were already sealed with the new key (an earlier rekey, or a
	// provider already given the new key) and were left as they were.
	AlreadyNew int
	// Bound of the Resealed had been sealed by an earlier release, not bound to their
	// connection (sealedFor), and are now. Copies of what they were (a backup, a dump of the
	// control plane) still open, in any connection's row, under the key they were sealed with:
	// only a rekey to another key retires them.
	Bound int
}

// RekeyError names the connection whose secrets neither key opens. The rekey changed nothing.
type RekeyError struct {
	Connection string
}

func (e *RekeyError) Error() string {
	return fmt.Sprintf("connection %q: neither the old key nor the new key opens its secrets: the old key "+
		"is not the one the control plane's secrets were sealed with (or they were altered); nothing was changed",
		e.Connection)
}

// Is makes errors.Is(err, ErrWrongKey) true.
func (e *RekeyError) Is(target error) bool { return target == ErrWrongKey }

// RekeyConnections reseals every connection's secrets from oldKey to newKey in one transaction,
// so that the control plane is either wholly under the old key or wholly under the new one.
// A connection that oldKey cannot open but newKey can is left as it is: running a rekey twice,
// or again to pick up a connection that a provider still holding the old key wrote after the
// first one, is safe. A connection that neither opens aborts the rekey with a *RekeyError and
// nothing changes. oldKey and newKey may be the same key: everything is resealed under it.
func (s *Store) RekeyConnections(ctx context.Context, oldKey, newKey *Sealer) (RekeyResult, error) {
	var res RekeyResult
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		res = RekeyResult{}
		// EXCLUSIVE waits for every transaction that writes or row-locks connections (a
		// provider apply) and holds back new ones until the commit, plain reads (runners) going
		// on with the old sealed bytes. Row locks alone would not hold back an INSERT, which
		// would then keep the old key; and a SHARE ROW EXCLUSIVE lock would let an update that
		// had already locked its row deadlock with this one.
		if _, err := tx.Exec(ctx, `LOCK TABLE backflow.connections IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock the connections: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT name, `+sealedForColumns+`, sealed_secrets FROM backflow.connections ORDER BY id`)
		if err != nil {
			return err
		}
		type sealedRow struct {
			name   string
			f      sealedFor
			sealed []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedRow, error) {
			var c sealedRow
			err := r.Scan(&c.name, &c.f.id, &c.f.kind, &c.f.tokenURL, &c.sealed)
			return c, err
		})
		if err != nil {
			return err
		}
		var ids []int64
		var resealed [][]byte
		for _, c := range all {
			plain, legacy, err := openConnectionSecrets(oldKey, c.f, c.sealed)
			if err != nil {
				var newPlain []byte
				newPlain, legacy, err = openConnectionSecrets(newKey, c.f, c.sealed)
				if err != nil {
					return &RekeyError{Connection: c.name}
				}
				if !legacy {
					res.AlreadyNew++
					continue
				}
				// Under the new key but sealed by an earlier release, not bound to its
				// connection: sealed anew, bound.
				plain = newPlain
			}
			if legacy {
				res.Bound++
			}
			ids = append(ids, c.f.id)
			resealed = append(resealed, newKey.Seal(plain, c.f.aad()))
		}
		if len(ids) == 0 {
			return nil
		}
		// updated_at stays: the connection's definition did not change.
		tag, err := tx.Exec(ctx, `UPDATE backflow.connections c SET sealed_secrets = u.sealed
			FROM unnest($1::bigint[], $2::bytea[]) AS u (id, sealed) WHERE c.id = u.id`, ids, resealed)
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(ids) {
			return fmt.Errorf("resealed %d connections, want %d; nothing was changed", tag.RowsAffected(), len(ids))
		}
		res.Resealed = len(ids)
		return nil
	})
	if err != nil {
		return RekeyResult{}, err
	}
	return res, nil
}
