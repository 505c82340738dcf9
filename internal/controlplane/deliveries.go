package controlplane

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The delivery log (backflow.sync_deliveries): one row per request a run made, with the keys it
// carried packed as an intent packs them (appendKeyList), so that one key's history is a range
// probe and an unpack. It is written in groups beside the ledger, not in its transactions: it
// says what happened, it never decides what is resent.

// DefaultDeliveryRetention is how long the daemon keeps delivery-log rows, as Census keeps its
// record-level sync history.
const DefaultDeliveryRetention = 14 * 24 * time.Hour

// Delivery is one request of a run: a batch, or a part of one that bisection split off, under one
// webhook-id, with all its attempts.
type Delivery struct {
	ID        int64 // set when read
	SyncID    int64
	RunID     int64
	WebhookID string
	Operation string
	Records   int
	// FirstKey and LastKey are the least and greatest of the request's keys (by bytes); Write
	// computes them from Keys.
	FirstKey, LastKey string
	SentAt            time.Time // its first attempt
	Attempts          int
	Status            int // the last attempt's HTTP status; 0: it got no response
	Latency           time.Duration
	Body              string // the start of the last answer, when it was not a 2xx
	Error             string // why the last attempt got no response, or why sending stopped
	// Keys are the request's keys, or else Packed holds them as PackKeys packs them (with
	// FirstKey and LastKey set): a writer that holds many rows keeps one buffer per row then, not
	// a string per key. Read back, Packed is never set, and Keys only by KeyDeliveries and by
	// ListDeliveries with DeliveryFilter.Keys: for what is shown of a request of a sync that
	// withholds its keys (an answer recorded before it did may quote any of them).
	Keys   []string
	Packed []byte
}

// PackKeys appends keys to buf packed as the delivery log (and an intent) stores them, and
// returns the least and greatest of them by bytes.
func PackKeys(buf []byte, keys []string) (packed []byte, first, last string) {
	if len(keys) == 0 {
		return buf, "", ""
	}
	first, last = keyBounds(keys)
	return appendKeyList(buf, keys), first, last
}

// OK reports whether the request got a 2xx.
func (d *Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

var deliveryColumns = []string{"sync_id", "run_id", "webhook_id", "operation", "records", "first_key", "last_key",
	"sent_at", "attempts", "status", "latency_us", "body", "error", "keys"}

// WriteDeliveries appends rows to the delivery log in one COPY. It is not fenced: the caller
// (a run) stops writing once it knows it lost the sync.
func (s *Store) WriteDeliveries(ctx context.Context, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	var buf []byte
	i := 0
	rows := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(ds) {
			return nil, nil
		}
		d := &ds[i]
		i++
		keys, first, last := d.Packed, d.FirstKey, d.LastKey
		if keys == nil {
			// COPY encodes the row before asking for the next one: buf can be reused.
			buf, first, last = PackKeys(buf[:0], d.Keys)
			keys = buf
		}
		return []any{d.SyncID, d.RunID, d.WebhookID, d.Operation, int32(d.Records), first, last,
			d.SentAt, int32(d.Attempts), int32(d.Status), d.Latency.Microseconds(),
			nullIfEmpty(truncateBody(d.Body)), nullIfEmpty(truncateBody(d.Error)), keys}, nil
	})
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// Not waiting for the WAL flush: a server crash may lose the last rows of the log, which
		// decides nothing; the run's final record, committed synchronously, flushes them anyway.
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{Schema, "sync_deliveries"}, deliveryColumns, rows)
		return err
	})
	if err != nil {
		return fmt.Errorf("write %d rows of the delivery log: %w", len(ds), err)
	}
	return nil
}

