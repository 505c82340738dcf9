package runner

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/printable"
	"github.com/backflowhq/terraform-provider-backflow/internal/schedule"
)

// The status page: server-rendered HTML on the daemon's --listen, read-only, with inline SVG
// charts and no script or external asset, so that it reads in any browser, or in curl.

// statusRuns is how many recent runs a sync's chart and page show.
const statusRuns = 30

// statusFailedDeliveries is how many failed requests a sync's page shows.
const statusFailedDeliveries = 50

// tokenCookie holds a sign-in (apiToken.signIn) once a browser has given the token through the
// login form: an expiry and a signature keyed by the token, not the token.
const tokenCookie = "backflow_token"

// signInLifetime is how long a sign-in through the login form lasts.
const signInLifetime = 12 * time.Hour

// Sync states, as the page shows them.
const (
	stateOK      = "ok"
	stateFailing = "failing"
	statePaused  = "paused"
	stateBlocked = "blocked"
)

//go:embed statuspage.html
var statusFS embed.FS

var statusTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"when": formatWhen,
	"dur":  formatDuration,
	"join": func(names []string) string {
		shownNames := make([]string, len(names))
		for i, n := range names {
			shownNames[i] = shown(n)
		}
		return strings.Join(shownNames, ", ")
	},
	"shown": shown,
}).ParseFS(statusFS, "statuspage.html"))

// shown is text from outside (a name, a run's error, an endpoint's answer, a key) as the
// commands print it (printable.Text): HTML escaping keeps it from being markup, not from being
// shown as something else, and a browser obeys a bidirectional override (U+202E reverses what
// follows it) and shows a zero width space as nothing ("users\u200b" passes for "users"), as a
// terminal does. A line that ends in CRLF (nginx's error pages, a proxy's answer) ends as a
// line, as a browser reads it, not with "\u000d"; a CR alone is shown as its escape.
func shown(s string) string {
	return printable.Text(strings.ReplaceAll(s, "\r\n", "\n"))
}

type statusPage struct {
	store *controlplane.Store
	// token is BACKFLOW_API_TOKEN's check; nil: the page is open.
	token *apiToken
	// now is the runner's clock, which the sign-in cookie's expiry is on; the page's times (a
	// sync's next slot, the page's own) are the control plane's, as the daemon's schedule is.
	now func() time.Time
	// gate bounds the requests that read the control plane at once; nil: unbounded.
	gate controlPlaneGate
}

// registerStatusPage serves the status page on mux: GET / (every sync), GET /syncs/{id} (one
// sync's runs and failed requests) and, with BACKFLOW_API_TOKEN set, POST /login.
func registerStatusPage(mux *http.ServeMux, store *controlplane.Store, token *apiToken, gate controlPlaneGate) {
	(&statusPage{store: store, token: token, now: time.Now, gate: gate}).register(mux)
}

// register serves p on mux (registerStatusPage; a test gives p its own clock).
func (p *statusPage) register(mux *http.ServeMux) {
	if p.token != nil {
		mux.HandleFunc("POST /login", p.login)
	}
	busy := func(w http.ResponseWriter, msg string) { http.Error(w, msg, http.StatusServiceUnavailable) }
	mux.HandleFunc("GET /{$}", p.authed(boundedByControlPlane(p.gate, busy, p.overview)))
	mux.HandleFunc("GET /syncs/{id}", p.authed(boundedByControlPlane(p.gate, busy, p.syncPage)))
}

