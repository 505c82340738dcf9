package provider

import (
	"strings"
	"testing"
)

// A plan that changes a destination connection's url in place: the syncs that send there keep
// their ledgers, so the new url receives only what changes from their next runs on, none of what
// they delivered before. The url is sensitive (the plan prints "(sensitive value)"), so without
// a word from the provider a reviewer could not tell that the endpoint moved, nor what it gets.
func TestAccPlanWarnsDestinationMoved(t *testing.T) {
	e := newTestEnv(t)
	hook := newReceiver(t, 200, "ok")
	d := newTFDir(t)
	sync := syncResource("s", "Users", "all", `behavior    = "mirror"
  primary_key = "unique_id"`)
	d.apply(e.config(e.syncBase(hook.URL), sync))
	moved := func(diags []planDiag) []string {
		var got []string
		for _, dg := range diags {
			if strings.HasPrefix(dg.Summary, "Backflow Destination Moved") {
				got = append(got, dg.Summary+": "+dg.Detail)
			}
		}
		return got
	}
	// Another host (the receiver's, by another name).
	other := strings.Replace(hook.URL, "127.0.0.1", "localhost", 1)
	if other == hook.URL {
		t.Fatalf("the receiver's url %q is not on 127.0.0.1", hook.URL)
	}
	got := moved(d.plan(e.config(e.syncBase(other+"/hook?token=s3cret"), sync)))
	if len(got) != 1 {
		t.Fatalf("the destination's url moves to another host: want one warning, got %q", got)
	}
	for _, want := range []string{`Connection "Webhook Test"`, "to another host", `"Users"`, "keep their ledgers",
		"none of the records they delivered before", "--full"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("the warning lacks %q:\n%s", want, got[0])
		}
	}
	for _, secret := range []string{"localhost", "127.0.0.1", "s3cret", "/hook"} {
		if strings.Contains(got[0], secret) {
			t.Errorf("the warning shows %q of the sensitive url:\n%s", secret, got[0])
		}
	}
	// The same host, another path: another endpoint too, maybe.
	if got := moved(d.plan(e.config(e.syncBase(hook.URL+"/v2"), sync))); len(got) != 1 || !strings.Contains(got[0], "the same host") {
		t.Errorf("the destination's url moves to another path: want one warning saying the host is the same, got %q", got)
	}
	// Nothing moves: a header changes (a rotated token), or nothing at all.
	header := strings.Replace(e.syncBase(hook.URL), "webhook = {\n    url = ", "webhook = {\n    headers = { \"X-Token\" = \"t2\" }\n    url = ", 1)
	if header == e.syncBase(hook.URL) {
		t.Fatal("the test's base configuration no longer has the webhook block it adds a header to")
	}
	for what, cfg := range map[string]string{"unchanged": e.config(e.syncBase(hook.URL), sync), "a header": e.config(header, sync)} {
		if got := moved(d.plan(cfg)); len(got) != 0 {
			t.Errorf("%s: no url change, yet %q", what, got)
		}
	}
}
