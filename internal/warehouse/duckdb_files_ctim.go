//go:build linux || openbsd

package warehouse

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime is when fi's file last changed (its data, or its metadata: its modification time
// set, its owner or permissions), which, unlike the modification time, no process can set
// back; false where it is not known (duckdb_files_noctime.go).
func changeTime(fi fs.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(st.Ctim.Unix()), true
}
