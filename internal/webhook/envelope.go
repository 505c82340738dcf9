// Package webhook encodes the envelope a webhook receives, signs it (Standard Webhooks) and
// delivers it over HTTP.
package webhook

import (
	"encoding/json"
	"strconv"
	"time"
)

// Operations carried in the envelope.
const (
	OpChanged = "changed"
	OpDeleted = "deleted"
	OpTest    = "test"
)

// Meta is what every envelope of one sync run carries besides its operation and data.
type Meta struct {
	SyncRunAt      time.Time
	ConnectionName string // the destination's name
	ModelName      string
	SchemaName     string // table models only; else null
	TableName      string // table models only; else null
	SyncID         int64
	SyncName       string
}

// Envelope is the decoded form of a webhook request body, for tests and the receiver.
type Envelope struct {
	APIVersion            int               `json:"api_version"`
	Operation             string            `json:"operation"`
	SyncRunAt             string            `json:"sync_run_at"`
	ConnectionName        string            `json:"connection_name"`
	ModelName             string            `json:"model_name"`
	SchemaName            *string           `json:"schema_name"`
	TableName             *string           `json:"table_name"`
	SyncConfigurationID   int64             `json:"sync_configuration_id"`
	SyncConfigurationName *string           `json:"sync_configuration_name"`
	Data                  []json.RawMessage `json:"data"`
}

func appendJSONString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // strings always marshal
	return append(buf, b...)
}

func appendNullable(buf []byte, s string) []byte {
	if s == "" {
		return append(buf, "null"...)
	}
	return appendJSONString(buf, s)
}

// appendRest appends everything between the operation and the records. It is rebuilt for every
// batch rather than cached in Meta: a cache filled on first use would be a data race when several
// batches of one run are encoded at once, and these few short strings cost nothing beside the data.
func (m *Meta) appendRest(b []byte) []byte {
	b = append(b, `,"sync_run_at":`...)
	b = appendJSONString(b, m.SyncRunAt.UTC().Format(time.RFC3339))
	b = append(b, `,"connection_name":`...)
	b = appendJSONString(b, m.ConnectionName)
	b = append(b, `,"model_name":`...)
	b = appendJSONString(b, m.ModelName)
	b = append(b, `,"schema_name":`...)
	b = appendNullable(b, m.SchemaName)
	b = append(b, `,"table_name":`...)
	b = appendNullable(b, m.TableName)
	b = append(b, `,"sync_configuration_id":`...)
	b = strconv.AppendInt(b, m.SyncID, 10)
	b = append(b, `,"sync_configuration_name":`...)
	b = appendNullable(b, m.SyncName)
	return append(b, `,"data":[`...)
}

// AppendEnvelope appends the JSON envelope for records (each already a JSON object) to buf, keys
// in the order of the Census webhook guide.
func (m *Meta) AppendEnvelope(buf []byte, operation string, records [][]byte) []byte {
	buf = append(buf, `{"api_version":1,"operation":`...)
	buf = appendJSONString(buf, operation)
	buf = m.appendRest(buf)
	for i, r := range records {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r...)
	}
	return append(buf, "]}"...)
}
