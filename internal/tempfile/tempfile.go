// Package tempfile makes the runner's scratch files: a guarded run's spilled diff and the sort by
// key's runs.
package tempfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// File is a temporary file that is gone once closed, and gone at once where the system allows
// it: removed right after it is created, so that a runner that is killed leaves nothing behind.
// Where an open file cannot be removed (Windows), Close removes it.
type File struct {
	*os.File
	removeAtClose string
}

// Create makes a File in os.TempDir() (TMPDIR sets it) named by pattern, as os.CreateTemp does.
func Create(pattern string) (*File, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, err
	}
	t := &File{File: f}
	if err := os.Remove(f.Name()); err != nil {
		t.removeAtClose = f.Name()
	}
	return t, nil
}

// Close closes the file and removes it if it is still there.
func (f *File) Close() error {
	err := f.File.Close()
	if f.removeAtClose != "" {
		_ = os.Remove(f.removeAtClose)
		f.removeAtClose = ""
	}
	return err
}

// Explain wraps err, an error in making, writing or reading a File, with where the file is and
// what to do: what says what the file holds and how large it grows. The runner's scratch files
// share TMPDIR, so each of them says it the same way. Out of file descriptors (EMFILE, ENFILE),
// the directory is not at fault: the run's error says what is (runner.explainExhausted).
func Explain(what string, err error) error {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s, in %s (TMPDIR sets it): %w; free space there, or point TMPDIR at a writable directory with room for it",
		what, os.TempDir(), err)
}
