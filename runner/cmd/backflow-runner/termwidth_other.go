//go:build !unix

package main

import "io"

// terminalWidth is 0 (unknown) where the runner does not ask the terminal: the status line is
// kept to the 80 columns every terminal has.
func terminalWidth(io.Writer) int { return 0 }
