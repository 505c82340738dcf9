package controlplane

// A sync's requests (Sync.Request): what each operation sends, in place of the Census envelope.
// The names here are the Terraform schema's; the provider validates with these lists and
// internal/webhook compiles and renders them.

// Request modes: how many records one request carries.
const (
	RequestModeRecord = "record" // one request per record, rendered from `record`
	RequestModeBatch  = "batch"  // one request per batch, rendered from `records`
)

// RequestModes lists every mode, the default first.
var RequestModes = []string{RequestModeRecord, RequestModeBatch}

// Body formats: what a request's body is.
const (
	FormatJSON     = "json"     // the body template, which must render JSON
	FormatRaw      = "raw"      // the body template, sent as rendered with the request's content_type
	FormatNDJSON   = "ndjson"   // the mapped records, one JSON object per line
	FormatForm     = "form"     // the mapped record as application/x-www-form-urlencoded (record mode)
	FormatEnvelope = "envelope" // the Census envelope of the batch (batch mode)
	FormatNone     = "none"     // no body
)

// Formats lists every body format, in the order the docs present them.
var Formats = []string{FormatJSON, FormatRaw, FormatNDJSON, FormatForm, FormatEnvelope, FormatNone}

// FormatContentTypes are the content types formats are sent with when the request sets none.
// A `none` body sends no Content-Type.
var FormatContentTypes = map[string]string{
	FormatJSON:     "application/json",
	FormatRaw:      "text/plain; charset=utf-8",
	FormatNDJSON:   "application/x-ndjson",
	FormatForm:     "application/x-www-form-urlencoded",
	FormatEnvelope: "application/json",
}

// RequestMethods lists the HTTP methods a request may use.
var RequestMethods = []string{"POST", "PUT", "PATCH", "DELETE"}

// Request operations: the keys of a sync's `request` that name one.
const (
	OpNew     = "new"
	OpChanged = "changed"
	OpDeleted = "deleted"
)

// RequestSpec is a sync's `request`: one request per operation, and how many records each
// carries. An operation without a request falls back as OperationFor says.
type RequestSpec struct {
	New     *OperationRequest `json:"new,omitempty"`
	Changed *OperationRequest `json:"changed,omitempty"`
	Deleted *OperationRequest `json:"deleted,omitempty"`
	Mode    string            `json:"mode"`
	// TestOnSave: the provider sends the `new` request rendered for a sample record when the
	// sync's request is saved.
	TestOnSave bool `json:"test_on_save,omitempty"`
}

// OperationRequest is the request one operation sends.
type OperationRequest struct {
	Method string `json:"method"`
	// Path is a Liquid template appended to the connection's URL; empty: the URL itself.
	Path string `json:"path,omitempty"`
	// Format is one of Formats; empty: FormatJSON when Body is set, else FormatNone.
	Format string `json:"format,omitempty"`
	// Body is a Liquid template (FormatJSON and FormatRaw only).
	Body        string `json:"body,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Headers: nil is none; an empty map (a configuration's `headers = {}`) is stored as {}
	// (omitzero), so that an import reads back what the configuration says.
	Headers map[string]string `json:"headers,omitzero"`
}

// EffectiveFormat is Format, or its default.
func (r *OperationRequest) EffectiveFormat() string {
	switch {
	case r.Format != "":
		return r.Format
	case r.Body != "":
		return FormatJSON
	}
	return FormatNone
}

// EffectiveContentType is ContentType, or its format's default ("" for no body).
func (r *OperationRequest) EffectiveContentType() string {
	if r.ContentType != "" {
		return r.ContentType
	}
	return FormatContentTypes[r.EffectiveFormat()]
}

// OperationFor is the request operation op (OpNew, OpChanged or OpDeleted) sends: its own, or
// for new and changed records, the other one when only one of them is given. nil: none (a
// deleted record of a spec without `deleted` is not sent).
func (s *RequestSpec) OperationFor(op string) *OperationRequest {
	switch op {
	case OpNew:
		if s.New != nil {
			return s.New
		}
		return s.Changed
	case OpChanged:
		if s.Changed != nil {
			return s.Changed
		}
		return s.New
	case OpDeleted:
		return s.Deleted
	}
	return nil
}
