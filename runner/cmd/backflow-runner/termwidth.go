package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// terminalWidth is the width in columns of the terminal w is, 0 when it is not one or does not say.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}
