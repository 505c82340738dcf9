package runner

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// chromiumEnv names the Chromium the browser test drives; scripts/ensure-chromium.sh sets it.
const chromiumEnv = "BACKFLOW_CHROMIUM"

// serveStatus serves Handler on a free port of 127.0.0.1 for the test's lifetime.
func serveStatus(t *testing.T, store *controlplane.Store) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(store, nil, nil), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// statusPageFixture makes a sync with a succeeded run then a failed one (its endpoint answering
// 500), and a paused sync whose name needs escaping.
func statusPageFixture(t *testing.T) (*fixture, *controlplane.Sync) {
	t.Helper()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "15m"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.run(controlplane.RunSucceeded, RunOptions{Trigger: controlplane.TriggerManual})
	f.exec(`UPDATE users SET name = 'Ada L' WHERE id = 1`)
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("endpoint is down"))
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{Trigger: controlplane.TriggerManual})
	paused := f.world.NewSync(controlplane.Sync{Name: "Paused <b>sync</b>", BatchSize: 10, Paused: true})
	return f, paused
}

// artifactPath is where a test keeps a file worth looking at after it ends (t.TempDir is removed).
func artifactPath(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "backflow-test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("no Chromium: run the tests with `make test`, or run scripts/ensure-chromium.sh and set %s to the path it prints", chromiumEnv)
	return ""
}

func TestStatusPageBrowser(t *testing.T) {
	f, paused := statusPageFixture(t)
	base := serveStatus(t, f.store)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// The first action starts the browser, which lives as long as the context of that call: it
	// gets no timeout; the page loads do.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()

	// load opens url (or, with click set, follows the link it selects) and returns the page's
	// text and how many elements match count.
	load := func(url, click, count string) (body string, n int) {
		t.Helper()
		nav := chromedp.Navigate(url)
		if click != "" {
			nav = chromedp.Click(chromedp.CSS(click))
		}
		if err := chromedp.Do(ctx, nav, chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
			t.Fatalf("load %s: %v", cmp.Or(click, url), err)
		}
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		n, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(count)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return body, n
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := artifactPath(t, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	body, bars := load(base+"/", "", "svg rect.bar")
	screenshot("statuspage-overview.png")
	for _, want := range []string{
		"Active users to webhook", "failing since", "Paused <b>sync</b>", "paused",
		// the last (failed) run's counters: Ada changed, and could not be delivered
		"extracted 5", "changed 1", "delivered 0", "failed 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q; it reads:\n%s", want, body)
		}
	}
	if bars != 2 {
		t.Errorf("overview has %d chart bars, want 2 (one per run of the failing sync)", bars)
	}

	syncBody, svgs := load("", `a[href="/syncs/`+strconv.FormatInt(f.sync.ID, 10)+`"]`, "svg")
	screenshot("statuspage-sync.png")
	for _, want := range []string{"Active users to webhook", "failing since", "every 15m", "succeeded", "failed",
		"extracted 5 · new 5", "Failed deliveries", "500", "endpoint is down"} {
		if !strings.Contains(syncBody, want) {
			t.Errorf("sync page lacks %q; it reads:\n%s", want, syncBody)
		}
	}
	if svgs != 1 {
		t.Errorf("sync page has %d svg, want 1", svgs)
	}

	pausedBody, _ := load(base+"/syncs/"+strconv.FormatInt(paused.ID, 10), "", "svg")
	for _, want := range []string{"Paused <b>sync</b>", "paused", "No runs yet."} {
		if !strings.Contains(pausedBody, want) {
			t.Errorf("paused sync's page lacks %q; it reads:\n%s", want, pausedBody)
		}
	}
}

