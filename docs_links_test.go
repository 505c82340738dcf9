package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestDocsLinksResolve: every relative link of README.md and the hand-written docs/*.md (and the
// files they link to) names a file of the repository and, with a #fragment, a heading or an
// <a id> of that Markdown file, as GitHub renders them. A section moved to another page (the
// bench's history to docs/performance.md) or renamed leaves no link behind.
func TestDocsLinksResolve(t *testing.T) {
	files := []string{"README.md"}
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, docs...)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range markdownProse(string(b)) {
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				path, frag, _ := strings.Cut(target, "#")
				file := f
				if path != "" {
					file = filepath.Join(filepath.Dir(f), path)
				}
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s:%d: %s: no such file", f, i+1, target)
					continue
				}
				if frag == "" || !strings.HasSuffix(file, ".md") {
					continue
				}
				if anchors[file] == nil {
					anchors[file] = markdownAnchors(t, file)
				}
				if !anchors[file][frag] {
					t.Errorf("%s:%d: %s: %s has no heading or anchor %q", f, i+1, target, file, frag)
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d links: the link pattern no longer matches the docs", checked)
	}
}

// markdownProse is the lines of a Markdown text, those of fenced code blocks blanked (their
// numbers kept).
func markdownProse(text string) []string {
	lines := strings.Split(text, "\n")
	fenced := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
			lines[i] = ""
		} else if fenced {
			lines[i] = ""
		}
	}
	return lines
}

// markdownAnchors is the fragments GitHub gives a Markdown file's headings (lower case, only
// letters, digits, spaces, hyphens and underscores kept, spaces made hyphens, a repeated one
// suffixed -1, -2...) and its <a id="..."> anchors.
func markdownAnchors(t *testing.T, file string) map[string]bool {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`^#+\s+(.*)$`)
	id := regexp.MustCompile(`<a id="([^"]+)"`)
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range markdownProse(string(b)) {
		for _, m := range id.FindAllStringSubmatch(l, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var s strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(m[1])) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				s.WriteRune(r)
			case r == ' ':
				s.WriteRune('-')
			}
		}
		slug := s.String()
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}
