package runner

import (
	"errors"
	"fmt"
	"syscall"
)

// explainExhausted is err, a run's error, with what ran out and what to do when it is a refusal
// for want of a resource that the error's own text does not name as such: the process's file
// descriptors ("socket: too many open files" from whichever connection or file hit the limit), the
// system's, or the control plane's connection slots ("sorry, too many clients already (SQLSTATE
// 53300)" behind whichever step needed a new connection: "lease request slots of connection 2").
// A warehouse that runs out of its own slots names itself ("read the model"), and a full TMPDIR
// says so where the file is written (tempfile.Explain). It adds words only: such a run fails, as
// it did; the next run, once the resource is back, sends what this one did not.
func (e *Engine) explainExhausted(err error) error {
	switch {
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("%w; the runner is out of file descriptors: it has as many files and connections open as "+
			"its limit of open files%s allows: raise it (systemd: LimitNOFILE=; a shell: ulimit -n), or lower "+
			"--concurrency or --max-syncs", err, openFilesLimit())
	case errors.Is(err, syscall.ENFILE):
		return fmt.Errorf("%w; the system is out of file descriptors (its table of open files is full, "+
			"fs.file-max on Linux): find the process that holds them, or raise it", err)
	case e.Store.OutOfConnections(err):
		return fmt.Errorf("%w; the control plane's Postgres has no connection slot free (its max_connections, or "+
			"the CONNECTION LIMIT of the role or the database, is reached): raise it, or have its clients hold "+
			"fewer (this runner's pool holds up to %d, fewer with a lower --max-syncs; each replica, "+
			"`sync` and the provider hold their own)", err, e.Store.MaxConns())
	}
	return err
}
