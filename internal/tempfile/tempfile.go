// Package tempfile makes the runner's scratch files: a guarded run's spilled diff and the sort by
// key's runs.
package tempfile

import "os"

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
