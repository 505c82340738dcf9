package warehouse

import (
	"net/url"
	"strings"
)

// DuckDBDatabaseProblem says why a DuckDB connection's database is refused, "" if it is not:
// its parameters (after '?', which DuckDB takes as settings at start) may not set
// allow_unsigned_extensions, with which init_sql could LOAD an extension nobody signed, native
// code run inside the runner (and the provider, at plan time) with its files and secrets.
// DuckDB refuses the setting once it runs, so init_sql cannot set it. The provider's validator
// and every connection check it.
func DuckDBDatabaseProblem(db string) string {
	_, params, _ := strings.Cut(db, "?")
	for _, kv := range strings.FieldsFunc(params, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(kv, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if strings.EqualFold(strings.TrimSpace(name), "allow_unsigned_extensions") {
			return "sets allow_unsigned_extensions, with which init_sql could load an extension nobody signed " +
				"(native code run inside Backflow, with the files and secrets of the host it runs on); remove it"
		}
	}
	return ""
}