func TestStatusPageToken(t *testing.T) {
	const token = "s3cret-token"
	t.Setenv(APITokenEnv, token)
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	base := serveStatus(t, f.store)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		name   string
		path   string
		header []string
		want   int
	}{
		{"no token", "/", nil, http.StatusUnauthorized},
		{"no token, sync page", "/syncs/" + strconv.FormatInt(f.sync.ID, 10), nil, http.StatusUnauthorized},
		{"wrong token", "/", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"bearer", "/", []string{"Authorization", "Bearer " + token}, http.StatusOK},
		{"bearer, scheme in lower case", "/", []string{"Authorization", "bearer " + token}, http.StatusOK},
		{"another scheme", "/", []string{"Authorization", "Basic " + token}, http.StatusUnauthorized},
		{"bearer, sync page", "/syncs/" + strconv.FormatInt(f.sync.ID, 10), []string{"Authorization", "Bearer " + token}, http.StatusOK},
		{"healthz stays open", "/healthz", nil, http.StatusOK},
	} {
		if got := get(tc.path, tc.header...).StatusCode; got != tc.want {
			t.Errorf("%s: GET %s = %d, want %d", tc.name, tc.path, got, tc.want)
		}
	}

	// A sign-in form larger than a token and a path is refused before it is read whole.
	big := url.Values{"token": {strings.Repeat("x", 1<<20)}, "next": {"/"}}
	if resp, err := noRedirect.PostForm(base+"/login", big); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("login with a 1 MB form = %d, want 413", resp.StatusCode)
	}
	// The login form: a wrong token is refused, the right one sets a cookie that opens the page.
	resp, err := noRedirect.PostForm(base+"/login", url.Values{"token": {"nope"}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with a wrong token = %d, want 401", resp.StatusCode)
	}
	resp, err = noRedirect.PostForm(base+"/login", url.Values{"token": {token}, "next": {"https://evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login = %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == tokenCookie {
			cookie = c.Name + "=" + c.Value
			if strings.Contains(c.Value, token) {
				t.Errorf("the cookie holds the token itself")
			}
		}
	}
	if cookie == "" {
		t.Fatal("login set no cookie")
	}
	if got := get("/", "Cookie", cookie).StatusCode; got != http.StatusOK {
		t.Errorf("GET / with the login cookie = %d, want 200", got)
	}
}

// TestStatusPageHostWithoutToken: without BACKFLOW_API_TOKEN the status page answers only requests
// addressed to an IP address or localhost, since a web page could point a name of its own at the
// daemon (DNS rebinding) and read the page with the operator's browser; /healthz and /metrics
// answer any name; with a token set any name is served to the bearer.
func TestStatusPageHostWithoutToken(t *testing.T) {
	t.Setenv(APITokenEnv, "")
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics\n")) })
	h := Handler(f.store, metrics, nil)
	get := func(h http.Handler, host, path string, header ...string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = host
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	// short is the start of a body, for a failure's message.
	short := func(body string) string { return body[:min(len(body), 200)] }
	syncPath := "/syncs/" + strconv.FormatInt(f.sync.ID, 10)
	for _, path := range []string{"/", syncPath} {
		for _, host := range []string{"evil.example:9464", "evil.example", "localhost.evil.example", "127.0.0.1.evil.example:9464", ""} {
			code, body := get(h, host, path)
			if code != http.StatusForbidden || strings.Contains(body, f.sync.Name) || !strings.Contains(body, APITokenEnv) {
				t.Errorf("GET %s with Host %q = %d, want 403 saying to set %s and nothing of the syncs: %q", path, host, code, APITokenEnv, short(body))
			}
		}
		for _, host := range []string{"127.0.0.1:9464", "127.0.0.1", "[::1]:9464", "[::1]", "::1", "10.1.2.3:9464", "localhost:9464", "LOCALHOST.", "localhost.:9464", "foo.localhost", "Foo.LocalHost.:9464"} {
			if code, body := get(h, host, path); code != http.StatusOK || !strings.Contains(body, f.sync.Name) {
				t.Errorf("GET %s with Host %q = %d, want 200 with the sync: %q", path, host, code, short(body))
			}
		}
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		if code, body := get(h, "runner.internal:9464", path); code != http.StatusOK {
			t.Errorf("GET %s with Host runner.internal = %d, want 200 (open to any name): %q", path, code, short(body))
		}
	}

	const token = "s3cret-token"
	t.Setenv(APITokenEnv, token)
	h = Handler(f.store, metrics, nil)
	if code, body := get(h, "runner.internal", "/", "Authorization", "Bearer "+token); code != http.StatusOK || !strings.Contains(body, f.sync.Name) {
		t.Errorf("GET / with a token set, Host runner.internal and the bearer = %d, want 200: %q", code, short(body))
	}
	if code, _ := get(h, "runner.internal", "/"); code != http.StatusUnauthorized {
		t.Errorf("GET / with a token set, Host runner.internal and no bearer = %d, want 401", code)
	}
}

// TestStatusPageSignInCookie: the cookie the sign-in form sets holds an expiry and a signature
// keyed by the token, not the token nor a fixed digest of it. It opens the page for 12 hours, on a
// page restarted with the same token too; it does not once expired, with its expiry moved, in the
// old form (the token's SHA-256), signed with that digest as the key, or made by another token.
func TestStatusPageSignInCookie(t *testing.T) {
	const token = "s3cret-token"
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := start
	page := func(token string) http.Handler {
		mux := http.NewServeMux()
		(&statusPage{store: f.store, token: newAPIToken(token), now: func() time.Time { return clock }}).register(mux)
		return mux
	}
	login := func(h http.Handler, token string) *http.Cookie {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"token": {token}, "next": {"/"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("login = %d, want 303", rec.Code)
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == tokenCookie {
				return c
			}
		}
		t.Fatal("login set no cookie")
		return nil
	}
	h := page(token)
	// open reports whether a GET / with the cookie holding value shows the syncs; else it must
	// answer 401 with the sign-in form.
	open := func(h http.Handler, value string) bool {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: tokenCookie, Value: value})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		switch {
		case rec.Code == http.StatusOK && strings.Contains(body, f.sync.Name):
			return true
		case rec.Code != http.StatusUnauthorized || !strings.Contains(body, `name="token"`) || strings.Contains(body, f.sync.Name):
			t.Errorf("GET / with the cookie %q = %d, want 200 with the syncs or 401 with the sign-in form only: %q", value, rec.Code, body[:min(len(body), 200)])
		}
		return false
	}

	c := login(h, token)
	digest := sha256.Sum256([]byte(token))
	if c.MaxAge != 12*60*60 || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure {
		t.Errorf("cookie MaxAge %d, HttpOnly %t, SameSite %d, Secure %t; want 43200 (12 h), true, %d (Strict), false (no TLS)", c.MaxAge, c.HttpOnly, c.SameSite, c.Secure, http.SameSiteStrictMode)
	}
	if strings.Contains(c.Value, token) || strings.Contains(strings.ToLower(c.Value), hex.EncodeToString(digest[:])) {
		t.Errorf("the cookie %q holds the token or its digest", c.Value)
	}
	expiry, mac, ok := strings.Cut(c.Value, ".")
	if exp, err := strconv.ParseInt(expiry, 10, 64); !ok || err != nil || exp != start.Add(12*time.Hour).Unix() {
		t.Errorf("the cookie %q is not EXPIRY.MAC with EXPIRY %d (now + 12 h)", c.Value, start.Add(12*time.Hour).Unix())
	}

	if !open(h, c.Value) {
		t.Errorf("the cookie does not open the page")
	}
	if !open(page(token), c.Value) {
		t.Errorf("the cookie does not open the page of a restarted daemon (or another replica) with the same token")
	}
	clock = start.Add(12*time.Hour - time.Second)
	if !open(h, c.Value) {
		t.Errorf("the cookie does not open the page 12 h - 1 s after sign-in")
	}
	clock = start.Add(12*time.Hour + time.Second)
	if open(h, c.Value) {
		t.Errorf("the cookie opens the page 12 h + 1 s after sign-in")
	}

	clock = start
	moved := strconv.FormatInt(start.Add(36*time.Hour).Unix(), 10) + "." + mac
	if open(h, moved) {
		t.Errorf("the cookie with its expiry moved a day on opens the page")
	}
	if open(h, hex.EncodeToString(digest[:])) {
		t.Errorf("the old cookie (the token's SHA-256) opens the page")
	}
	// Old cookies held the token's digest: it must not be the key either.
	m := hmac.New(sha256.New, digest[:])
	m.Write([]byte(signInMessage + expiry))
	if open(h, expiry+"."+hex.EncodeToString(m.Sum(nil))) {
		t.Errorf("a cookie signed with the token's SHA-256 (what old cookies held) as the key opens the page")
	}
	other := page("another-token")
	if open(h, login(other, "another-token").Value) {
		t.Errorf("a cookie made by a page with another token opens the page")
	}
	for _, v := range []string{"", ".", expiry + ".", "." + mac, expiry + "." + mac + "00", expiry + ".zz"} {
		if open(h, v) {
			t.Errorf("the cookie %q opens the page", v)
		}
	}
}

