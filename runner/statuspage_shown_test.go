package runner

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// The status page shows text from outside (a sync's name, a run's error, an endpoint's answer)
// as the commands print it: a bidirectional override, which a browser obeys (U+202E shows what
// follows it reversed), a zero width space, which it shows as nothing (a sync "users\u200b"
// passes for "users"), and the controls are shown as their escapes. é, 例 and a name's
// markup are shown as they are.
func TestStatusPageShowsOutsideTextAsCommandsDo(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.Name = "users\u200b Café 例 <b>"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("down \u202ecod.exe\u202c \x1b[31mred"))
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{Trigger: controlplane.TriggerManual})
	base := serveStatus(t, f.store)
	for _, path := range []string{"/", "/syncs/" + strconv.FormatInt(f.sync.ID, 10)} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(b)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, page)
		}
		if i := strings.IndexAny(page, "\u200b\u202e\u202c\x1b"); i >= 0 {
			t.Errorf("GET %s shows %q as it is: ...%s...", path, []rune(page[i:])[0], page[max(0, i-40):min(len(page), i+40)])
		}
		for _, want := range []string{`users\u200b Café 例 &lt;b&gt;`} {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s does not show %s", path, want)
			}
		}
		if path != "/" && !strings.Contains(page, `down \u202ecod.exe\u202c \u001b[31mred`) {
			t.Errorf("GET %s does not show the endpoint's answer with its escapes", path)
		}
	}
}

// An endpoint's answer written with CRLF line ends (nginx's own error pages, a proxy's answer in
// front of the webhook, IIS) is shown line by line, as a browser reads a CR before a line feed:
// not with "\u000d" at the end of every line. A CR alone is still shown as its escape.
func TestStatusPageShowsCRLFAnswersAsLines(t *testing.T) {
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.recv.Handle(func(_ *webhooktest.Request, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\nover\rwrite</body>\r\n</html>\r\n"))
		return true
	})
	f.run(controlplane.RunFailed, RunOptions{Trigger: controlplane.TriggerManual})
	base := serveStatus(t, f.store)
	resp, err := http.Get(base + "/syncs/" + strconv.FormatInt(f.sync.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	want := "&lt;html&gt;\n&lt;head&gt;&lt;title&gt;502 Bad Gateway&lt;/title&gt;&lt;/head&gt;\n&lt;body&gt;\nover\\u000dwrite&lt;/body&gt;\n&lt;/html&gt;\n"
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
		i := strings.Index(page, `<td class="err">&lt;html`)
		t.Errorf("GET /syncs/%d: %d, the answer shown as\n%s\nwant\n%s", f.sync.ID, resp.StatusCode, page[max(i, 0):min(len(page), max(i, 0)+200)], want)
	}
}
