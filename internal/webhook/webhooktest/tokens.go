package webhooktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TokenServer is an OAuth2 token endpoint (client credentials) for tests: it issues tok-1,
// tok-2, ... valid for expiresIn seconds to its client (credentials by HTTP basic auth or in the
// form), answers other clients 401, and while SetFail holds a status, answers every request
// that status with an OAuth2 error body.
type TokenServer struct {
	*httptest.Server
	clientID, clientSecret string
	expiresIn              int

	mu     sync.Mutex
	issued int
	fail   int
	forms  []map[string]string
}

// NewTokenServer starts a token endpoint for the client clientID with clientSecret, closed
// when t ends.
func NewTokenServer(t testing.TB, clientID, clientSecret string, expiresIn int) *TokenServer {
	ts := &TokenServer{clientID: clientID, clientSecret: clientSecret, expiresIn: expiresIn}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request: %v", err)
		}
		ts.mu.Lock()
		defer ts.mu.Unlock()
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		ts.forms = append(ts.forms, form)
		w.Header().Set("Content-Type", "application/json")
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		switch {
		case ts.fail != 0:
			w.WriteHeader(ts.fail)
			fmt.Fprint(w, `{"error":"temporarily_unavailable","error_description":"the token service is down"}`)
			return
		case id != ts.clientID || secret != ts.clientSecret || r.PostForm.Get("grant_type") != "client_credentials":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		ts.issued++
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", ts.issued),
			"token_type": "bearer", "expires_in": ts.expiresIn})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// Issued is how many tokens the server issued.
func (ts *TokenServer) Issued() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

// Current is the Authorization an API that accepts only the last token issued expects.
func (ts *TokenServer) Current() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return fmt.Sprintf("Bearer tok-%d", ts.issued)
}

// SetFail makes the server answer every request status; 0 makes it issue tokens again.
func (ts *TokenServer) SetFail(status int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.fail = status
}

// Forms are the forms of the token requests received, in order.
func (ts *TokenServer) Forms() []map[string]string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]map[string]string(nil), ts.forms...)
}
