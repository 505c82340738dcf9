//go:build !(linux || openbsd || darwin || freebsd || netbsd)

package warehouse

import (
	"io/fs"
	"time"
)

// changeTime is when fi's file last changed, where the system says (duckdb_files_ctim.go).
func changeTime(fi fs.FileInfo) (time.Time, bool) { return time.Time{}, false }
