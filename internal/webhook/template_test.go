package webhook

import (
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

func render(t *testing.T, src, rec string) (string, error) {
	t.Helper()
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: controlplane.RequestModeRecord,
		New: &controlplane.OperationRequest{Method: "POST", Format: controlplane.FormatRaw, Body: src}}, Vars{SyncName: "s"})
	if err != nil {
		return "", err
	}
	b, err := rs.Build(nil, &Meta{}, controlplane.OpNew, [][]byte{[]byte(rec)})
	return string(b.Body), err
}

func TestFilters(t *testing.T) {
	rec := `{"k": "a b/c?d&e=f+g ü 例", "n": 12.50, "i": 9007199254740993, "big": 123456789012345678901234567890.5,
		"t": "2024-02-29T23:59:59+02:00", "s": "<q \"x\">\n", "o": {"b": [1, null]}, "z": null}`
	for _, tc := range []struct{ src, want string }{
		{`{{ record.k | url_encode }}`, "a%20b%2Fc%3Fd%26e%3Df%2Bg%20%C3%BC%20%E4%BE%8B"},
		{`{{ record.n | json }} {{ record.i | json }} {{ record.big | json }}`, "12.50 9007199254740993 123456789012345678901234567890.5"},
		{`{{ record.n }} {{ record.i }}`, "12.50 9007199254740993"},
		{`{{ record.s | json }}`, `"<q \"x\">\n"`},
		{`{{ record.o | json }} {{ record.z | json }}`, `{"b":[1,null]} null`},
		{`{{ "abc" | sha256 }}`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`{{ record.t | iso8601 }} {{ record.t | unix }} {{ record.t | date: "%Y-%m-%d" }}`, "2024-02-29T21:59:59Z 1709243999 2024-02-29"},
		{`{{ operation }} {{ sync.name }}`, "new s"},
	} {
		got, err := render(t, tc.src, rec)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.src, got, err, tc.want)
		}
	}
}

func TestJoinURL(t *testing.T) {
	for _, tc := range []struct{ base, path, want string }{
		{"https://h/api", "", "https://h/api"},
		{"https://h/api/", "/contacts", "https://h/api/contacts"},
		{"https://h/api?k=1", "/contacts/7?x=2", "https://h/api/contacts/7?k=1&x=2"},
		{"https://h", "contacts?x=2", "https://h/contacts?x=2"},
		{"https://h/api?k=1", "?x=2", "https://h/api?k=1&x=2"},
	} {
		if got := JoinURL(tc.base, tc.path); got != tc.want {
			t.Errorf("JoinURL(%q, %q) = %q, want %q", tc.base, tc.path, got, tc.want)
		}
	}
}

// Template errors say where: the line, and the column of the tag or output that failed.
func TestTemplateErrorPositions(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{\n  \"a\": {% if x %}", `line 2, column 8: unterminated "if" block`},
		{"x\n\n   {{ record.k | nope }}", "line 3, column 4: "},
	} {
		var err error
		if err = ParseTemplate(tc.src); err == nil {
			_, err = render(t, tc.src, `{"k": 1}`)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
	_, err := render(t, `{{ record.k }}`, `[1]`)
	if err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("a record that is not an object: %v", err)
	}
}
