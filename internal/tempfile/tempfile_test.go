package tempfile

import (
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestCreate: the file is readable and writable while open, and nothing is left in the
// directory, while it is open or after Close.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	f, err := Create("backflow-test-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("spilled"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(f); err != nil || string(b) != "spilled" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 && f.removeAtClose == "" {
		t.Errorf("%d files in the directory while open, want 0", len(ents))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files in the directory after Close, want 0", len(ents))
	}
}

// TestCreateFails: a directory that cannot hold the file is the error os.CreateTemp gives.
func TestCreateFails(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()+"/missing")
	if _, err := Create("backflow-test-*"); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

// TestExplain: an error of a File says where it is and what to do; out of file descriptors,
// the directory is not blamed (nor is "free space there" the remedy).
func TestExplain(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	full := Explain("the sort's file", &os.PathError{Op: "write", Path: dir + "/f", Err: syscall.ENOSPC})
	if want := "the sort's file, in " + dir + " (TMPDIR sets it): write " + dir + "/f: no space left on device; free space there"; !strings.HasPrefix(full.Error(), want) {
		t.Errorf("Explain of a full disk: %v, want it to start %q", full, want)
	}
	if !errors.Is(full, syscall.ENOSPC) {
		t.Errorf("Explain hides its error: %v", full)
	}
	emfile := Explain("the sort's file", &os.PathError{Op: "open", Path: dir + "/f", Err: syscall.EMFILE})
	if strings.Contains(emfile.Error(), "TMPDIR") || !errors.Is(emfile, syscall.EMFILE) {
		t.Errorf("Explain out of file descriptors blames the directory: %v", emfile)
	}
}
