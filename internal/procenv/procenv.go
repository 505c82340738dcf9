// Package procenv hides secrets a process was started with from its own environment block, the
// one /proc/self/environ shows. A DuckDB model runs inside the runner (and, at plan time, the
// provider) with the process's file access, so `SELECT * FROM read_text('/proc/self/environ')`
// read the control plane's URL and the key that opens every connection's secrets, and sent them
// to a webhook. Go keeps its own copy of the environment (os.Getenv is unchanged); Scrub
// overwrites the values in the block the kernel shows, which C code (DuckDB's getenv) reads too.
package procenv

import "strings"

// Secret reports whether the environment variable name holds what no model may read: every
// BACKFLOW_ variable (the control plane's URL, the sealing keys, the API token, ...) and
// Terraform's TF_VAR_ variables, which the provider inherits and never reads. Others (a cloud's
// credentials that DuckDB's httpfs reads, HOME, TMPDIR) stay.
func Secret(name string) bool {
	return strings.HasPrefix(name, "BACKFLOW_") || strings.HasPrefix(name, "TF_VAR_")
}
