package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Where a run's CPU goes, for the cases that miss a target: while the runner runs, the bench
// reads the CPU time of the Postgres backends of the warehouse and of the control plane (their
// process titles name the database) and of the receiver the bench started (not one named by
// BENCH_RECEIVER_URL) from /proc, and the runner writes a CPU profile (BACKFLOW_CPUPROFILE) on a case's last run. A case
// over its target then prints the split, the least time that much CPU takes on this machine's
// cores, and the profile's top entries. On a system without /proc the split has the runner only.

// cpuSplit is the CPU time, in core-seconds, each side used during one run of the runner.
type cpuSplit struct {
	Runner       float64 `json:"runner"`
	Warehouse    float64 `json:"warehouse"`     // the warehouse database's Postgres backends, or MySQL's server
	ControlPlane float64 `json:"control_plane"` // the control plane database's backends
	Receiver     float64 `json:"receiver"`      // the bench receiver; 0 when not found
}

func (c cpuSplit) total() float64 { return c.Runner + c.Warehouse + c.ControlPlane + c.Receiver }

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux port.
const clockTicks = 100

// procCPU is a process's user + sys time from /proc/PID/stat, in seconds.
func procCPU(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces: the fields after it follow its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	s, err2 := strconv.ParseFloat(f[12], 64)
	return (u + s) / clockTicks, err1 == nil && err2 == nil
}

type backend struct {
	db  int // index into the databases watched
	cpu float64
}

// backendFinder finds the Postgres backends of some databases among the processes, by their
// titles ("postgres: ... USER DB ADDRESS ..."), reading the title of a process only once.
type backendFinder struct {
	dbs   []string
	known map[int]int // pid: index into dbs, or -1 for any other process
}

// scan returns the CPU seconds of the backends alive now, by pid.
func (f *backendFinder) scan() map[int]backend {
	out := make(map[int]backend)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		db, ok := f.known[pid]
		if !ok {
			var known bool
			if db, known = f.title(ent.Name()); known {
				f.known[pid] = db
			}
		}
		if db >= 0 {
			if cpu, ok := procCPU(pid); ok {
				out[pid] = backend{db: db, cpu: cpu}
			}
		}
	}
	return out
}

// title says which database the process pid is a backend of (-1: none), and whether that is
// known yet: a backend just forked still has the postmaster's command line until it sets its
// title, and remembering it then as no backend lost a run's only warehouse backend (a split
// with the warehouse at 0.00).
func (f *backendFinder) title(pid string) (db int, known bool) {
	title, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
	if err != nil {
		return -1, false // gone, or not readable now
	}
	if !bytes.HasPrefix(title, []byte("postgres:")) {
		comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
		return -1, !bytes.HasPrefix(comm, []byte("postgres")) // a postgres process without a title yet: ask again
	}
	for i, name := range f.dbs {
		if bytes.Contains(title, []byte(" "+name+" ")) {
			return i, true
		}
	}
	return -1, true
}

// cpuWatch measures the other sides' CPU during one run: start it before the runner starts and
// call stop once it has ended.
type cpuWatch struct {
	find     *backendFinder
	before   map[int]backend
	seen     map[int]backend
	receiver procCPUSince
	server   procCPUSince
	stopCh   chan struct{}
	done     chan struct{}
}

// dbs are the warehouse's database and the control plane's; receiver the receiver's pid and
// server a warehouse server's (MySQL's), whose CPU counts as the warehouse's (0: none).
func watchCPU(dbs []string, receiver, server int) *cpuWatch {
	f := &backendFinder{dbs: dbs, known: make(map[int]int)}
	w := &cpuWatch{find: f, before: f.scan(), seen: make(map[int]backend), receiver: cpuSince(receiver),
		server: cpuSince(server), stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		// A backend's last reading is at most one tick before it exits with its runner.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			for pid, b := range w.find.scan() {
				w.seen[pid] = b
			}
			select {
			case <-w.stopCh:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the watch and returns what the warehouse, the control plane and the receiver used.
func (w *cpuWatch) stop() cpuSplit {
	close(w.stopCh)
	<-w.done
	var c cpuSplit
	for pid, b := range w.seen {
		used := b.cpu - w.before[pid].cpu // a backend that started during the run had 0 before
		if b.db == 0 {
			c.Warehouse += used
		} else {
			c.ControlPlane += used
		}
	}
	c.Receiver = w.receiver.used()
	c.Warehouse += w.server.used()
	return c
}

// procCPUSince is one process's CPU time from a start (pid 0: none).
type procCPUSince struct {
	pid   int
	start float64
}

func cpuSince(pid int) procCPUSince {
	p := procCPUSince{pid: pid}
	if pid != 0 {
		p.start, _ = procCPU(pid)
	}
	return p
}

// used is the CPU seconds the process used since the start (0 when none, or it is gone).
func (p procCPUSince) used() float64 {
	if p.pid == 0 {
		return 0
	}
	cpu, ok := procCPU(p.pid)
	if !ok {
		return 0
	}
	return cpu - p.start
}

// listenerPID is the process listening on TCP port on this machine, from /proc (0: not found,
// or not visible to this user).
func listenerPID(port int) int {
	inodes := make(map[string]bool)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is field 10.
			if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], fmt.Sprintf(":%04X", port)) {
				continue
			}
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return 0
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && inodes[link] {
				return pid
			}
		}
	}
	return 0
}

// profileTop is the top entries of a CPU profile of binary, as `go tool pprof -top` shows them
// (its header left out); nil when the go command or the profile is not there.
func profileTop(ctx context.Context, binary, profile string, n int) []string {
	if profile == "" {
		return nil
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount="+strconv.Itoa(n), binary, profile).Output()
	if err != nil {
		return nil
	}
	var lines []string
	keep := false
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if strings.Contains(l, "flat%") {
			keep = true
		}
		if keep {
			lines = append(lines, l)
		}
	}
	return lines
}

// printWhy says, for each case over a target, where its CPU went and its profile's top entries.
func printWhy(w io.Writer, cases []result) {
	for _, r := range cases {
		if r.OK || r.CPU.total() == 0 || r.Target == 0 && r.CPUTarget == 0 {
			continue
		}
		c := r.CPU
		cores := float64(runtime.NumCPU())
		fmt.Fprintf(w, "\n%s: %.2fs against a target of %.2fs. CPU of its fastest run: runner %.2f, warehouse %.2f, "+
			"control plane %.2f, receiver %.2f = %.2f core-s, at least %.2fs on %.0f cores",
			r.Case, r.Seconds, r.TargetSeconds, c.Runner, c.Warehouse, c.ControlPlane, c.Receiver, c.total(), c.total()/cores, cores)
		if c.total()/cores > r.TargetSeconds {
			fmt.Fprintf(w, ": more than the target allows\n")
		} else {
			fmt.Fprintf(w, ": within it, so the rest is work that does not overlap: the runner's merge of its sorted runs with "+
				"the ledger, which starts once the model's last row is read (a sort's first row needs all of its input), "+
				"and starting the process and its connections\n")
		}
		for _, l := range r.ProfileTop {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}
