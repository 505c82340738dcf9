// Package printable keeps text that came from outside (a webhook's answer, a value in the
// warehouse, an error that quotes either, a name) from acting on the terminal it is printed on.
//
// One rule, everywhere: a character a terminal would obey rather than show is replaced by its
// escape \uXXXX as text (ESC is shown as `\u001b`, BEL as `\u0007`, U+009B as `\u009b`), and a
// byte that is not UTF-8 by U+FFFD (�). Those characters are the C0 controls (U+0000–U+001F)
// but tab and newline, DEL (U+007F), the C1 controls (U+0080–U+009F, which some terminals obey
// as ESC sequences), and the characters shown as nothing (Invisible): the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, which reorder what is
// shown), zero width spaces and joiners, U+FEFF, the soft hyphen, the Hangul fillers, the
// variation selectors and the other format (Cf) and default-ignorable characters, with which a
// name would pass for another ("users\u200b" for "users"). Every other character, é, 例 or an
// emoji, is kept as it is (an emoji's joiner U+200D or selector U+FE0F shows as its escape), and
// so is a zero width non-joiner or joiner inside a word of a script whose spelling needs it
// (JoinerInWord: Persian's "گزارش‌های", Devanagari's "र्‍य"), which changes how the word is shown.
// Beyond U+FFFF, the escape is a UTF-16 surrogate pair, as in JSON. The escape is valid inside a JSON string, so JSON printed through
// a Writer stays valid and decodes to the same value (encoding/json never writes those
// characters outside a string). A backslash already in the text is not doubled: `\u001b` in
// the output may also be those six characters of the text itself.
package printable

import (
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// unsafe says whether r, written to a terminal, could act on it instead of showing, or would
// not be seen.
func unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	}
	return r >= 0xa0 && Invisible(r)
}

// Bidi says whether r is a bidirectional embedding, override or isolate (U+202A–U+202E,
// U+2066–U+2069): it reorders how the text after it is shown.
func Bidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// Invisible says whether r is shown as nothing, or not at all, though it is part of the text:
// Unicode's format characters (category Cf: the bidirectional controls, zero width space,
// non-joiner and joiner, the marks LRM, RLM and ALM, word joiner, U+FEFF, the soft hyphen...)
// and the other default-ignorable code points (U+034F, the Hangul fillers U+115F, U+1160,
// U+3164 and U+FFA0, the variation selectors...). "users\u200b" is shown as "users".
func Invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// joinerScripts are the scripts whose spelling needs the zero width non-joiner U+200C and joiner
// U+200D between two of their letters: Arabic script's Persian, Urdu, Kurdish and Pashto (the ZWNJ
// of "های" after a word), Syriac, N'Ko and Mongolian, and the Brahmic scripts, where a joiner
// after a virama picks a half form or keeps a conjunct apart (Marathi's eyelash ra, Sinhala's
// yansaya). There the joiner changes how the word is shown, and names are written with it.
var joinerScripts = []*unicode.RangeTable{unicode.Arabic, unicode.Syriac, unicode.Nko, unicode.Mongolian,
	unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya, unicode.Tamil,
	unicode.Telugu, unicode.Kannada, unicode.Malayalam, unicode.Sinhala, unicode.Myanmar, unicode.Khmer}

// viramas are the viramas of the Brahmic scripts of joinerScripts (Unicode's combining class 9,
// which package unicode does not have): a joiner after one picks the form of the consonant before
// it.
var viramas = map[rune]bool{0x094d: true, 0x09cd: true, 0x0a4d: true, 0x0acd: true, 0x0b4d: true, 0x0bcd: true,
	0x0c4d: true, 0x0ccd: true, 0x0d3b: true, 0x0d3c: true, 0x0d4d: true, 0x0dca: true, 0x1039: true, 0x103a: true, 0x17d2: true}

// JoinerInWord reports whether s[i:], which starts with U+200C or U+200D, is such a joiner inside
// a word of a script that needs it (joinerScripts): the letter or mark before it (its own
// combining marks of no script, such as Arabic's vowel marks, skipped) and the one after it are
// of one such script, or the one before it is a virama of one (viramas). A joiner elsewhere ("users\u200d", between Latin letters) is shown as
// nothing, and Invisible. (Unlike IDNA's CONTEXTJ rule, it does not look at joining types: a
// non-joiner after an Arabic letter that never joins the next shows as nothing too.)
func JoinerInWord(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r != '\u200c' && r != '\u200d' {
		return false
	}
	next, _ := utf8.DecodeRuneInString(s[i+size:])
	prev := utf8.RuneError
	for j := i; j > 0; {
		p, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if !unicode.Is(unicode.Inherited, p) {
			prev = p
			break
		}
	}
	if viramas[prev] {
		// After a virama, even at a word's end: Malayalam's chillu written ന്‍ (IDNA's rule too).
		return true
	}
	if !unicode.In(prev, unicode.L, unicode.M) || !unicode.In(next, unicode.L, unicode.M) {
		return false
	}
	for _, script := range joinerScripts {
		if unicode.Is(script, prev) && unicode.Is(script, next) {
			return true
		}
	}
	return false
}