func TestStatusPageState(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC) }
	run := func(status string, m int) *controlplane.Run {
		return &controlplane.Run{Status: status, StartedAt: at(m)}
	}
	for _, tc := range []struct {
		name      string
		paused    bool
		runs      []*controlplane.Run // newest first
		wantState string
		wantSince time.Time
	}{
		{"never ran", false, nil, stateOK, time.Time{}},
		{"succeeded", false, []*controlplane.Run{run("succeeded", 2), run("failed", 1)}, stateOK, time.Time{}},
		{"failing since the oldest of the latest failures", false,
			[]*controlplane.Run{run("running", 5), run("failed", 4), run("canceled", 3), run("failed", 2), run("succeeded", 1)}, stateFailing, at(2)},
		{"blocked", false, []*controlplane.Run{run("blocked", 2), run("failed", 1)}, stateBlocked, time.Time{}},
		{"failing after a block", false, []*controlplane.Run{run("failed", 3), run("blocked", 2)}, stateFailing, at(3)},
		{"paused wins", true, []*controlplane.Run{run("failed", 1)}, statePaused, time.Time{}},
	} {
		state, since := stateOf(tc.paused, tc.runs)
		if state != tc.wantState || !since.Equal(tc.wantSince) {
			t.Errorf("%s: state %s since %v, want %s since %v", tc.name, state, since, tc.wantState, tc.wantSince)
		}
	}
}

