package runner

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// An endpoint that reads the whole request and then answers nothing an HTTP client can judge
// (a status outside 100 to 599, a reset) may have taken the records: the failed run keeps its
// intents, and the next run sends the keys again as changed (PATCH), not as never delivered.
// A status 000 or 999 used to leave no intent, as if every attempt had been refused: what the
// endpoint may have taken was forgotten (a new record's key, or one the warehouse loses before
// the next run, which a mirror would then not delete).
func TestHostileAnswerKeepsIntents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(c net.Conn)
	}{
		{"status 000", func(c net.Conn) { _, _ = io.WriteString(c, "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n") }},
		{"status 999", func(c net.Conn) { _, _ = io.WriteString(c, "HTTP/1.1 999 Nine\r\nContent-Length: 0\r\n\r\n") }},
		{"reset", func(c net.Conn) { _ = c.(*net.TCPConn).SetLinger(0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, rest := restFixture(t, controlplane.BehaviorUpdateOrCreate, restSpec())
			f.engine.MaxRetries = 1
			f.run(controlplane.RunSucceeded, RunOptions{})
			if got := methods(rest); strings.Join(got, " ") != "POST POST POST" {
				t.Fatalf("first run sent %v, want three creates", got)
			}
			f.exec(`UPDATE contacts SET name = name || '!'`)
			var hostile atomic.Bool
			hostile.Store(true)
			rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
				if !hostile.Load() {
					return false
				}
				c, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return true
				}
				tc.answer(c)
				c.Close()
				return true
			})
			run := f.run(controlplane.RunFailed, RunOptions{})
			if run.Counts.Delivered != 0 {
				t.Errorf("failed run counts %+v: want none delivered", run.Counts)
			}
			if n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID); n == 0 {
				t.Errorf("no intent left by a run whose requests got no HTTP answer (error: %s)", run.Error)
			}
			hostile.Store(false)
			methods(rest)
			run = f.run(controlplane.RunSucceeded, RunOptions{})
			if run.Counts.Delivered != 3 || run.Counts.Changed != 3 {
				t.Errorf("next run counts %+v: want 3 changed, delivered", run.Counts)
			}
			if got := methods(rest); strings.Join(got, " ") != "PATCH PATCH PATCH" {
				t.Errorf("next run sent %v, want the keys resent as changed (PATCH)", got)
			}
		})
	}
}

// A run's error is kept to a bound, its start and its end: a model that fails on a large value
// (Postgres quotes the whole value in "invalid input syntax for type integer: ...") made a run
// error of megabytes, stored, printed by `runs`, shown for each of the last 30 runs on the
// status page, and sent whole in every notification event of the run (run.error), where an
// endpoint's body limit refused the alert about that failure. (The value is now left out of the
// error where the warehouse's driver returns it, warehouse.For; the bound stays for any other.)
func TestHugeRunErrorIsBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`ALTER TABLE users ADD COLUMN note text; UPDATE users SET note = repeat('x', 2000000) WHERE id = 2`)
	f.model.Table, f.model.SQL = "", "select id, email, note::int AS n from users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	run := f.run(controlplane.RunFailed, RunOptions{})
	if len(run.Error) > 8<<10 {
		t.Errorf("the run's error is %d bytes, want at most 8 KiB", len(run.Error))
	}
	for _, want := range []string{`read the model`, `invalid input syntax for type integer: "[value not shown]"`, `(SQLSTATE 22P02)`} {
		if !strings.Contains(run.Error, want) {
			t.Errorf("the run's error lacks %q: %.300s ... %.300s", want, run.Error, run.Error[max(len(run.Error)-300, 0):])
		}
	}
}

