package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	opts, err := parseFlags(flag.NewFlagSet("p", flag.ContinueOnError), nil)
	if err != nil || opts.Address != "registry.terraform.io/backflowhq/backflow" || opts.Debug {
		t.Errorf("no flags: %+v, %v; want the Terraform address, no debug", opts, err)
	}
	opts, err = parseFlags(flag.NewFlagSet("p", flag.ContinueOnError),
		[]string{"-debug", "-address=registry.opentofu.org/backflowhq/backflow"})
	if err != nil || opts.Address != "registry.opentofu.org/backflowhq/backflow" || !opts.Debug {
		t.Errorf("-debug -address: %+v, %v; want the OpenTofu address, debug", opts, err)
	}
	// The usage text tells OpenTofu users which address to reattach under.
	fs := flag.NewFlagSet("p", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	_, _ = parseFlags(fs, []string{"-h"})
	if !strings.Contains(out.String(), "registry.opentofu.org/backflowhq/backflow") {
		t.Errorf("usage does not name the OpenTofu address:\n%s", out.String())
	}
}
