package webhooktest

import (
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestReceiver(t *testing.T) {
	r := New(t)
	post(t, r.URL+"/hook", `{"operation":"changed","data":[{"unique_id":"a","n":1},{"unique_id":"b","n":1}]}`)
	post(t, r.URL+"/hook", `{"operation":"deleted","data":[{"unique_id":"a"}]}`)
	post(t, r.URL+"/raw?x=1", `not an envelope`)
	if v := r.View(); len(v) != 1 || v["b"]["n"] != float64(1) {
		t.Fatalf("view: %v", v)
	}
	reqs := r.Requests()
	if len(reqs) != 3 || reqs[2].Envelope != nil || reqs[2].Path != "/raw?x=1" || reqs[0].Envelope == nil || reqs[1].N != 2 {
		t.Fatalf("requests: %+v", reqs)
	}
	keys, got := r.Take("unique_id")
	if strings.Join(keys, ",") != `changed "a",changed "b",deleted "a"` || len(got) != 3 || got[2].Op != "deleted" {
		t.Fatalf("take: %q %v", keys, got)
	}
	if keys, _ := r.Take("unique_id"); len(keys) != 0 {
		t.Fatalf("take forgets: %q", keys)
	}

	// A refusal is answered, kept as a request, and changes no view; a Handler answers first.
	r.Answer(http.StatusBadRequest, "no")
	if s := post(t, r.URL, `{"operation":"changed","data":[{"unique_id":"c"}]}`); s != http.StatusBadRequest {
		t.Fatalf("status %d", s)
	}
	r.Handle(func(q *Request, w http.ResponseWriter) bool {
		if q.N == 5 {
			w.WriteHeader(http.StatusTeapot)
			return true
		}
		return false
	})
	if s := post(t, r.URL, `{}`); s != http.StatusTeapot {
		t.Fatalf("handled: %d", s)
	}
	if _, ok := r.View()["c"]; ok || r.Seen() != 5 || len(r.Requests()) != 1 {
		t.Fatalf("after a refusal and a handled request: view %v, seen %d, requests %d", r.View(), r.Seen(), len(r.Requests()))
	}
}
