package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/pacing"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// Notification delivery: every replica of the daemon runs a notifier, which turns finished runs
// into events (controlplane.QueueRunEvents: once per run, whichever replica takes it) and sends
// the events that are due, each claimed by one replica at a time. A failed send is retried with
// backoff up to NotifyMaxAttempts times, then given up; it never affects a sync.
const (
	NotifyMaxAttempts = 8
	notifyEvery       = time.Second
	notifyBatch       = 20
	notifyTimeout     = 10 * time.Second
	notifyMaxBackoff  = 10 * time.Minute
)

type notifier struct {
	store  *controlplane.Store
	client *http.Client  // nil: webhook.DefaultClient()
	tokens *tokenSources // OAuth2 tokens of the destinations; nil: a token per event
	// pace is the pacer of requests to a destination, the one its syncs' runs use (Engine.pacer);
	// nil: not paced (tests).
	pace    func(context.Context, *controlplane.Connection) (*pacing.Pacer, error)
	log     *slog.Logger
	metrics *Metrics // may be nil
	// baseBackoff is the wait before the first retry; 0: 5 s.
	baseBackoff time.Duration
	// timeout bounds one attempt; 0: notifyTimeout (tests shorten it).
	timeout time.Duration
	// wrongKeyLogged is when a destination that the key cannot open was last logged.
	wrongKeyLogged time.Time
	// down holds the destinations that gave no answer, or asked for a pause (a Retry-After), until
	// when their events are postponed, should recording the hold in the control plane fail: the
	// hold is the control plane's (Store.HoldDestination, which every replica's claims honour).
	down map[int64]time.Time
	// unreachableLogged is when the control plane's failure was last logged; zero: it answers.
	unreachableLogged time.Time
	// clock is the runner's own clock; nil: time.Now (tests skew it).
	clock func() time.Time
}

func (n *notifier) now() time.Time {
	if n.clock != nil {
		return n.clock()
	}
	return time.Now()
}

func (n *notifier) attemptTimeout() time.Duration { return cmp.Or(n.timeout, notifyTimeout) }

// leaseHoldsAttempt reports whether a lease ending at end leaves time for an attempt and half
// an attempt's timeout more, to record it: an attempt starts only then (post, acquire).
func (n *notifier) leaseHoldsAttempt(end time.Time) bool {
	return time.Until(end) >= n.attemptTimeout()*3/2
}

