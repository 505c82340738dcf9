//go:build linux

package procenv

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Scrub overwrites with NUL bytes the value of every variable of the process's initial
// environment block for which secret is true, through /proc/self/mem (the block lies between
// /proc/self/stat's env_start and env_end). Call it at the start of main: Go has copied the
// environment by then.
func Scrub(secret func(name string) bool) error {
	start, end, err := envBounds()
	if err != nil {
		return err
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("hide secrets from the process's environment: %w", err)
	}
	defer mem.Close()
	block := make([]byte, end-start)
	if _, err := mem.ReadAt(block, start); err != nil {
		return fmt.Errorf("hide secrets from the process's environment: %w", err)
	}
	for pos := 0; pos < len(block); {
		n := bytes.IndexByte(block[pos:], 0)
		if n < 0 {
			n = len(block) - pos
		}
		entry := block[pos : pos+n]
		if eq := bytes.IndexByte(entry, '='); eq > 0 && secret(string(entry[:eq])) && eq+1 < len(entry) {
			if _, err := mem.WriteAt(make([]byte, len(entry)-eq-1), start+int64(pos+eq+1)); err != nil {
				return fmt.Errorf("hide secrets from the process's environment: %w", err)
			}
		}
		pos += n + 1
	}
	return nil
}

// envBounds reads env_start and env_end, fields 50 and 51 of /proc/self/stat.
func envBounds() (start, end int64, err error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("hide secrets from the process's environment: %w", err)
	}
	// Fields after the command name (field 2, which may hold spaces) follow its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("hide secrets from the process's environment: /proc/self/stat reads %q", b)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 49 {
		return 0, 0, fmt.Errorf("hide secrets from the process's environment: /proc/self/stat has %d fields (Linux before 3.5)", len(f)+2)
	}
	start, err1 := strconv.ParseInt(f[47], 10, 64)
	end, err2 := strconv.ParseInt(f[48], 10, 64)
	if err1 != nil || err2 != nil || start <= 0 || end < start {
		return 0, 0, fmt.Errorf("hide secrets from the process's environment: env_start %q, env_end %q", f[47], f[48])
	}
	return start, end, nil
}