// The chart's bars are records sent: a run that recorded the model's records as delivered
// without sending them (trigger mark) sent none. Its bar counted its 5 'delivered' as sent
// ('run 2 (succeeded): 5 sent'), though backflow_records_total, which counts records sent,
// showed none.
func TestStatusPageChartMarkRunSentNothing(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newChart([]*controlplane.Run{
		{ID: 2, Status: controlplane.RunSucceeded, Trigger: controlplane.TriggerMark, StartedAt: start, FinishedAt: start.Add(time.Second),
			Counts: controlplane.RunCounts{Extracted: 5, New: 5, Delivered: 5}},
		{ID: 1, Status: controlplane.RunSucceeded, Trigger: controlplane.TriggerManual, StartedAt: start, FinishedAt: start.Add(time.Second),
			Counts: controlplane.RunCounts{Extracted: 3, New: 3, Delivered: 3}},
	})
	if len(c.Bars) != 2 || !strings.HasPrefix(c.Bars[1].Title, "run 2 (succeeded): 0 sent") || c.MaxSent != 3 {
		t.Errorf("the chart of a marking run: %+v", c)
	}
}

// Behind a proxy that terminates TLS (the docs' advice for a page beyond loopback) the request
// reaches the daemon over plain HTTP, and the sign-in cookie was set without Secure: a browser
// then sent it over plain HTTP too, to any http:// address of the same host. The proxy's
// X-Forwarded-Proto or Forwarded header saying https now makes it Secure (a header that lies
// can only make the cookie stricter).
func TestStatusPageSignInCookieSecureBehindTLSProxy(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	mux := http.NewServeMux()
	(&statusPage{store: f.store, token: newAPIToken("s3cret-token"), now: time.Now}).register(mux)
	for _, tc := range []struct {
		header, value string
		secure        bool
	}{
		{"X-Forwarded-Proto", "https", true},
		{"X-Forwarded-Proto", "HTTPS", true},
		{"X-Forwarded-Proto", "https, http", true},
		{"Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43", true},
		{"Forwarded", `for="[2001:db8:cafe::17]:4711"; Proto=HTTPS`, true},
		{"X-Forwarded-Proto", "http", false},
		{"Forwarded", "for=192.0.2.60;proto=http", false},
		{"", "", false},
	} {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"token": {"s3cret-token"}, "next": {"/"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.header != "" {
			req.Header.Set(tc.header, tc.value)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var secure, found bool
		for _, c := range rec.Result().Cookies() {
			if c.Name == tokenCookie {
				found, secure = true, c.Secure
			}
		}
		if !found || secure != tc.secure {
			t.Errorf("%s: %s: cookie set %t, Secure %t; want Secure %t", tc.header, tc.value, found, secure, tc.secure)
		}
	}
}
