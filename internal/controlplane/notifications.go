package controlplane

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Notification events: the names are the contract (the provider's events attribute, the event
// body's "event").
const (
	EventRunFailed       = "run.failed"
	EventRunRecovered    = "run.recovered"
	EventRunBlocked      = "run.blocked"
	EventRunSucceeded    = "run.succeeded"
	EventSyncPaused      = "sync.paused"
	EventRecordsRejected = "records.rejected"
)

// Events lists every notification event, in the order the docs present them.
var Events = []string{EventRunFailed, EventRunRecovered, EventRunBlocked, EventRunSucceeded, EventSyncPaused, EventRecordsRejected}

// When a notification sends an event.
const (
	// SendOnChange sends run.failed, run.blocked, run.succeeded and records.rejected only when the
	// sync's state changes: a run that fails after a run that did not, and so on.
	SendOnChange = "on_change"
	// SendEveryTime sends them for every run.
	SendEveryTime = "every_time"
)

// SendModes lists the send modes, the default first.
var SendModes = []string{SendOnChange, SendEveryTime}

// DefaultEventContentType is the Content-Type of a notification's body unless it says another.
const DefaultEventContentType = "application/json"

// Notification sends events about syncs' runs to a webhook connection.
type Notification struct {
	ID            int64
	Name          string
	DestinationID int64
	Events        []string
	SyncIDs       []int64 // empty: every sync
	Send          string
	// Body is a Liquid template of the body sent for each event, with the event (EventBody) as
	// `event`; empty: the event as JSON.
	Body string
	// ContentType is the Content-Type of the body; empty means DefaultEventContentType.
	ContentType string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const notificationColumns = `id, name, destination_id, events, sync_ids, send, body, content_type, created_at, updated_at`

func scanNotification(row pgx.Row) (*Notification, error) {
	var n Notification
	err := row.Scan(&n.ID, &n.Name, &n.DestinationID, &n.Events, &n.SyncIDs, &n.Send, &n.Body, &n.ContentType, &n.CreatedAt, &n.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &n, err
}

func notificationArgs(n *Notification) ([]string, []int64, string) {
	ids := n.SyncIDs
	if ids == nil {
		ids = []int64{}
	}
	send := n.Send
	if send == "" {
		send = SendOnChange
	}
	if n.ContentType == "" {
		n.ContentType = DefaultEventContentType
	}
	return n.Events, ids, send
}

// CreateNotification inserts n and sets its id and times.
func (s *Store) CreateNotification(ctx context.Context, n *Notification) error {
	events, ids, send := notificationArgs(n)
	// A transaction, as CreateModel's: the id is known before the commit.
	err := s.createTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO backflow.notifications (name, destination_id, events, sync_ids, send, body, content_type)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at, updated_at`, n.Name, n.DestinationID, events, ids, send,
			n.Body, n.ContentType).
			Scan(&n.ID, &n.CreatedAt, &n.UpdatedAt)
		return nameTaken(refErr(err), "notification", n.Name)
	})
	if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
		return err
	}
	n.Send = send
	return err
}

// UpdateNotification writes n's settings to its row.
func (s *Store) UpdateNotification(ctx context.Context, n *Notification) error {
	events, ids, send := notificationArgs(n)
	err := s.db.QueryRow(ctx, `UPDATE backflow.notifications SET name = $2, destination_id = $3, events = $4,
		sync_ids = $5, send = $6, body = $7, content_type = $8, updated_at = now() WHERE id = $1 RETURNING updated_at`,
		n.ID, n.Name, n.DestinationID, events, ids, send, n.Body, n.ContentType).Scan(&n.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return nameTaken(refErr(err), "notification", n.Name)
	}
	n.Send = send
	return nil
}

// GetNotification reads a notification by id.
func (s *Store) GetNotification(ctx context.Context, id int64) (*Notification, error) {
	return scanNotification(s.db.QueryRow(ctx, `SELECT `+notificationColumns+` FROM backflow.notifications WHERE id = $1`, id))
}

// GetNotificationByName reads a notification by name.
func (s *Store) GetNotificationByName(ctx context.Context, name string) (*Notification, error) {
	return scanNotification(s.db.QueryRow(ctx, `SELECT `+notificationColumns+` FROM backflow.notifications WHERE name = $1`, name))
}

// DeleteNotification deletes a notification and its queued events.
func (s *Store) DeleteNotification(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM backflow.notifications WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete notification %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// EventBody is the JSON body of a notification event (docs/runner.md, "Notifications").
type EventBody struct {
	APIVersion int       `json:"api_version"`
	Event      string    `json:"event"`
	EventID    string    `json:"event_id"`
	OccurredAt time.Time `json:"occurred_at"`
	// Text says it in one line, so that a chat's incoming webhook (Slack's, for one) shows it.
	Text           string    `json:"text"`
	Notification   string    `json:"notification"`
	Sync           EventSync `json:"sync"`
	Run            *EventRun `json:"run,omitempty"`
	PreviousStatus *string   `json:"previous_status"`
	// PausedReason, for sync.paused: why the runner paused the sync.
	PausedReason string `json:"paused_reason,omitempty"`
}

// EventSync names the sync an event is about.
type EventSync struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// EventRun is the run an event is about.
type EventRun struct {
	ID         int64     `json:"id"`
	Status     string    `json:"status"`
	Trigger    string    `json:"trigger"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Counts     RunCounts `json:"counts"`
	Error      string    `json:"error,omitempty"`
}

// runEvent is one event a finished run may cause, and whether the sync's state changed with it.
type runEvent struct {
	event   string
	changed bool
}

// eventsOf says which events run r causes given the sync's previous served run (prev, nil if
// none) and, for sync.paused, whether the sync is now paused by the runner.
func eventsOf(r *Run, prev *Run, pausedReason string, latest bool) []runEvent {
	prevStatus := ""
	var prevRejected int64
	if prev != nil {
		prevStatus, prevRejected = prev.Status, prev.Counts.Rejected
	}
	var out []runEvent
	switch r.Status {
	case RunFailed:
		out = append(out, runEvent{EventRunFailed, prevStatus != RunFailed})
		if pausedReason != "" && latest {
			out = append(out, runEvent{EventSyncPaused, true})
		}
	case runBlocked:
		out = append(out, runEvent{EventRunBlocked, prevStatus != runBlocked})
	case RunSucceeded:
		out = append(out, runEvent{EventRunSucceeded, prevStatus != RunSucceeded})
		if prevStatus == RunFailed || prevStatus == runBlocked {
			out = append(out, runEvent{EventRunRecovered, true})
		}
	}
	if r.Counts.Rejected > 0 && (r.Status == RunSucceeded || r.Status == RunFailed) {
		out = append(out, runEvent{EventRecordsRejected, prevRejected == 0})
	}
	return out
}

// runBlocked is the status of a run a guard stopped before it sent anything (RunBlocked, where
// guards live).
const runBlocked = "blocked"

// QueueRunEvents turns finished runs into notification events, at most limit runs per call, and
// returns how many runs it took. Each run is taken under a row lock (other daemons skip it) and
// marked notified in the transaction that queues its events, so its events are queued once.
func (s *Store) QueueRunEvents(ctx context.Context, limit int) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+runColumns+` FROM backflow.sync_runs r
			LEFT JOIN backflow.syncs s ON s.id = r.sync_id
			WHERE r.notified_at IS NULL AND r.status <> 'running' ORDER BY r.id LIMIT $1 FOR UPDATE OF r SKIP LOCKED`, limit)
		runs, err := collect(rows, err, scanRun)
		if err != nil {
			return err
		}
		n = len(runs)
		if n == 0 {
			return nil
		}
		nots, err := collectNotifications(tx.Query(ctx, `SELECT `+notificationColumns+` FROM backflow.notifications`))
		if err != nil {
			return err
		}
		ids := make([]int64, len(runs))
		for i, r := range runs {
			ids[i] = r.ID
			if len(nots) > 0 {
				if err := queueEventsOf(ctx, tx, r, nots); err != nil {
					return err
				}
			}
		}
		_, err = tx.Exec(ctx, `UPDATE backflow.sync_runs SET notified_at = now() WHERE id = ANY ($1)`, ids)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue the notification events of finished runs: %w", err)
	}
	return n, nil
}