// A preview (the plan's, the data source's, `sync --dry-run`) and a test of a model that fails on
// a large value say so within the bound of a run's error, as a run does: the plan's warning
// quoted the 2 MB value whole.
func TestHugePreviewErrorIsBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.exec(`ALTER TABLE users ADD COLUMN note text; UPDATE users SET note = repeat('x', 2000000)`)
	f.model.Table, f.model.SQL = "", "select id, email, note::int AS n from users"
	if err := f.store.UpdateModel(f.ctx, f.model); err != nil {
		t.Fatal(err)
	}
	_, dryErr := f.engine.DryRun(f.ctx, f.sync.ID, false, 3)
	_, previewErr := f.engine.Preview(f.ctx, f.sync, nil, false, 3)
	_, testErr := f.engine.Test(f.ctx, f.sync.ID)
	for name, err := range map[string]error{"dry run": dryErr, "preview": previewErr, "test": testErr} {
		switch {
		case err == nil:
			t.Errorf("%s: no error", name)
		case len(err.Error()) > 8<<10:
			t.Errorf("%s: the error is %d bytes, want at most 8 KiB", name, len(err.Error()))
		case !strings.Contains(err.Error(), "(SQLSTATE 22P02)"):
			t.Errorf("%s: the error lacks its SQLSTATE: ...%s", name, err.Error()[max(len(err.Error())-300, 0):])
		}
	}
}

// A 302 or a 303 to a create is what a server answers once it has applied it (Post/Redirect/Get:
// "see the contact you created"). The run fails, as every redirect does (redirects are not
// followed), but the records may have been taken: their intents stay, and a mirror deletes a
// key the warehouse lost before the next run. Its intent was dropped as if the 303 were a
// refusal, and the contact the endpoint created stayed there for ever. A 307 or a 308 asks for
// the request again elsewhere (not applied): no intent, as before.
func TestRedirectAfterCreateKeepsIntents(t *testing.T) {
	for _, tc := range []struct {
		status int
		kept   bool
	}{{http.StatusFound, true}, {http.StatusSeeOther, true}, {http.StatusTemporaryRedirect, false}, {http.StatusPermanentRedirect, false}} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			spec := restSpec()
			spec.Deleted = &controlplane.OperationRequest{Method: "DELETE", Path: "/contacts/{{ record.email | url_encode }}"}
			f, rest := restFixture(t, controlplane.BehaviorMirror, spec)
			f.engine.MaxRetries, f.engine.Concurrency = 1, 1
			var redirect atomic.Bool
			redirect.Store(true)
			var redirected []string // the emails of the creates answered with a redirect
			rest.Handle(func(req *webhooktest.Request, w http.ResponseWriter) bool {
				if !redirect.Load() {
					return false
				}
				var c struct{ Email string }
				if err := json.Unmarshal(req.Body, &c); err != nil {
					t.Error(err)
				}
				redirected = append(redirected, c.Email)
				w.Header().Set("Location", "/api/contacts/1")
				w.WriteHeader(tc.status)
				return true
			})
			run := f.run(controlplane.RunFailed, RunOptions{})
			if !strings.Contains(run.Error, "redirect") {
				t.Errorf("run error %q, want it to name the redirect", run.Error)
			}
			n := f.count(`SELECT count(*) FROM backflow.sync_intents WHERE sync_id = $1`, f.sync.ID)
			if (n > 0) != tc.kept {
				t.Fatalf("%d intents left by a run whose creates were answered %d, want kept %v", n, tc.status, tc.kept)
			}
			redirect.Store(false)
			if len(redirected) == 0 {
				t.Fatal("no create was answered with the redirect")
			}
			for _, email := range redirected {
				f.exec(`DELETE FROM contacts WHERE email = $1`, email)
			}
			// The only key that may have been delivered (when its intent was kept) is the one
			// gone: the mirror's guard (more than half deleted) blocks the run, and it is accepted.
			if tc.kept {
				f.acceptBlocked(controlplane.RunSucceeded, RunOptions{})
			} else {
				f.run(controlplane.RunSucceeded, RunOptions{})
			}
			got := strings.Join(methods(rest), " ")
			want := 0
			if tc.kept {
				want = len(redirected)
			}
			if deletes := strings.Count(got, "DELETE"); deletes != want {
				t.Errorf("next run sent %s: want %d DELETEs, of the keys lost whose creates may have been applied", got, want)
			}
		})
	}
}
