package webhook

import (
	"fmt"
	"testing"
	"time"
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
