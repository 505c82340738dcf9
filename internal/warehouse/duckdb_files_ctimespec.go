//go:build darwin || freebsd || netbsd

package warehouse

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime: see duckdb_files_ctim.go (these systems name the field Ctimespec).
func changeTime(fi fs.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(st.Ctimespec.Unix()), true
}
