//go:build cgo && !linux

package warehouse

import (
	"io/fs"
	"time"
)

// changeTime is when fi's file last changed, where the system says (duckdb_files_linux.go).
func changeTime(fi fs.FileInfo) (time.Time, bool) { return time.Time{}, false }
