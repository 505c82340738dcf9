//go:build cgo

package main

// The "duckdb" database/sql driver, for DuckDB's ceiling (duckdbExec). It needs cgo, as the
// runner's DuckDB source does: without it benchctl still builds, and its DuckDB bench fails
// with an unknown driver, as a runner built with CGO=0 has no duckdb connection kind.
import _ "github.com/duckdb/duckdb-go/v2"