func (n *notifier) run(ctx context.Context) {
	t := time.NewTicker(notifyEvery)
	defer t.Stop()
	for {
		n.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pass queues the events of the runs that finished since the last pass and sends what is due.
func (n *notifier) pass(ctx context.Context) {
	for {
		taken, err := n.store.QueueRunEvents(ctx, 100)
		if err != nil {
			if ctx.Err() == nil {
				n.unreachable("could not queue notification events; trying again every second", err)
			}
			return
		}
		n.reachable()
		if taken < 100 {
			break
		}
	}
	// Events are taken one at a time, each just before it is sent: an event's lease covers its
	// one attempt. A batch taken at once and sent one after the other outlived its lease behind
	// a slow endpoint (20 events of up to 10 s each against a 20 s lease), and another replica
	// took the rest of it and sent those events a second time.
	//
	// A destination that did not answer (a timeout, a refused connection) is not tried again in
	// the pass, nor in the next ones until the failed event's retry: its other events are
	// postponed to then, without an attempt used, so that a dead endpoint holds the other
	// notifications up for one timeout per retry, not one per event queued for it.
	if n.down == nil {
		n.down = map[int64]time.Time{}
	}
	for dest, until := range n.down {
		if !n.now().Before(until) {
			delete(n.down, dest)
		}
	}
	for range notifyBatch {
		if ctx.Err() != nil {
			return
		}
		// The lease ends, as the control plane counts it, no sooner than its length after the
		// claim was asked for: leaseEnd, on the runner's monotonic clock, whatever the two
		// clocks say (send starts no attempt that could outlast it).
		leaseLen := 2 * n.attemptTimeout()
		leaseEnd := time.Now().Add(leaseLen)
		evs, err := n.store.ClaimEvents(ctx, 1, leaseLen)
		if err != nil {
			if ctx.Err() == nil {
				n.unreachable("could not read the notification events that are due; trying again every second", err)
			}
			return
		}
		if len(evs) == 0 {
			return
		}
		ev := evs[0]
		if until, ok := n.down[ev.DestinationID]; ok {
			// Like a send's records (send), even when ctx ends, and bounded: a control plane that
			// stopped answering held the notifier, and the daemon's stop that waits for it, for ever.
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := n.store.PostponeEvent(pctx, ev.ID, until.Sub(n.now()))
			cancel()
			if err != nil {
				n.log.Warn("could not postpone a notification event", "event_id", ev.EventID, "err", err)
			}
			continue
		}
		lease := &eventLease{end: leaseEnd, until: ev.LeaseUntil, length: leaseLen}
		more, unanswered := n.send(ctx, ev, lease)
		if !more {
			return
		}
		if !unanswered.IsZero() && lease.destRead.IsZero() {
			// The destination could not be read (the control plane failed): held by this
			// replica alone, as the connection it would be held for is unknown.
			n.down[ev.DestinationID] = unanswered
		} else if !unanswered.IsZero() {
			// Recorded in the control plane, for every replica and for a daemon started again:
			// held in memory only, the destination was sent the events queued since by those,
			// each into the pause it asked for, and each using an attempt. In memory too only
			// when that fails (a hold there ends early when the connection's url changes).
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			// Not held when the connection changed since post read it: its url may be another
			// endpoint's now, and the pause was asked for by the old one.
			err := n.store.HoldDestination(hctx, ev.DestinationID, lease.destRead, unanswered.Sub(n.now()))
			cancel()
			if err != nil {
				n.down[ev.DestinationID] = unanswered
				n.log.Warn("could not record that a notification destination's events wait", "destination_id", ev.DestinationID, "err", err)
			}
		}
	}
}

// unreachable logs that the control plane failed the notifier, once a minute while it goes on:
// the notifier looks every second.
func (n *notifier) unreachable(msg string, err error) {
	if time.Since(n.unreachableLogged) < time.Minute {
		return
	}
	n.unreachableLogged = time.Now()
	n.log.Warn(msg+" (said once a minute while it lasts)", "err", err)
}

// reachable notes that the control plane answers the notifier again.
func (n *notifier) reachable() {
	if !n.unreachableLogged.IsZero() {
		n.unreachableLogged = time.Time{}
		n.log.Info("the notifier reaches the control plane again")
	}
}

// errLeaseEnding is post's refusal to start an attempt that could end after the event's lease:
// another replica may take the event once the lease ends, and would send it a second time.
var errLeaseEnding = errors.New("the event's lease could end before an attempt does")

// eventLease is an event's claim: when it may end on the runner's monotonic clock (end), and
// when it ends on the control plane's (until, the token RenewEventLease asks for), of length.
type eventLease struct {
	end    time.Time
	until  time.Time
	length time.Duration
	// destRead is the destination's UpdatedAt as post read it (zero: not read): a hold its answer
	// asks for is recorded only while the connection is still that one (Store.HoldDestination).
	destRead time.Time
}

// errLeaseLost is post's when the lease of an event waiting for a slot of its destination's rate
// could not be renewed: another replica may take it (and send it); this one does not, and that
// is not an attempt.
var errLeaseLost = errors.New("the event's lease could not be renewed, or its slot leased, while it waited for a slot of its destination's rate")

// pausedError is post's when the destination's pacer is paused (an adaptive connection that
// asked for a pause, a Retry-After or a spent quota): the event is not sent, which is not an
// attempt, and the destination's events wait until the pause ends.
type pausedError struct{ until time.Time }

func (e *pausedError) Error() string {
	return fmt.Sprintf("the destination asked for a pause, until %s", e.until.UTC().Format(time.RFC3339))
}

// send sends ev once and records the outcome. more is false when the pass should stop (the key
// cannot open the destination's secrets, which no other event of the pass is likely to fare
// better with); unanswered, when the destination gave no answer or asked for a pause (a 429 or
// 5xx with a Retry-After), is when to try it again.
// lease is ev's claim: an attempt is started only if it ends before the lease may (post).
func (n *notifier) send(ctx context.Context, ev controlplane.PendingEvent, lease *eventLease) (more bool, unanswered time.Time) {
	log := n.log.With("event", ev.Event, "event_id", ev.EventID, "notification_id", ev.NotificationID)
	// Recorded even when ctx ends (a stop): the event stays claimed only for its lease otherwise.
	// Each record has its own 10 s from when it is written, after the attempt: a deadline set
	// before the attempt had passed when an attempt used its whole timeout, so the attempt was
	// never recorded (the event taken again at its lease's end, for ever, never given up), nor
	// an answer at its last moment (the event sent again).
	record := func(write func(context.Context) error) error {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return write(rctx)
	}
	body, err := eventRequestBody(ev)
	if err != nil {
		// Rendering again gives the same answer: given up at once, with the reason.
		n.metrics.notification(notifyGivenUp)
		log.Error("a notification event is given up: its body template failed (the syncs are not affected)", "err", err)
		if rerr := record(func(rctx context.Context) error {
			return n.store.EventFailed(rctx, ev.ID, ev.Attempts, 0, err.Error(), 0)
		}); rerr != nil {
			log.Warn("could not record a failed notification attempt", "err", rerr)
		}
		return true, time.Time{}
	}
	status, wait, err := n.post(ctx, ev, body, lease)
	if err == nil {
		if err := record(func(rctx context.Context) error { return n.store.EventSent(rctx, ev.ID, status) }); err != nil {
			log.Warn("a notification event was delivered but could not be recorded as such; it may be sent again", "err", err)
			return true, time.Time{}
		}
		n.metrics.notification(notifyDelivered)
		log.Debug("notification event delivered", "status", status)
		return true, time.Time{}
	}
	if errors.Is(err, controlplane.ErrWrongKey) {
		// BACKFLOW_SECRET_KEY is not the key the destination was sealed with (a mistyped key, a
		// runner left on the old key after a rotation): not the endpoint's failure. The event is
		// not an attempt: it waits, claimed for its lease, as events wait while no daemon runs,
		// and is sent once a daemon with the right key takes it.
		if time.Since(n.wrongKeyLogged) >= time.Minute {
			n.wrongKeyLogged = time.Now()
			log.Error("notification events are waiting: the secret key cannot open their destination; "+
				"give the daemon the right "+controlplane.SecretKeyEnv+" (the events are sent then)", "err", err)
		}
		return false, time.Time{}
	}
	if paused := (*pausedError)(nil); errors.As(err, &paused) {
		// The endpoint asked the destination's pacer for a pause (a Retry-After to a sync's
		// request, or to an event): the event, and the destination's others, wait for its end,
		// not in the pacer, where the notifier would hold every other destination's events.
		log.Info("a notification event waits for the pause its destination asked for", "until", paused.until.UTC().Format(time.RFC3339))
		return true, paused.until
	}
	if errors.Is(err, errLeaseLost) {
		log.Warn("a notification event was not sent: its lease could not be renewed while it waited for a slot of its "+
			"destination's rate limit; it is sent once its lease ends", "err", err)
		return false, time.Time{}
	}
	if errors.Is(err, errLeaseEnding) {
		// The control plane was slow to answer since the event was taken (it hung, or a lock held
		// the destination's read): the event is not sent, and is not an attempt. Once its lease
		// ends, a replica, or this one, takes it and sends it; sent now, it could be sent twice.
		log.Warn("a notification event was not sent: the control plane was too slow to answer since it was taken; "+
			"it is sent once its lease ends", "err", err)
		return false, time.Time{}
	}
	if ctx.Err() != nil {
		// The daemon is stopping: the send was cut short, not refused. It is not an attempt (the
		// event has NotifyMaxAttempts); once its lease ends, a replica, or this one restarted,
		// sends it again.
		log.Info("stopping: a notification event being sent is left to be sent again", "err", err)
		return true, time.Time{}
	}
	attempt := ev.Attempts + 1
	var retryIn time.Duration
	if attempt < NotifyMaxAttempts {
		n.metrics.notification(notifyRetried)
		// A Retry-After (a chat's rate limit) is honoured, up to pacing.MaxRetryAfter (an hour,
		// as an adaptive connection's pacer honours it): retried on the backoff alone, every retry
		// came too early and was refused, until the event was given up.
		retryIn = max(n.backoff(attempt), wait)
		log.Warn("a notification event could not be delivered; retrying later (the syncs are not affected)",
			"attempt", attempt, "of", NotifyMaxAttempts, "err", err, "retry_in", retryIn.Round(time.Second).String())
	} else {
		n.metrics.notification(notifyGivenUp)
		log.Error("a notification event could not be delivered and is given up (the syncs are not affected)",
			"attempts", attempt, "err", err)
	}
	if rerr := record(func(rctx context.Context) error {
		return n.store.EventFailed(rctx, ev.ID, ev.Attempts, status, err.Error(), retryIn)
	}); rerr != nil {
		log.Warn("could not record a failed notification attempt", "err", rerr)
	}
	if status == 0 {
		return true, n.now().Add(cmp.Or(retryIn, n.backoff(1)))
	}
	if wait > 0 {
		// The endpoint asked for a pause: its other events wait for it too, without an attempt,
		// rather than each being sent into the same limit.
		return true, n.now().Add(wait)
	}
	return true, time.Time{}
}

// backoff is the wait before retry n (from 1): exponential with jitter, up to notifyMaxBackoff.
func (n *notifier) backoff(attempt int) time.Duration {
	d := cmp.Or(n.baseBackoff, 5*time.Second)
	for i := 1; i < attempt && d < notifyMaxBackoff; i++ {
		d *= 2
	}
	d = min(d, notifyMaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// eventRequestBody is what is sent for ev: its JSON body, or what the notification's body
// template renders for it, with the notification's content type.
func eventRequestBody(ev controlplane.PendingEvent) (*webhook.Built, error) {
	ctype := cmp.Or(ev.ContentType, controlplane.DefaultEventContentType)
	if ev.Body == "" {
		return &webhook.Built{Body: ev.Payload, ContentType: ctype}, nil
	}
	body, err := webhook.RenderEvent(ev.Body, ctype, ev.Payload)
	if err != nil {
		return nil, fmt.Errorf("the notification's body template: %w", err)
	}
	return &webhook.Built{Body: body, ContentType: ctype}, nil
}

// post sends the event's body once to its notification's destination, signed as the runner's
// batches are, with the event id as the webhook-id. It returns the HTTP status (0 without an
// answer) and, for a 429 or 5xx, the wait its Retry-After asks for (at most
// pacing.MaxRetryAfter). It reads the destination before the lease may end, and starts the
// attempt (at most attemptTimeout, an OAuth2 token's request included) only if it ends half a
// timeout before the lease may (the time to record it), else returns errLeaseEnding: a read of
// the destination that the control plane held up past the event's lease, once it answered, sent
// the event that another replica had taken and sent. While it waits for a slot of the
// destination's rate, it renews the lease (acquire).
func (n *notifier) post(ctx context.Context, ev controlplane.PendingEvent, body *webhook.Built, lease *eventLease) (int, time.Duration, error) {
	leaseEnd := lease.end
	gctx, gcancel := context.WithDeadline(ctx, leaseEnd)
	dest, err := n.store.GetConnection(gctx, ev.DestinationID)
	gcancel()
	if err != nil && ctx.Err() == nil && !time.Now().Before(leaseEnd) {
		return 0, 0, fmt.Errorf("read the notification's destination %d: %w", ev.DestinationID, errors.Join(errLeaseEnding, err))
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read the notification's destination %d: %w", ev.DestinationID, err)
	}
	if dest.Webhook == nil {
		return 0, 0, fmt.Errorf("the notification's destination %q is not a webhook connection", dest.Name)
	}
	lease.destRead = dest.UpdatedAt
	if !n.leaseHoldsAttempt(leaseEnd) {
		return 0, 0, errLeaseEnding
	}
	// Paced as the destination's syncs' requests are, on the same pacer: its
	// max_requests_per_second is the most the runner sends to it, events included (a chat's
	// webhook given its rate limit got a backlog of events all at once, each refused with a 429).
	answered := func(pacing.Answer) {}
	if n.pace != nil {
		p, err := n.pace(ctx, dest)
		if err != nil {
			return 0, 0, fmt.Errorf("pace the notification's destination %q: %w", dest.Name, err)
		}
		done, err := n.acquire(ctx, p, ev, lease)
		if err != nil {
			return 0, 0, err
		}
		answered = done
	}
	sent := false
	var answer pacing.Answer
	defer func() {
		if !sent {
			answer = pacing.NotSent
		}
		answered(answer)
	}()
	rctx, cancel := context.WithTimeout(ctx, n.attemptTimeout())
	defer cancel()
	tokens := n.tokens
	if tokens == nil {
		tokens = new(tokenSources)
	}
	ep := endpoint(dest, tokens, n.client)
	req, err := ep.BuildRequest(rctx, ev.EventID, body)
	if err != nil {
		return 0, 0, err
	}
	client := n.client
	if client == nil {
		client = webhook.DefaultClient()
	}
	// The answer is reported to the pacer as the syncs' Deliverer reports theirs: its latency from
	// sending the request (an OAuth2 token's fetch, in BuildRequest, is not the endpoint's: a slow
	// token endpoint made it look that slow to an adaptive connection's pacer), and a send cut
	// short by the daemon's stop as no answer (it was not the endpoint's, and cut the rate).
	attemptStart := time.Now()
	resp, done, err := webhook.Do(client, req) // an answer's body is read for at most a second
	defer done()
	switch {
	case err != nil && ctx.Err() != nil: // stopped: NotSent (sent stays false)
	case resp != nil:
		sent = true
		answer = pacing.Answer{Status: resp.StatusCode, Latency: time.Since(attemptStart), Header: resp.Header}
	default:
		sent = true
		answer = pacing.Answer{Latency: time.Since(attemptStart)}
	}
	if err != nil {
		return 0, 0, ep.RedactError(err, req.Header.Get("Authorization"))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := ep.Scrub(webhook.AnswerSnippet(resp, 256), req.Header.Get("Authorization"))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		var wait time.Duration
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			// Up to an hour, as the destination's pacer holds it (an adaptive connection pauses
			// its syncs' requests and its events for it): capped shorter here, the event was
			// retried into the pause the pacer still held.
			wait = pacing.AnswerRetryAfter(resp.Header, time.Now(), pacing.MaxRetryAfter)
		}
		return resp.StatusCode, wait, fmt.Errorf("%s answered HTTP %d: %q", dest.Name, resp.StatusCode, snippet)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, 0, nil
}

// acquire waits for a slot of the destination's pacer p (Pacer.Acquire: its concurrency, in
// turn, and its rate) for ev, renewing ev's lease as it waits: an event behind a sync's requests
// at a low rate (ten in flight at one request per second) waited longer than its lease left it,
// gave its place up, and took it again at the back of the queue, never sent. In turn, the wait
// is bounded by the requests in flight and those that asked before it; a daemon's stop ends it
// (ctx); a pause the destination asks for meanwhile ends it too (a pausedError: the notifier
// does not hold every other destination's events for a pause). A renewal that fails, or comes
// back too late, gives the slot up (errLeaseLost): another replica may have the event. On
// success, the lease leaves an attempt time to end and be recorded, as post requires.
func (n *notifier) acquire(ctx context.Context, p *pacing.Pacer, ev controlplane.PendingEvent, lease *eventLease) (func(pacing.Answer), error) {
	if until := p.PauseUntil(); until.After(time.Now()) {
		return nil, &pausedError{until: n.now().Add(time.Until(until))}
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	type acquired struct {
		done func(pacing.Answer)
		err  error
	}
	got := make(chan acquired, 1)
	go func() {
		done, _, err := p.Acquire(actx)
		got <- acquired{done, err}
	}()
	giveUp := func(err error) (func(pacing.Answer), error) {
		cancel()
		if a := <-got; a.err == nil {
			a.done(pacing.NotSent)
		}
		return nil, err
	}
	tick := time.NewTicker(max(n.attemptTimeout()/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case a := <-got:
			if a.err != nil {
				if ctx.Err() != nil {
					return nil, a.err
				}
				if q := (*pacing.QuotaError)(nil); errors.As(a.err, &q) {
					return nil, &pausedError{until: n.now().Add(q.Wait)}
				}
				// The slot's lease from the control plane failed: not the endpoint's answer.
				return nil, errors.Join(errLeaseLost, a.err)
			}
			if !n.leaseHoldsAttempt(lease.end) {
				a.done(pacing.NotSent)
				return nil, errLeaseEnding
			}
			return a.done, nil
		case <-ctx.Done():
			return giveUp(stoppedErr(ctx))
		case <-tick.C:
			if until := p.PauseUntil(); until.After(time.Now()) {
				return giveUp(&pausedError{until: n.now().Add(time.Until(until))})
			}
			if time.Until(lease.end) >= n.attemptTimeout()*7/4 {
				continue // renewed recently
			}
			sent := time.Now()
			rctx, rcancel := context.WithDeadline(ctx, lease.end)
			until, ok, err := n.store.RenewEventLease(rctx, ev.ID, lease.until, lease.length)
			rcancel()
			switch {
			case ctx.Err() != nil:
				return giveUp(stoppedErr(ctx))
			case err != nil:
				return giveUp(errors.Join(errLeaseLost, err))
			case !ok:
				return giveUp(errLeaseLost)
			}
			lease.end, lease.until = sent.Add(lease.length), until
		}
	}
}

func stoppedErr(ctx context.Context) error { return fmt.Errorf("the notifier stopped: %w", ctx.Err()) }
