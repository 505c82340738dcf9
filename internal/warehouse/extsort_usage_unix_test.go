//go:build unix

package warehouse

import "syscall"

// usage is the process's CPU (user+sys, ns) and minor page faults so far.
type usage struct {
	cpu, minflt int64
	ok          bool
}

func readUsage() usage {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return usage{}
	}
	return usage{cpu: ru.Utime.Nano() + ru.Stime.Nano(), minflt: int64(ru.Minflt), ok: true}
}
