package webhook_test

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// buildPath builds the `deleted` request of a record-mode spec whose path is path, for record.
func buildPath(t *testing.T, path, record string) (webhook.Built, error) {
	t.Helper()
	rs, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		Deleted: &controlplane.OperationRequest{Method: "DELETE", Path: path}}, webhook.Vars{Key: "id"})
	if err != nil {
		t.Fatalf("compile %q: %v", path, err)
	}
	return rs.Build(nil, testMeta(), controlplane.OpDeleted, [][]byte{[]byte(record)})
}

// A record's value written by a {{ }} of a path without url_encode must not change which
// resource the path names: a '/' or '\' in it adds segments (DELETE /c/x/y deletes y under x), a
// '?' starts the query (/c/7?force=true is contact 7, with a parameter), a ';' starts the
// parameters servers such as Tomcat and Spring drop (/c/7;x is /c/7), and in the query a '&' or
// a ';' adds a parameter (?q=v&admin=1). The record is refused with a reason that names the tag
// and url_encode; a '?' or a '/' in a query value, or an '=', changes nothing and is sent.
func TestPathValueCannotNameAnotherResource(t *testing.T) {
	for _, tc := range []struct {
		path, record string
		refused      string // what the refusal says, "" when the request is built
		want         string // the path built
	}{
		{path: "/c/{{ record.id }}", record: `{"id":"a/b"}`, refused: `{{ record.id }} wrote "a/b", whose '/'`},
		{path: "/c/{{ record.id }}", record: `{"id":"x/../../admin"}`, refused: `has a ".." segment`},
		{path: "/c/{{ record.id }}", record: `{"id":"7?force=true"}`, refused: `whose '?'`},
		{path: "/c/{{ record.id }}", record: `{"id":"a\\b"}`, refused: `whose '\'`},
		{path: "/c/{{ record.id }}", record: `{"id":"7;x"}`, refused: `whose ';'`},
		{path: "/c/{{- record.id -}}/n", record: `{"id":"a/b"}`, refused: `{{- record.id | url_encode -}}`},
		{path: "/c/{{ record.id }}?q={{ record.v }}", record: `{"id":"7","v":"v&admin=1"}`,
			refused: `{{ record.v }} wrote "v&admin=1", whose '&'`},
		{path: "/c/{{ record.id }}?q={{ record.v }}", record: `{"id":"7","v":"v;admin=1"}`, refused: `whose ';'`},
		// A query's '+' is a space to servers: the lookup (or delete) of a+b@x.com asked for "a b@x.com".
		{path: "/contacts?email={{ record.email }}", record: `{"email":"a+b@x.com"}`, refused: `wrote "a+b@x.com", whose '+' is read as a space`},
		{path: "/contacts?email={{ record.email | url_encode }}", record: `{"email":"a+b@x.com"}`, want: "/contacts?email=a%2Bb%40x.com"},
		{path: "/c/{{ record.id }}", record: `{"id":"a+b"}`, want: "/c/a+b"}, // a path's '+' is a '+'
		{path: "/c/{{ record.id }}", record: `{"id":7}`, want: "/c/7"},
		{path: "/c/{{ record.id }}/notes?q={{ record.v }}", record: `{"id":"7","v":"a/b?c=d"}`, want: "/c/7/notes?q=a/b?c=d"},
		{path: "/c/ {{- record.id -}} /n", record: `{"id":"7"}`, want: "/c/7/n"},
		// Values through url_encode pass unchanged, whatever they hold.
		{path: "/c/{{ record.id | url_encode }}?q={{ record.v | url_encode }}", record: `{"id":"a/b?c;d\\e","v":"v&admin=1;x#y"}`,
			want: "/c/a%2Fb%3Fc%3Bd%5Ce?q=v%26admin%3D1%3Bx%23y"},
		// Slashes the template writes outside {{ }}, around values: the path's own.
		{path: "/c{% for p in record.parts %}/{{ p | url_encode }}{% endfor %}", record: `{"parts":["a","b c"]}`, want: "/c/a/b%20c"},
		{path: "/c{% for p in record.parts %}/{{ p }}{% endfor %}", record: `{"parts":["a","b/c"]}`, refused: `{{ p }} wrote "b/c"`},
		{path: "/c/{% if record.id %}{{ record.id }}{% endif %}", record: `{"id":"a?b"}`, refused: `whose '?'`},
		// A value assigned or captured is written by the {{ }} that outputs it.
		{path: "{% capture p %}{{ record.id }}{% endcapture %}/c/{{ p }}", record: `{"id":"x/y"}`, refused: `{{ p }} wrote "x/y"`},
		{path: "{% capture p %}{{ record.id }}{% endcapture %}/c/{{ p }}", record: `{"id":"x"}`, want: "/c/x"},
		// Slashes written inside {{ }} are refused too, whoever wrote them: the path's own go outside.
		{path: `{{ "/c/" | append: record.id }}`, record: `{"id":"7"}`, refused: `wrote "/c/7", whose '/'`},
		// The characters that mark what {{ }} wrote, in a value, are the value's (sent escaped).
		{path: "/c/{{ record.id }}", record: `{"id":"a\ue002b\ue000c"}`, want: "/c/a%EE%80%82b%EE%80%80c"},
		{path: "/c/{{ record.id }}", record: `{"id":"a\ue002/\ue0000\ue001b"}`, refused: `whose '/'`},
	} {
		built, err := buildPath(t, tc.path, tc.record)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s for %s: %v, want %s", tc.path, tc.record, err, tc.want)
		case tc.refused == "" && built.Path != tc.want:
			t.Errorf("%s for %s: path %q, want %q", tc.path, tc.record, built.Path, tc.want)
		case tc.refused != "" && err == nil:
			t.Errorf("%s for %s: built %q, want it refused", tc.path, tc.record, built.Path)
		case tc.refused != "" && (!strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "url_encode")):
			t.Errorf("%s for %s: %v, want it to say %s and name url_encode", tc.path, tc.record, err, tc.refused)
		}
	}
}