// authed lets a request through when it carries the token as "Authorization: Bearer TOKEN" or
// as the cookie the login form sets, else it answers 401 with the login form and nothing else;
// when no token is set, it lets a request through only when it is addressed to an IP address or
// localhost (addressedByIP), else it answers 403.
func (p *statusPage) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case p.token == nil && !addressedByIP(r.Host):
			// 403 and not 421 Misdirected Request: this is a refusal by policy, and a client
			// may retry a 421 on another connection, which would get the same answer.
			http.Error(w, fmt.Sprintf("this request was addressed to %q: the status page without %s answers only requests addressed to an IP address or localhost "+
				"(a web page could point another name at this address); open it by address, or set %[2]s", r.Host, APITokenEnv), http.StatusForbidden)
		case p.token == nil || p.allowed(r):
			next(w, r)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="backflow"`)
			p.render(w, http.StatusUnauthorized, "login", loginView{Next: r.URL.Path})
		}
	}
}

// addressedByIP reports whether host, a request's Host (with or without a port), is an IP
// address, localhost or a name under .localhost (in any case, with or without the final dot).
// A web page the operator visits can point a DNS name of its own at the daemon's address and so
// read an open status page with the operator's browser (DNS rebinding), but the browser then
// sends that name as the Host; it cannot make an address, or localhost, which browsers resolve
// to loopback themselves, its own.
func addressedByIP(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

func (p *statusPage) allowed(r *http.Request) bool {
	if p.token.bearer(r) {
		return true
	}
	c, err := r.Cookie(tokenCookie)
	return err == nil && p.token.signedIn(c.Value, p.now())
}

// login takes the token from the form and, when it matches, sets a cookie holding a sign-in that
// expires after signInLifetime (not the token, which is not stored in the browser) and goes back
// to the page asked for.
func (p *statusPage) login(w http.ResponseWriter, r *http.Request) {
	// A sign-in form is a token and a path: anyone who reaches the page may post one, so its
	// body is bounded before it is read (unbounded, a few large posts grew the daemon by
	// hundreds of MB).
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the sign-in form is too large or malformed", http.StatusRequestEntityTooLarge)
		return
	}
	if !p.token.matches(r.PostFormValue("token")) {
		p.render(w, http.StatusUnauthorized, "login", loginView{Next: safeNext(r.PostFormValue("next")), Failed: true})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: p.token.signIn(p.now().Add(signInLifetime)), Path: "/",
		MaxAge: int(signInLifetime / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || forwardedHTTPS(r)})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// forwardedHTTPS reports whether the proxy in front of the daemon says the browser's request
// came over HTTPS (X-Forwarded-Proto, or the proto of RFC 7239's Forwarded, the nearest client's
// first): the cookie is then Secure, as the docs' advice is to put a page beyond loopback behind
// a proxy that terminates TLS. A client can send the header itself, but it can only make its own
// cookie stricter.
func forwardedHTTPS(r *http.Request) bool {
	if p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); p != "" {
		return strings.EqualFold(strings.TrimSpace(p), "https")
	}
	first, _, _ := strings.Cut(r.Header.Get("Forwarded"), ",")
	for _, pair := range strings.Split(first, ";") {
		k, v, _ := strings.Cut(pair, "=")
		if strings.EqualFold(strings.TrimSpace(k), "proto") {
			return strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"`), "https")
		}
	}
	return false
}

// maxLoginBody bounds a sign-in form's body.
const maxLoginBody = 8 << 10

