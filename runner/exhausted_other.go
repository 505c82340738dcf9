//go:build !unix

package runner

// openFilesLimit is the process's limit of open files where the system has one (exhausted_unix.go).
func openFilesLimit() string { return "" }