func collectNotifications(rows pgx.Rows, err error) ([]*Notification, error) {
	return collect(rows, err, scanNotification)
}

func queueEventsOf(ctx context.Context, tx pgx.Tx, r *Run, nots []*Notification) error {
	// The sync's previous run that counts (succeeded, failed or blocked) is the state it changed from.
	prev, err := scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+` FROM backflow.sync_runs r
		LEFT JOIN backflow.syncs s ON s.id = r.sync_id
		WHERE r.sync_id = $1 AND r.id < $2 AND r.status IN ('succeeded', 'failed', 'blocked') ORDER BY r.id DESC LIMIT 1`,
		r.SyncID, r.ID))
	if errors.Is(err, ErrNotFound) {
		prev, err = nil, nil
	}
	if err != nil {
		return err
	}
	var pausedReason string
	var latest bool
	if r.Status == RunFailed {
		err := tx.QueryRow(ctx, `SELECT coalesce(s.paused_reason, ''), NOT EXISTS (
				SELECT 1 FROM backflow.sync_runs l WHERE l.sync_id = s.id AND l.id > $2)
			FROM backflow.syncs s WHERE s.id = $1 AND s.paused`, r.SyncID, r.ID).Scan(&pausedReason, &latest)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	var b pgx.Batch
	for _, ev := range eventsOf(r, prev, pausedReason, latest) {
		for _, n := range nots {
			if !n.wants(ev, r.SyncID) {
				continue
			}
			body := eventBody(ev.event, n, r, prev, pausedReason)
			payload, err := json.Marshal(body)
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO backflow.notification_events (notification_id, event_id, event, sync_id, run_id, payload)
				VALUES ($1, $2, $3, $4, $5, $6)`, n.ID, body.EventID, ev.event, r.SyncID, r.ID, payload)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}

// wants reports whether n sends ev about sync syncID.
func (n *Notification) wants(ev runEvent, syncID int64) bool {
	if !ev.changed && n.Send != SendEveryTime {
		return false
	}
	found := false
	for _, e := range n.Events {
		found = found || e == ev.event
	}
	if !found {
		return false
	}
	if len(n.SyncIDs) == 0 {
		return true
	}
	for _, id := range n.SyncIDs {
		if id == syncID {
			return true
		}
	}
	return false
}

func newEventID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

func eventBody(event string, n *Notification, r *Run, prev *Run, pausedReason string) EventBody {
	b := EventBody{APIVersion: 1, Event: event, EventID: newEventID(), OccurredAt: r.FinishedAt.UTC(),
		Notification: n.Name, Sync: EventSync{ID: r.SyncID, Name: r.SyncName},
		Run: &EventRun{ID: r.ID, Status: r.Status, Trigger: r.Trigger, StartedAt: r.StartedAt.UTC(),
			FinishedAt: r.FinishedAt.UTC(), Counts: r.Counts, Error: r.Error}}
	if prev != nil {
		st := prev.Status
		b.PreviousStatus = &st
	}
	name := fmt.Sprintf("%q", r.SyncName)
	switch event {
	case EventRunFailed:
		b.Text = fmt.Sprintf("Backflow: sync %s failed (run %d): %s", name, r.ID, shorten(r.Error, eventTextError))
	case EventRunBlocked:
		b.Text = fmt.Sprintf("Backflow: sync %s was blocked by its guard (run %d): %s", name, r.ID, shorten(r.Error, eventTextError))
	case EventRunRecovered:
		b.Text = fmt.Sprintf("Backflow: sync %s recovered: run %d succeeded after a %s run (%s)", name, r.ID,
			*b.PreviousStatus, deliveredText(r))
	case EventRunSucceeded:
		b.Text = fmt.Sprintf("Backflow: sync %s succeeded (run %d): %s, %d rejected", name, r.ID,
			deliveredText(r), r.Counts.Rejected)
	case EventSyncPaused:
		b.PausedReason = pausedReason
		b.Text = fmt.Sprintf("Backflow: sync %s is paused: %s", name, shorten(pausedReason, eventTextError))
	case EventRecordsRejected:
		b.Text = fmt.Sprintf("Backflow: the destination of sync %s refused %d records in run %d "+
			"(backflow-runner runs show %d)", name, r.Counts.Rejected, r.ID, r.ID)
	}
	b.Text = chatEscaper.Replace(b.Text)
	return b
}

// eventTextError is about how much of a run's error (or a pause's reason) an event's text quotes.
const eventTextError = 500

// deliveredText says what a run delivered, in an event's text: a marking run (TriggerMark)
// recorded its records as delivered without sending any, which "5 delivered" would not say.
func deliveredText(r *Run) string {
	if r.Trigger == TriggerMark {
		return fmt.Sprintf("recorded %d records as delivered without sending them (trigger mark)", r.Counts.Delivered)
	}
	return fmt.Sprintf("%d delivered", r.Counts.Delivered)
}

// chatEscaper escapes what a chat reads as markup in an event's text, as Slack asks of the text of
// a message: the text quotes a run's error, which quotes the endpoint's answer and the records'
// values, and "<!channel>" there would ping a whole channel, "<https://…|label>" show a link of
// someone else's choosing. The event's other fields (run.error) are left as they are.
var chatEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// shorten is s on one line (each run of white space one space), cut to about n bytes around the
// middle: a run's error says what to do at its end (the setting to change, the directory to free),
// and a chat shows the text as it is.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return storableText(s)
	}
	head, end := n*3/5, len(s)-n*2/5
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end++
	}
	return storableText(s[:head] + " … " + s[end:])
}

// PendingEvent is a queued event taken to be sent.
type PendingEvent struct {
	ID             int64
	NotificationID int64
	EventID        string
	Event          string
	Payload        []byte
	Attempts       int // made before this one
	DestinationID  int64
	// LeaseUntil is when the claim's lease ends, on the control plane's clock: the lease's token
	// (RenewEventLease).
	LeaseUntil time.Time
	// Body and ContentType are the notification's (Notification.Body, .ContentType).
	Body        string
	ContentType string
}

// ClaimEvents takes up to limit events that are due, and holds them for lease (another daemon
// does not take them before it ends): the caller reports each with EventSent or EventFailed.
// A sync's events go to a notification in the order they were queued, retries included: only
// the oldest of a notification's events about a sync that are still to be sent can be taken, so
// that a run.failed waiting for its retry is not overtaken by the run.recovered that follows it
// (a chat would end on "failed"). The order is the runs', not the queue's: replicas queue the
// events of a backlog of runs at once (QueueRunEvents), each the runs the other does not hold, so
// a later run's events can be queued first; and none of a sync's events is taken while a finished
// run of the sync before it is still to be turned into events (another replica is queueing it).
// The events still to be sent are few (notification_events_due), as are the runs still to be
// turned into events (sync_runs_to_notify). None is taken whose destination is held
// (HoldDestination), whoever queued it and whenever.
func (s *Store) ClaimEvents(ctx context.Context, limit int, lease time.Duration) ([]PendingEvent, error) {
	rows, err := s.db.Query(ctx, `UPDATE backflow.notification_events e SET next_attempt_at = now() + $2::interval
		FROM backflow.notifications n
		WHERE n.id = e.notification_id AND e.id IN (
			SELECT id FROM backflow.notification_events q
			WHERE id IN (SELECT DISTINCT ON (notification_id, sync_id) id FROM backflow.notification_events
					WHERE sent_at IS NULL AND given_up_at IS NULL ORDER BY notification_id, sync_id, run_id, id)
				AND sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= now()
				AND NOT EXISTS (SELECT 1 FROM backflow.sync_runs r WHERE r.notified_at IS NULL AND r.status <> 'running'
					AND r.sync_id = q.sync_id AND r.id < q.run_id)
				AND NOT EXISTS (SELECT 1 FROM backflow.notifications hn JOIN backflow.connection_pacing h
					ON h.connection_id = hn.destination_id WHERE hn.id = q.notification_id AND h.hold_until > now())
			ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING e.id, e.notification_id, e.event_id, e.event, e.payload, e.attempts, n.destination_id, n.body, n.content_type,
			e.next_attempt_at`, limit, lease)
	if err != nil {
		return nil, fmt.Errorf("take the notification events that are due: %w", err)
	}
	defer rows.Close()
	var out []PendingEvent
	for rows.Next() {
		var p PendingEvent
		var attempts int32
		if err := rows.Scan(&p.ID, &p.NotificationID, &p.EventID, &p.Event, &p.Payload, &attempts, &p.DestinationID, &p.Body, &p.ContentType, &p.LeaseUntil); err != nil {
			return nil, err
		}
		p.Attempts = int(attempts)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("take the notification events that are due: %w", err)
	}
	// Sent in the order they were queued: a run's events in the order eventsOf gives them.
	slices.SortFunc(out, func(a, b PendingEvent) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// EventSent records that an event was delivered.
//
// The records of an attempt (EventSent, EventFailed, PostponeEvent) are made again on another
// connection when the control plane ended the session of the pool's (onLiveSession): an event
// delivered but not recorded so is sent again once its lease ends.
func (s *Store) EventSent(ctx context.Context, id int64, status int) error {
	// Once: a record made again after one that was applied changes nothing.
	err := s.execOnLiveSession(ctx, `UPDATE backflow.notification_events SET sent_at = now(), attempts = attempts + 1,
		last_status = $2, last_error = NULL WHERE id = $1 AND sent_at IS NULL`, id, status)
	if err != nil {
		return fmt.Errorf("record notification event %d as sent: %w", id, err)
	}
	return nil
}

// RenewEventLease extends the lease of an event the caller claimed, whose lease ends at until (the
// control plane's time ClaimEvents or the last renewal returned), to lease from now, and returns
// when it ends now. ok is false when the lease is no longer the caller's: it ended (another
// replica may have taken the event), or the event was recorded since. The daemon's notifier
// renews the lease of an event that waits for a slot of its destination's rate, so that it keeps
// its place in the pacer's queue (and is not sent twice).
func (s *Store) RenewEventLease(ctx context.Context, id int64, until time.Time, lease time.Duration) (time.Time, bool, error) {
	var next time.Time
	err := s.db.QueryRow(ctx, `UPDATE backflow.notification_events SET next_attempt_at = now() + $3::interval
		WHERE id = $1 AND next_attempt_at = $2 AND next_attempt_at > now() AND sent_at IS NULL AND given_up_at IS NULL
		RETURNING next_attempt_at`, id, until, lease).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("renew the lease of notification event %d: %w", id, err)
	}
	return next, true, nil
}

// HoldDestination holds the events to webhook connection connID for wait (on the control plane's
// clock), without an attempt used: ClaimEvents takes none of them, already queued or queued
// later, by any replica, until then. A hold never shortens one in place. The daemon's notifier
// holds a destination that asked for a pause (a Retry-After) until it ends, and one that gave no
// answer until the failed event's retry.
//
// heldFor is the connection's UpdatedAt as the notifier read it before the attempt: when the
// connection changed since (its URL may now be another endpoint's, whose hold the change
// dropped: forgetLearnedPacing), nothing is held, as SaveLearnedPacing records nothing.
func (s *Store) HoldDestination(ctx context.Context, connID int64, heldFor time.Time, wait time.Duration) error {
	err := s.execOnLiveSession(ctx, `INSERT INTO backflow.connection_pacing AS p (connection_id, hold_until)
		SELECT $1, now() + $2::interval FROM backflow.connections c WHERE c.id = $1 AND c.updated_at = $3
		ON CONFLICT (connection_id) DO UPDATE SET hold_until = greatest(p.hold_until, excluded.hold_until)
			WHERE EXISTS (SELECT FROM backflow.connections c WHERE c.id = $1 AND c.updated_at = $3)`,
		connID, max(wait, 0), heldFor)
	if err != nil {
		return fmt.Errorf("hold the notification events to connection %d: %w", connID, refErr(err))
	}
	return nil
}

// PostponeEvent makes an event that is still to be sent due in wait, without counting an
// attempt: the daemon's notifier postpones the events of a destination that just did not answer.
// A wait, not a time: it is added to the control plane's clock, which ClaimEvents compares
// next_attempt_at with, not to the runner's.
func (s *Store) PostponeEvent(ctx context.Context, id int64, wait time.Duration) error {
	err := s.execOnLiveSession(ctx, `UPDATE backflow.notification_events SET next_attempt_at = now() + $2::interval
		WHERE id = $1 AND sent_at IS NULL AND given_up_at IS NULL`, id, max(wait, 0))
	if err != nil {
		return fmt.Errorf("postpone notification event %d: %w", id, err)
	}
	return nil
}

// EventFailed records a failed attempt of an event that had attempts before it: the event is
// tried again in retryIn, or given up when retryIn is zero. A wait, not a time, for the reason
// PostponeEvent says: a retry time on a runner's clock an hour behind was an hour past, and the
// event used up its attempts at once.
func (s *Store) EventFailed(ctx context.Context, id int64, attempts, status int, cause string, retryIn time.Duration) error {
	var in *time.Duration
	if retryIn > 0 {
		in = &retryIn
	}
	// Once: a record made again after one that was applied, its answer lost, finds the attempts
	// counted already, and changes nothing (attempts would count it twice, and the event be
	// given up after half its attempts).
	err := s.execOnLiveSession(ctx, `UPDATE backflow.notification_events SET attempts = attempts + 1, last_status = nullif($2, 0),
		last_error = $3, next_attempt_at = coalesce(now() + $4::interval, next_attempt_at),
		given_up_at = CASE WHEN $4::interval IS NULL THEN now() END
		WHERE id = $1 AND sent_at IS NULL AND given_up_at IS NULL AND attempts = $5`,
		id, status, truncateBody(cause), in, attempts)
	if err != nil {
		return fmt.Errorf("record a failed attempt of notification event %d: %w", id, err)
	}
	return nil
}

// DeleteOldNotificationEvents deletes up to limit of the oldest notification events created
// before t that are done with (sent or given up), skipping rows another transaction holds, and
// returns how many it deleted. Events still to be sent are kept whatever their age.
func (s *Store) DeleteOldNotificationEvents(ctx context.Context, t time.Time, limit int) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM backflow.notification_events WHERE id IN (
		SELECT id FROM backflow.notification_events WHERE created_at < $1 AND (sent_at IS NOT NULL OR given_up_at IS NOT NULL)
		ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`, t, limit)
	if err != nil {
		return 0, fmt.Errorf("delete notification events older than %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// NotificationEvent is a queued event as ListNotificationEvents reads it.
type NotificationEvent struct {
	ID         int64
	EventID    string
	Event      string
	SyncID     int64
	RunID      int64
	Payload    json.RawMessage
	Attempts   int
	LastStatus int
	LastError  string
	CreatedAt  time.Time
	SentAt     time.Time // zero until sent
	GivenUpAt  time.Time // zero unless given up
}

// ListNotificationEvents returns the events queued for a notification, oldest first.
func (s *Store) ListNotificationEvents(ctx context.Context, notificationID int64) ([]NotificationEvent, error) {
	rows, err := s.db.Query(ctx, `SELECT id, event_id, event, coalesce(sync_id, 0), coalesce(run_id, 0), payload, attempts,
		coalesce(last_status, 0), coalesce(last_error, ''), created_at, sent_at, given_up_at
		FROM backflow.notification_events WHERE notification_id = $1 ORDER BY id`, notificationID)
	if err != nil {
		return nil, fmt.Errorf("list the events of notification %d: %w", notificationID, err)
	}
	defer rows.Close()
	var out []NotificationEvent
	for rows.Next() {
		var e NotificationEvent
		var attempts, status int32
		var sent, givenUp *time.Time
		if err := rows.Scan(&e.ID, &e.EventID, &e.Event, &e.SyncID, &e.RunID, &e.Payload, &attempts, &status,
			&e.LastError, &e.CreatedAt, &sent, &givenUp); err != nil {
			return nil, err
		}
		e.Attempts, e.LastStatus = int(attempts), int(status)
		if sent != nil {
			e.SentAt = *sent
		}
		if givenUp != nil {
			e.GivenUpAt = *givenUp
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SampleEvent is the JSON body of an example event of kind event for notification, as a run of
// a sync named "example" would cause it, with every field present (the run's error and the
// paused reason included, as quoted, multi-line text): what a body template is checked against
// at plan time.
func SampleEvent(event, notification string) []byte {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Run{ID: 42, SyncID: 7, SyncName: "example", Status: RunSucceeded, Trigger: "schedule",
		StartedAt: started, FinishedAt: started.Add(90 * time.Second),
		Counts: RunCounts{Extracted: 120, New: 10, Changed: 5, Delivered: 13, Rejected: 2},
		Error:  "POST https://api.example.com/… answered HTTP 503: \"busy\"\nafter 8 attempts"}
	prev := &Run{Status: RunFailed}
	switch event {
	case EventRunFailed, EventSyncPaused:
		r.Status, prev.Status = RunFailed, RunSucceeded
	case EventRunBlocked:
		r.Status = runBlocked
	}
	b := eventBody(event, &Notification{Name: notification}, r, prev, "the endpoint answered HTTP 410 Gone: \"gone\"")
	b.PausedReason = cmp.Or(b.PausedReason, "the endpoint answered HTTP 410 Gone: \"gone\"")
	out, _ := json.Marshal(b)
	return out
}
