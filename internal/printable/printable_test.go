package printable

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// hostile holds every kind of character a terminal obeys: ESC with CSI and OSC sequences, BEL,
// backspace, carriage return, DEL, C1 controls (CSI U+009B, OSC U+009D), a bidi override, and
// bytes that are not UTF-8.
const hostile = "\x1b[2J\x1b[H\x1b]0;PWNED\x07\x08\r\x7f\u009b31m\u009d0;x\u009c\u202eevil\xff\xc3("

// noControls fails when s holds a character the package escapes, or invalid UTF-8.
func noControls(t *testing.T, what, s string, layout bool) {
	t.Helper()
	if !clean(s, layout) {
		t.Errorf("%s holds a control character or invalid UTF-8: %q", what, s)
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"é 例 🎉 \u00a0 a\tb\nc", "é 例 🎉 \u00a0 a\tb\nc"}, // Unicode, tab and newline kept
		{"\x1b[31mred\x1b[0m", `\u001b[31mred\u001b[0m`},
		{"bell\a", `bell\u0007`},
		{"over\rwrite\b", `over\u000dwrite\u0008`},
		{"del\x7f", `del\u007f`},
		{"c1 \u009b2J \u0085", `c1 \u009b2J \u0085`},
		{"bidi \u202eevil\u2066\u2069", `bidi \u202eevil\u2066\u2069`},
		{"bad \xff\xfe utf8 \xe2\x82", "bad \ufffd\ufffd utf8 \ufffd\ufffd"},
		{"nul\x00", `nul\u0000`},
		// Shown as nothing: "users\u200b" would pass for "users".
		{"users\u200b", `users\u200b`},
		// A joiner inside a word of a script that spells with it is kept; elsewhere escaped.
		{"\u06af\u0632\u0627\u0631\u0634\u200c\u0647\u0627\u06cc \u0930\u094d\u200d\u092f", "\u06af\u0632\u0627\u0631\u0634\u200c\u0647\u0627\u06cc \u0930\u094d\u200d\u092f"},
		{"users\u200c \u06af\u0632\u200c \u0632\u200cx", "users\\u200c \u06af\u0632\\u200c \u0632\\u200cx"},
		{"zw \u200b\u200c\u200d\u200e\u200f \u2060\u2061\u2062\u2063\u2064 \u061c \ufeff \u180e \u00ad \u034f",
			`zw \u200b\u200c\u200d\u200e\u200f \u2060\u2061\u2062\u2063\u2064 \u061c \ufeff \u180e \u00ad \u034f`},
		{"hangul \u115f\u1160\u3164\uffa0 vs a\ufe0f", `hangul \u115f\u1160\u3164\uffa0 vs a\ufe0f`},
		{"tag \U000e0001 vs \U000e0100", `tag \udb40\udc01 vs \udb40\udd00`}, // beyond U+FFFF: a surrogate pair, as JSON writes it
	} {
		got := Text(c.in)
		if got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
		noControls(t, "Text", got, true)
	}
}

func TestOneLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\n  b\tc\r\n d\u0085e", 20, "a b c d e"},
		{"abcdef", 4, "abcd..."},
		{"ab€cd", 3, "ab..."},
		{"ab€cd", 5, "ab€..."},
		{"é 例 🎉", -1, "é 例 🎉"},
		{"ab\x1bcd", -1, `ab\u001bcd`},
		{"ab\x1bcd", 4, "ab..."}, // the escape is not cut in two
		{"ab\x1bcd", 8, `ab\u001b...`},
		{"\xffx", 10, "\ufffdx"},
		{"\u0634\u200c\u0647 x\u200cy", -1, "\u0634\u200c\u0647 x\\u200cy"},
		{"\u0634\u200c\u0647", 5, "\u0634..."}, // not cut after the joiner, shown as nothing before "..."
		{"a\n  b\tc", 10, "a b c"},
		// Text from a webhook's answer or the warehouse cannot act on the terminal.
		{"\x1b[2J\x1b]0;PWNED\x07 fake: run 1 succeeded\r", 100, `\u001b[2J\u001b]0;PWNED\u0007 fake: run 1 succeeded`},
		{"c1 \u009b31m bad \xff bidi \u202e é 例 🎉", 100, "c1 \\u009b31m bad \ufffd bidi \\u202e é 例 🎉"},
	} {
		got := OneLine(c.in, c.n)
		if got != c.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		noControls(t, "OneLine", got, false)
	}
	noControls(t, "Line", Line(hostile), false)
	if got := Line("x\ny"); got != "x y" {
		t.Errorf("Line = %q", got)
	}
}

// A Writer lets nothing through that acts on a terminal, and JSON written through it stays
// valid and decodes to the same value.
func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := "head\t" + hostile + "\n"
	if n, err := w.Write([]byte(in)); err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(in))
	}
	noControls(t, "Writer's output", buf.String(), true)
	if !strings.HasPrefix(buf.String(), "head\t\\u001b[2J") || !strings.HasSuffix(buf.String(), "\n") {
		t.Errorf("Writer's output = %q", buf.String())
	}

	buf.Reset()
	v := map[string]string{"body": hostile, "name": "é 例 🎉", "hidden": "users\u200b\ufeff\U000e0041"}
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Fatal(err)
	}
	noControls(t, "JSON through a Writer", buf.String(), true)
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("JSON through a Writer is not valid: %v\n%s", err, buf.String())
	}
	// encoding/json already makes invalid UTF-8 U+FFFD and escapes C0; the Writer escapes DEL,
	// C1, bidi and invisible characters as \u escapes, which decode to the same characters.
	want := string([]rune(hostile)) // each invalid byte as U+FFFD
	if back["name"] != v["name"] || back["body"] != want || back["hidden"] != v["hidden"] {
		t.Errorf("decoded %q, want %q", back, want)
	}
}

func TestShellWord(t *testing.T) {
	for s, want := range map[string]string{
		"Active users to webhook": `"Active users to webhook"`,
		"users $(id)":             `'users $(id)'`,
		"a `b`":                   "'a `b`'",
		`it's "x" \ !`:            `'it'\''s "x" \ !'`,
		"$HOME":                   `'$HOME'`,
		"":                        `""`,
	} {
		if got := ShellWord(s); got != want {
			t.Errorf("ShellWord(%q) = %s, want %s", s, got, want)
		}
	}
}
