package provider

import "strings"

// quoteList renders an enum for a MarkdownDescription: `a`, `b` or `c`.
func quoteList(values []string) string { return quoteJoin(values, " or ") }

// quoteAll renders a set of values that all apply: `a`, `b` and `c`.
func quoteAll(values []string) string { return quoteJoin(values, " and ") }

func quoteJoin(values []string, last string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + last + q[len(q)-1]
}
