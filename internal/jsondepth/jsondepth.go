// Package jsondepth bounds how deeply JSON text nests, by a scan without recursion: the one
// check that keeps text of any depth from a validator that recurses per level (gjson's), whose
// stack overflow on millions of levels is a fatal error no recover catches.
package jsondepth

// Max is encoding/json's bound on nesting, past which Go's parser (the runner's own body
// templates among its users) refuses a document, as most parsers do well before.
const Max = 10000

// Value bounds how deeply a value the runner sends nests: Max less the three levels a batch's
// body puts around it (the envelope's object, its data array, the record's object), so that a
// receiver that reads at most Max levels of the whole body reads every value sent. A warehouse's
// value nested deeper is sent as a string of its text.
const Value = Max - 3

// Within: no array or object in v nests deeper than limit levels, brackets in strings aside (a
// scan of its bytes, no recursion, whatever v holds).
func Within(v []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			if depth++; depth > limit {
				return false
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return true
}
