//go:build unix

package runner

import (
	"fmt"
	"syscall"
)

// openFilesLimit is the process's limit of open files, as " (N)", for explainExhausted.
func openFilesLimit() string {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return ""
	}
	return fmt.Sprintf(" (%d)", l.Cur) // uint64 on Linux, int64 on the BSDs
}