// The plan-time check renders the path for a sample record: a template that builds the path's
// own slashes or '?' inside {{ }} is refused there, with what to write instead.
func TestCheckRequestsRefusesSlashesWrittenInsideOutputs(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{path: `{{ "/contacts/" | append: record.id }}`},
		{path: `/contacts/{{ record.id | prepend: "x?" }}`},
		{path: `/reports/{{ run.started_at | date: "%Y/%m/%d" }}`},
		{path: `/contacts/{{ record.id }}?{{ "a=1&b=2" }}`},
		{path: `/contacts/{{ record.id | url_encode }}?a={{ record.id }}`, ok: true},
		{path: `/reports/{{ run.started_at | date: "%Y" }}/{{ run.started_at | date: "%m" }}`, ok: true},
	} {
		errs := webhook.CheckRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
			New: &controlplane.OperationRequest{Method: "PUT", Path: tc.path}}, webhook.Vars{}, []byte(`{"id":"n"}`), []byte(`{"id":"n"}`))
		switch {
		case tc.ok && len(errs) != 0:
			t.Errorf("plan check of %s: %v, want none", tc.path, errs[0])
		case !tc.ok && (len(errs) != 1 || errs[0].Field != "path" || !strings.Contains(errs[0].Error(), "outside {{ }}")):
			t.Errorf("plan check of %s: %v, want one error on the path saying to write it outside {{ }}", tc.path, errs)
		}
	}
}

// Backflow marks what a path's {{ }} write with private-use characters, so a path template may
// not hold them as text: it is refused when compiled, and at plan.
func TestPathTemplateCannotHoldOutputMarks(t *testing.T) {
	_, err := webhook.CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "PUT", Path: "/c/\ue000{{ record.id }}"}}, webhook.Vars{})
	if err == nil || !strings.Contains(err.Error(), "U+E000") {
		t.Errorf("compile: %v, want the character refused", err)
	}
}

// A value that writes nothing where it is a path's whole segment drops that segment: a key ""
// in /contacts/{{ record.id | url_encode }} deleted /contacts/, the collection, and a null in
// /accounts/{{ record.account }}/contacts is /accounts//contacts, which servers that merge
// slashes read as /accounts/contacts. The record is refused, url_encode or not; an empty value
// beside text in its segment, or in the query, changes no resource and is sent.
func TestPathEmptyValueCannotDropASegment(t *testing.T) {
	for _, tc := range []struct {
		path, record string
		want         string // "": refused
	}{
		{path: "/c/{{ record.id | url_encode }}", record: `{"id":""}`},
		{path: "/c/{{ record.id }}", record: `{"id":null}`},
		{path: "/a/{{ record.a }}/c", record: `{"a":null}`},
		{path: "/c/{{ record.a }}{{ record.b }}?x=1", record: `{"a":"","b":""}`},
		{path: "{{ record.id }}", record: `{"id":""}`},
		{path: "/{{ record.id }}", record: `{"id":""}`},
		{path: "/c/{{ record.a }}{{ record.b }}", record: `{"a":"","b":"7"}`, want: "/c/7"},
		{path: "/c/x{{ record.s }}", record: `{"s":""}`, want: "/c/x"},
		{path: "/c{{ record.s }}/7", record: `{"s":""}`, want: "/c/7"},
		{path: "/c/7?q={{ record.v }}", record: `{"v":""}`, want: "/c/7?q="},
		{path: "/c/7/", record: `{}`, want: "/c/7/"},
	} {
		built, err := buildPath(t, tc.path, tc.record)
		switch {
		case tc.want != "" && err != nil:
			t.Errorf("%s for %s: %v, want %s", tc.path, tc.record, err, tc.want)
		case tc.want != "" && built.Path != tc.want:
			t.Errorf("%s for %s: path %q, want %q", tc.path, tc.record, built.Path, tc.want)
		case tc.want == "" && err == nil:
			t.Errorf("%s for %s: built %q, want it refused", tc.path, tc.record, built.Path)
		case tc.want == "" && !strings.Contains(err.Error(), "wrote nothing"):
			t.Errorf("%s for %s: %v, want it to say the value wrote nothing", tc.path, tc.record, err)
		}
	}
}

// A path is bounded by what is sent (64 KiB): the marks around what its outputs write do not
// count, so a path of many short values that fits is built, and one past the bound is not.
func TestPathBoundCountsWhatIsSent(t *testing.T) {
	parts := func(n int) string { return `{"parts":[` + strings.TrimSuffix(strings.Repeat(`"a",`, n), ",") + `]}` }
	const path = "/c{% for p in record.parts %}/{{ p }}{% endfor %}"
	built, err := buildPath(t, path, parts(20000))
	if err != nil || len(built.Path) != 40002 {
		t.Errorf("a path of 40002 bytes: %d bytes, %v; want it built", len(built.Path), err)
	}
	if _, err := buildPath(t, path, parts(40000)); err == nil || !strings.Contains(err.Error(), "renders more than 64 KiB") {
		t.Errorf("a path of 80002 bytes: %v, want it past the bound", err)
	}
}
