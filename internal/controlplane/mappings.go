package controlplane

// Mapping types: what a mapping of a sync sends (a column, possibly hashed; a constant; or a
// value describing the run). The lists below are the one home of each enum: the provider's
// validators and descriptions and the runner's mapper read them.

// Hash algorithms a `from` mapping may apply to its value (Mapping.Hash).
const HashSHA256 = "sha256"

// HashAlgorithms lists every hash algorithm.
var HashAlgorithms = []string{HashSHA256}

// Normalizations applied, in the order listed, to a value's text before it is hashed
// (Mapping.Normalize).
const (
	NormalizeTrim        = "trim"          // leading and trailing white space removed (Unicode's)
	NormalizeLowercase   = "lowercase"     // Unicode lower case
	NormalizeRemoveSpace = "remove_spaces" // every white space character removed
	NormalizeDigitsOnly  = "digits_only"   // every character but 0-9 removed (phone numbers)
)

// Normalizations lists every normalization.
var Normalizations = []string{NormalizeTrim, NormalizeLowercase, NormalizeRemoveSpace, NormalizeDigitsOnly}

// NormalizationDescriptions say what each normalization does, for docs and validators.
var NormalizationDescriptions = map[string]string{
	NormalizeTrim:        "removes white space at both ends",
	NormalizeLowercase:   "lower-cases every letter (Unicode)",
	NormalizeRemoveSpace: "removes every white space character",
	NormalizeDigitsOnly:  "keeps only the digits 0-9 (for phone numbers)",
}

// Metadata fields: values a mapping can send that describe the run, not the record. They vary
// from run to run, so they take no part in change detection (the ledger's hash covers the
// model-derived fields only): they are added to a record when it is sent.
const (
	MetadataSyncRunID = "sync_run_id" // the run's id, a number (null in tests and dry runs)
	MetadataSyncRunAt = "sync_run_at" // when the run started, RFC 3339 in UTC
	MetadataSyncID    = "sync_id"     // the sync's id, a number
	MetadataOperation = "operation"   // "new", "changed" or "deleted": what this record is
)

// MetadataFields lists every metadata field.
var MetadataFields = []string{MetadataSyncRunID, MetadataSyncRunAt, MetadataSyncID, MetadataOperation}

// MetadataDescriptions say what each metadata field sends, for docs.
var MetadataDescriptions = map[string]string{
	MetadataSyncRunID: "the run's id, a number (`null` in `backflow-runner test` requests and dry runs, which are not runs)",
	MetadataSyncRunAt: "when the run started, RFC 3339 in UTC (the envelope's `sync_run_at`)",
	MetadataSyncID:    "the sync's id, a number",
	MetadataOperation: "what the record is: `new` (its key was never delivered), `changed` or `deleted`",
}
