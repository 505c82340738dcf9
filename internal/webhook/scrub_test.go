package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// An endpoint that echoes the request it refused (its headers, its URL) put the connection's
// secrets into the rejection's body, which runs, the delivery log, the status page and
// notifications show: they are scrubbed from every answer kept, even cut short at the bound.
func TestAnswersAreScrubbedOfTheConnectionsSecrets(t *testing.T) {
	const token, key, pass, secret = "sk_live_SECRET123", "q-KEY-4567", "hunter2-pass", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	var echo func(r *http.Request) string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(echo(r)))
	}))
	defer srv.Close()
	basic := base64.StdEncoding.EncodeToString([]byte("u:" + pass))
	eps := map[string]struct {
		ep      Endpoint
		secrets []string
	}{
		"headers and signing secret": {Endpoint{URL: srv.URL + "/hook?api_key=" + key, Headers: map[string]string{"Authorization": "Bearer " + token},
			SigningSecret: "whsec_" + secret}, []string{token, key, secret, token[:len(token)-7]}},
		"basic auth": {Endpoint{URL: srv.URL + "/hook", BasicAuth: &controlplane.BasicAuth{Username: "u", Password: pass}},
			[]string{pass, basic, basic[:len(basic)-7]}},
	}
	for name, c := range eps {
		ep := c.ep
		for _, cut := range []int{0, 7} {
			echo = func(r *http.Request) string {
				s := "refused: url=" + r.URL.String() + " sig=" + r.Header.Get("Webhook-Signature") + " whsec_" + secret + " " + r.Header.Get("Authorization")
				return s[:len(s)-cut] // cut: the answer ends inside the secret
			}
			d := &Deliverer{Client: srv.Client(), Endpoint: ep, MaxRetries: -1, BaseBackoff: time.Millisecond}
			res, err := d.Deliver(context.Background(), &Meta{}, OpChanged, [][]byte{[]byte(`{"id":1}`)})
			var body string
			switch {
			case len(res.Rejected) == 1:
				body = res.Rejected[0].Body
			case err != nil:
				var de *DeliveryError
				if errors.As(err, &de) {
					body = de.Body
				}
			}
			if body == "" || !strings.Contains(body, "refused") {
				t.Fatalf("%s: no answer kept (%v, %+v)", name, err, res)
			}
			for _, s := range c.secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s (cut %d): the kept answer shows a secret of the connection: %q", name, cut, body)
				}
			}
		}
	}
}
