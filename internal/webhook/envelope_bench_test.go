package webhook

import (
	"fmt"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// benchRecords returns n records shaped like the Census guide's users (about 330 bytes each).
func benchRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"company":"Walsh and Sons %d","company_domain":"adams%d.co.uk","created_at":"2019-01-01T00:00:07",`+
			`"unique_id":"alycia.adams%d@example.com","first_name":"Alycia","full_name":"Alycia Adams","last_name":"Adams",`+
			`"role":"Regional Sales Manager","type":"paid user","user_id":"C4CA4238-A0B9-2382-0DCC-509A6F75849B","website":"http://adams%d.biz"}`,
			i%997, i%997, i, i%991)
	}
	return recs
}

// BenchmarkAppendEnvelope builds the body of one batch of 1000 records into a reused buffer,
// as the deliverer does for each batch.
func BenchmarkAppendEnvelope(b *testing.B) {
	recs := benchRecords(1000)
	m := &Meta{SyncRunAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), ConnectionName: "bench receiver",
		ModelName: "bench users", SchemaName: "public", TableName: "users", SyncID: 1, SyncName: "bench users upsert"}
	var buf []byte
	buf = m.AppendEnvelope(buf[:0], OpChanged, recs)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendEnvelope(buf[:0], OpChanged, recs)
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSignBatch signs one batch body of 1000 records (Standard Webhooks, HMAC-SHA256), the
// extra cost per request of a connection with a signing secret.
func BenchmarkSignBatch(b *testing.B) {
	m := &Meta{SyncRunAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), SyncID: 1, SyncName: "s"}
	body := m.AppendEnvelope(nil, OpChanged, benchRecords(1000))
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ts := time.Unix(1700000000, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Signature(secret, "msg_1", ts, body)
	}
}

// BenchmarkTemplateBatch builds one batch of 1000 records with a templated body that reshapes
// each record (the bench's "templated batch" case).
func BenchmarkTemplateBatch(b *testing.B) {
	benchTemplate(b, controlplane.RequestModeBatch, `{"operation":"changed","sync":{{ sync.name | json }},"data":[{% for r in records %}`+
		`{"id":{{ r.unique_id | json }},"fields":{{ r | json }}}{% unless forloop.last %},{% endunless %}{% endfor %}]}`)
}

// BenchmarkTemplateRecord builds 1000 record-mode requests (the bench's "record mode" case).
func BenchmarkTemplateRecord(b *testing.B) {
	benchTemplate(b, controlplane.RequestModeRecord, `{"operation":"changed","data":[{{ record | json }}]}`)
}

func benchTemplate(b *testing.B, mode, body string) {
	recs := benchRecords(1000)
	rs, err := CompileRequests(&controlplane.RequestSpec{Mode: mode, New: &controlplane.OperationRequest{
		Method: "POST", Path: "/users/{{ " + map[string]string{controlplane.RequestModeBatch: "records.first", controlplane.RequestModeRecord: "record"}[mode] + ".unique_id | url_encode }}", Body: body}},
		Vars{SyncName: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	m := &Meta{}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if mode == controlplane.RequestModeBatch {
			built, err := rs.Build(buf[:0], m, controlplane.OpNew, recs)
			if err != nil {
				b.Fatal(err)
			}
			buf = built.Body
			continue
		}
		for i := range recs {
			built, err := rs.Build(buf[:0], m, controlplane.OpNew, recs[i:i+1])
			if err != nil {
				b.Fatal(err)
			}
			buf = built.Body
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkTemplateBatchRecords builds one batch of 1000 records with a templated body that
// sends the records as they are (`{{ records | json }}`): the bench's "templated batch" case.
func BenchmarkTemplateBatchRecords(b *testing.B) {
	benchTemplate(b, controlplane.RequestModeBatch, `{"operation":"changed","sync":{{ sync.name | json }},"run":{{ run.id }},"data":{{ records | json }}}`)
}