func keyBounds(keys []string) (first, last string) {
	first, last = keys[0], keys[0]
	for _, k := range keys[1:] {
		if k < first {
			first = k
		}
		if k > last {
			last = k
		}
	}
	return first, last
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DeliveryFilter selects delivery-log rows of one sync.
type DeliveryFilter struct {
	SyncID int64
	RunID  int64 // 0: every run
	Failed bool  // only requests that did not get a 2xx
	Limit  int   // 0: 100
	Keys   bool  // read each request's keys too (Delivery.Keys)
}

const deliverySelectColumns = `id, sync_id, run_id, webhook_id, operation, records, first_key, last_key, sent_at,
	attempts, status, latency_us, coalesce(body, ''), coalesce(error, '')`

const deliverySelect = `SELECT ` + deliverySelectColumns + ` FROM backflow.sync_deliveries`

// deliverySelectKeys is deliverySelect with each request's keys (DeliveryFilter.Keys).
const deliverySelectKeys = `SELECT ` + deliverySelectColumns + `, keys FROM backflow.sync_deliveries`

// scanDeliveryKeys reads a row of deliverySelect, or of deliverySelectKeys when withKeys (the
// request's keys read into Delivery.Keys).
func scanDeliveryKeys(row pgx.Row, withKeys bool) (Delivery, error) {
	if !withKeys {
		return scanDelivery(row, nil)
	}
	var packed []byte
	d, err := scanDelivery(row, &packed)
	if err == nil {
		err = d.decodeKeys(packed)
	}
	return d, err
}

// scanDelivery reads a row of deliverySelect, or of deliverySelectKeys when packed is not nil
// (the request's keys as stored, into *packed).
func scanDelivery(row pgx.Row, packed *[]byte) (Delivery, error) {
	var d Delivery
	var records, attempts, status int32
	var latency int64
	dest := []any{&d.ID, &d.SyncID, &d.RunID, &d.WebhookID, &d.Operation, &records, &d.FirstKey, &d.LastKey,
		&d.SentAt, &attempts, &status, &latency, &d.Body, &d.Error}
	if packed != nil {
		dest = append(dest, packed)
	}
	err := row.Scan(dest...)
	d.Records, d.Attempts, d.Status, d.Latency = int(records), int(attempts), int(status), time.Duration(latency)*time.Microsecond
	return d, err
}

// decodeKeys reads the request's keys as stored (packed) into d.Keys.
func (d *Delivery) decodeKeys(packed []byte) error {
	if err := decodeKeyList(packed, func(k []byte) { d.Keys = append(d.Keys, string(k)) }); err != nil {
		return fmt.Errorf("delivery-log row %d of sync %d is corrupt: %w", d.ID, d.SyncID, err)
	}
	return nil
}

// ListDeliveries returns a sync's logged requests, newest first.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	sql, args := listDeliveriesSQL(f, limit)
	rows, err := s.db.Query(ctx, sql, args...)
	ds, err := collect(rows, err, func(row pgx.Row) (Delivery, error) { return scanDeliveryKeys(row, f.Keys) })
	if err != nil {
		return nil, fmt.Errorf("list the delivery log of sync %d: %w", f.SyncID, err)
	}
	return ds, nil
}

// listDeliveriesSQL is ListDeliveries's statement for filter f: written for the filters it has,
// so that each is planned as an index probe of the sync's newest rows (sync_deliveries_recent,
// sync_deliveries_failed, sync_deliveries_run_id), not as a walk of every sync's rows that filters
// on what was left as a parameter (`$2 = 0 OR run_id = $2`).
func listDeliveriesSQL(f DeliveryFilter, limit int) (string, []any) {
	sel := deliverySelect
	if f.Keys {
		sel = deliverySelectKeys
	}
	sql, args := sel+` WHERE sync_id = $1`, []any{f.SyncID}
	if f.RunID != 0 {
		args = append(args, f.RunID)
		sql += fmt.Sprintf(` AND run_id = $%d`, len(args))
	}
	if f.Failed {
		sql += ` AND status NOT BETWEEN 200 AND 299` // the predicate of sync_deliveries_failed, as it is there
	}
	args = append(args, limit)
	return sql + fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args
}

// KeyDeliveries returns the logged requests of a sync that carried key, oldest first.
func (s *Store) KeyDeliveries(ctx context.Context, syncID int64, key string) ([]Delivery, error) {
	rows, err := s.db.Query(ctx, deliverySelectKeys+` WHERE sync_id = $1 AND first_key <= $2 AND last_key >= $2
		ORDER BY id`, syncID, key)
	if err != nil {
		return nil, fmt.Errorf("read the delivery log of sync %d: %w", syncID, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var packed []byte
		d, err := scanDelivery(rows, &packed)
		if err != nil {
			return nil, err
		}
		found := false
		if err := decodeKeyList(packed, func(k []byte) { found = found || string(k) == key }); err != nil {
			return nil, fmt.Errorf("delivery-log row %d of sync %d is corrupt: %w", d.ID, syncID, err)
		}
		if found {
			// Its keys, for what is shown of it (Delivery.Keys): decoded only for a row kept.
			_ = d.decodeKeys(packed)
			out = append(out, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the delivery log of sync %d: %w", syncID, err)
	}
	return out, nil
}

// DeleteOldestDeliveriesBefore deletes up to limit of the oldest delivery-log rows of requests
// sent before t, of every sync, skipping rows another transaction holds, and returns how many it
// deleted. The daemon's retention calls it until it deletes fewer than limit: a backlog is
// deleted in short transactions, each committed, rather than in one that must finish whole.
func (s *Store) DeleteOldestDeliveriesBefore(ctx context.Context, t time.Time, limit int) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM backflow.sync_deliveries WHERE id IN (
		SELECT id FROM backflow.sync_deliveries WHERE sent_at < $1 ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, t, limit)
	if err != nil {
		return 0, fmt.Errorf("delete delivery-log rows older than %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// DeleteDeliveriesBefore deletes the delivery-log rows of requests sent before t, of every sync,
// and returns how many it deleted.
func (s *Store) DeleteDeliveriesBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM backflow.sync_deliveries WHERE sent_at < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("delete delivery-log rows older than %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