// appendText appends s to dst with the unsafe characters escaped and invalid UTF-8 replaced;
// tab and newline are kept when layout is set.
func appendText(dst []byte, s string, layout bool) []byte {
	for i := 0; i < len(s); {
		var size int
		dst, size = appendAt(dst, s, i, layout)
		i += size
	}
	return dst
}

// appendAt appends the character of s at byte i as appendText does, and returns its size. s is
// the whole text: a joiner inside a word (JoinerInWord) is kept.
func appendAt(dst []byte, s string, i int, layout bool) ([]byte, int) {
	c := s[i]
	if c >= 0x20 && c < 0x7f || layout && (c == '\n' || c == '\t') {
		return append(dst, c), 1
	}
	r, size := rune(c), 1
	if c >= utf8.RuneSelf {
		r, size = utf8.DecodeRuneInString(s[i:])
	}
	switch {
	case r == utf8.RuneError && size == 1:
		dst = utf8.AppendRune(dst, utf8.RuneError)
	case unsafe(r) && !JoinerInWord(s, i):
		dst = appendEscape(dst, r)
	default:
		dst = append(dst, s[i:i+size]...)
	}
	return dst, size
}

// appendEscape appends r as JSON writes it: \uXXXX, or a UTF-16 surrogate pair of two beyond
// U+FFFF (such as the tags U+E0020–U+E007F).
func appendEscape(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendEscape(appendEscape(dst, hi), lo)
	}
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// clean says whether s needs nothing escaped (tab and newline allowed when layout is set).
func clean(s string, layout bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f || layout && (c == '\n' || c == '\t') {
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafe(r) && !JoinerInWord(s, i) {
			return false
		}
		i += size - 1
	}
	return true
}

// Text is s safe to print: tab and newline kept, every other control escaped (see the package's
// comment).
func Text(s string) string {
	if clean(s, true) {
		return s
	}
	return string(appendText(nil, s, true))
}

// Line is s safe to print on one line: its runs of white space (newlines included) made one
// space, the rest as Text.
func Line(s string) string {
	return OneLine(s, -1)
}

// OneLine is Line(s) cut to at most n bytes, never inside a character or an escape, followed by
// "..." when it was longer; n < 0: not cut.
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ") // unicode.IsSpace's white space, U+0085 (NEL, a C1 control) too
	if clean(s, false) && (n < 0 || len(s) <= n) {
		return s
	}
	out := make([]byte, 0, len(s))
	fit := -1 // out's length at the last character that ended within n bytes
	for i := 0; i < len(s); {
		var size int
		out, size = appendAt(out, s, i, false)
		// Not cut after a joiner kept inside a word: before "..." it would be shown as nothing.
		inWord := JoinerInWord(s, i)
		i += size
		if n >= 0 && len(out) <= n && !inWord {
			fit = len(out)
		}
	}
	if n < 0 || len(out) <= n {
		return string(out)
	}
	return string(out[:max(fit, 0)]) + "..."
}

// Writer writes through to W what Text would make of each Write's bytes. A character split
// across two Writes is taken as invalid UTF-8: write whole lines, as fmt.Fprint, tabwriter and
// json.Encoder do.
type Writer struct{ W io.Writer }

// NewWriter is a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{W: w} }

func (p *Writer) Write(b []byte) (int, error) {
	s := string(b)
	if clean(s, true) {
		return p.W.Write(b)
	}
	if _, err := p.W.Write(appendText(make([]byte, 0, len(b)+16), s, true)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Unwrap is the writer written to (to ask whether it is a terminal).
func (p *Writer) Unwrap() io.Writer { return p.W }

// ShellWord is s written as one word that a POSIX shell (sh, bash, zsh) reads back as s, for
// a command printed to be pasted: in double quotes as %q writes it ("Active users to webhook")
// when the shell takes that as it is, else in single quotes, each ' written '\” — inside double
// quotes a shell still runs $( ) and `…`, expands $NAME and reads \ (and bash's ! in a terminal).
func ShellWord(s string) string {
	if q := strconv.Quote(s); q == `"`+s+`"` && !strings.ContainsAny(s, "$`!") {
		return q
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
