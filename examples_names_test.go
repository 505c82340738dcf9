package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestExampleNamesAreDistinct: the names of connections, models, syncs and notifications are
// unique in a control plane, and every example's header points at the same one (the README
// walkthrough's), so two examples that name a resource alike cannot both be applied there: the
// second apply fails with "Another connection in the control plane is already named ...".
func TestExampleNamesAreDistinct(t *testing.T) {
	files, err := filepath.Glob("examples/*/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("examples/destinations/*/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("found only %d example configurations: %v", len(files), files)
	}
	resource := regexp.MustCompile(`^resource "(backflow_[a-z_]+)" "[^"]+"`)
	name := regexp.MustCompile(`^  name\s*=\s*"([^"]*)"`)
	seen := map[string][]string{} // "type name" -> files
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		kind := ""
		for _, line := range strings.Split(string(b), "\n") {
			if m := resource.FindStringSubmatch(line); m != nil {
				kind = m[1]
				continue
			}
			if m := name.FindStringSubmatch(line); m != nil && kind != "" {
				k := kind + " " + `"` + m[1] + `"`
				seen[k] = append(seen[k], f)
				kind = ""
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(seen[k]) > 1 {
			t.Errorf("%s is named in %d examples (%s): applied to one control plane, all but the first fail", k, len(seen[k]), strings.Join(seen[k], ", "))
		}
	}
}