// safeNext keeps a redirect after login on this server.
func safeNext(next string) string {
	if next == "/" || (strings.HasPrefix(next, "/syncs/") && !strings.ContainsAny(next, `\`)) {
		return next
	}
	return "/"
}

type loginView struct {
	Next   string
	Failed bool
}

// syncStatus is one sync as the page shows it.
type syncStatus struct {
	Sync  *controlplane.Sync
	State string
	// Since is when the sync started failing: the start of the oldest of its latest failed
	// runs (of those read).
	Since   time.Time
	Last    *controlplane.Run // the latest run; nil: never ran
	Next    time.Time         // zero: none (manual, paused)
	NextErr string
	// Parents are the names of the syncs it runs after (schedule.after); empty: none.
	Parents []string
	// Held are the names of deleted parents that hold it until its after is applied again
	// (controlplane.Store.AfterHeld); empty: none.
	Held  []string
	Chart chart
}

// stateOf works out a sync's state from its runs, newest first. Running and canceled runs say
// nothing about it: a canceled run was stopped, not refused.
func stateOf(paused bool, runs []*controlplane.Run) (state string, since time.Time) {
	if paused {
		return statePaused, time.Time{}
	}
loop:
	for _, r := range runs {
		switch r.Status {
		case controlplane.RunRunning, controlplane.RunCanceled:
			continue
		case controlplane.RunFailed:
			since = r.StartedAt
		case controlplane.RunBlocked:
			if since.IsZero() {
				return stateBlocked, time.Time{}
			}
			break loop
		default:
			break loop
		}
	}
	if !since.IsZero() {
		return stateFailing, since
	}
	return stateOK, time.Time{}
}

func (p *statusPage) status(s *controlplane.Sync, bases map[int64]time.Time, runs []*controlplane.Run, names map[int64]string,
	held map[int64][]string, now time.Time) syncStatus {
	st := syncStatus{Sync: s, Chart: newChart(runs), Held: held[s.ID]}
	for _, id := range s.After {
		st.Parents = append(st.Parents, cmp.Or(names[id], fmt.Sprintf("sync %d", id)))
	}
	st.State, st.Since = stateOf(s.Paused, runs)
	if len(runs) > 0 {
		st.Last = runs[0]
	}
	if !s.Paused {
		due, ok, err := schedule.NextDue(s.ScheduleEvery, s.ScheduleCron, s.CreatedAt, bases[s.ID], now)
		switch {
		case err != nil:
			st.NextErr = err.Error()
		case ok:
			st.Next = due
		}
	}
	return st
}

type overviewView struct {
	Syncs []syncStatus
	Now   time.Time
}

func (p *statusPage) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	syncs, err := p.store.ListSyncs(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	bases, err := p.store.ScheduleBases(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	now, err := p.store.Now(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	v := overviewView{Now: now}
	names := make(map[int64]string, len(syncs))
	for _, s := range syncs {
		names[s.ID] = s.Name
	}
	// One query for every sync's runs (their errors are not shown here), not one per sync: a
	// page that waits controlPlaneWait at most cannot afford a round trip per sync.
	runs, err := p.store.RecentRuns(ctx, statusRuns)
	if err != nil {
		p.unavailable(w)
		return
	}
	held, err := p.store.AfterHeld(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	for _, s := range syncs {
		v.Syncs = append(v.Syncs, p.status(s, bases, runs[s.ID], names, held, now))
	}
	p.render(w, http.StatusOK, "overview", v)
}

type syncView struct {
	syncStatus
	Runs   []*controlplane.Run
	Failed []controlplane.Delivery
	Now    time.Time
}

func (p *statusPage) syncPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s, err := p.store.GetSync(ctx, id)
	if errors.Is(err, controlplane.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		p.unavailable(w)
		return
	}
	bases, err := p.store.ScheduleBases(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	runs, err := p.store.ListRuns(ctx, id, statusRuns)
	if err != nil {
		p.unavailable(w)
		return
	}
	withheld, err := StoredKeyWithheld(ctx, p.store, s)
	if err != nil {
		p.unavailable(w)
		return
	}
	for i, r := range runs { // as `runs` shows them (StoredRunsShown)
		if runs[i], err = StoredRunShown(ctx, p.store, withheld, s, r); err != nil {
			p.unavailable(w)
			return
		}
	}
	// Each request's keys, withheld from its answer (ShownDelivery).
	failed, err := p.store.ListDeliveries(ctx, controlplane.DeliveryFilter{SyncID: id, Failed: true, Limit: statusFailedDeliveries,
		Keys: withheld != ""})
	if err != nil {
		p.unavailable(w)
		return
	}
	if err := StoredDeliveriesShown(ctx, p.store, withheld, failed); err != nil {
		p.unavailable(w)
		return
	}
	for i := range failed {
		failed[i] = ShownDelivery(withheld, failed[i])
	}
	names := map[int64]string{}
	for _, id := range s.After {
		if y, err := p.store.GetSync(ctx, id); err == nil {
			names[id] = y.Name
		}
	}
	held, err := p.store.AfterHeld(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	now, err := p.store.Now(ctx)
	if err != nil {
		p.unavailable(w)
		return
	}
	p.render(w, http.StatusOK, "sync", syncView{syncStatus: p.status(s, bases, runs, names, held, now), Runs: runs, Failed: failed, Now: now})
}

func (p *statusPage) unavailable(w http.ResponseWriter) {
	http.Error(w, "cannot read the control plane", http.StatusServiceUnavailable)
}

// render executes a template into a buffer first, so that a template error is a 500 and not half
// a page.
func (p *statusPage) render(w http.ResponseWriter, code int, name string, data any) {
	var b strings.Builder
	if err := statusTemplates.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Inline styles only, no script, nothing from elsewhere; never framed.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(b.String()))
}

// chart is a sync's recent runs, oldest first, as bars of records sent and a line of duration.
type chart struct {
	Width, Height float64
	Bars          []chartBar
	Line          string // polyline points of the durations
	MaxSent       int64
	MaxDuration   time.Duration
}

type chartBar struct {
	X, Y, W, H float64
	Failed     bool
	Title      string
}

const (
	chartWidth  = 180
	chartHeight = 40
)

// newChart draws runs (newest first, as ListRuns returns them).
func newChart(runs []*controlplane.Run) chart {
	c := chart{Width: chartWidth, Height: chartHeight}
	if len(runs) == 0 {
		return c
	}
	for _, r := range runs {
		c.MaxSent = max(c.MaxSent, sent(r))
		c.MaxDuration = max(c.MaxDuration, r.Duration())
	}
	slot := float64(chartWidth) / float64(len(runs))
	var pts []string
	for i := range runs {
		r := runs[len(runs)-1-i]
		// At least a sliver, so that a run that sent nothing (a failed one, often) still shows.
		h := 2.0
		if c.MaxSent > 0 {
			h = max(h, float64(sent(r))/float64(c.MaxSent)*(chartHeight-2))
		}
		x := float64(i) * slot
		c.Bars = append(c.Bars, chartBar{X: x + slot*0.1, Y: chartHeight - h, W: slot * 0.8, H: h,
			Failed: r.Status == controlplane.RunFailed || r.Status == controlplane.RunBlocked,
			Title:  fmt.Sprintf("run %d (%s): %d sent in %s", r.ID, r.Status, sent(r), formatDuration(r.Duration()))})
		y := float64(chartHeight - 1)
		if c.MaxDuration > 0 {
			y = chartHeight - 1 - float64(r.Duration())/float64(c.MaxDuration)*(chartHeight-2)
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x+slot/2, y))
	}
	c.Line = strings.Join(pts, " ")
	return c
}

// sent is how many of a run's records reached the endpoint and got an answer: delivered or
// rejected; none for a run that recorded them as delivered without sending them (trigger mark),
// as backflow_records_total counts it.
func sent(r *controlplane.Run) int64 {
	if r.Trigger == controlplane.TriggerMark {
		return 0
	}
	return r.Counts.Delivered + r.Counts.Rejected
}

func formatWhen(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
