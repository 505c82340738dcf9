// Command terraform-provider-backflow is the Backflow Terraform/OpenTofu provider.
//
// To debug it, run it with -debug and export the TF_REATTACH_PROVIDERS value it prints. The
// reattach address must be the one the configuration resolves the provider to: Terraform uses
// registry.terraform.io/backflowhq/backflow (the default), OpenTofu registry.opentofu.org/backflowhq/backflow,
// so under OpenTofu run it with -debug -address=registry.opentofu.org/backflowhq/backflow.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/backflowhq/terraform-provider-backflow/internal/procenv"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
	"github.com/backflowhq/terraform-provider-backflow/provider"
)

// version is set by goreleaser: -ldflags "-X main.version=...".
var version = "dev"

// defaultAddress is the provider's address under Terraform.
const defaultAddress = "registry.terraform.io/backflowhq/backflow"

// openTofuAddress is the address OpenTofu resolves backflowhq/backflow to.
const openTofuAddress = "registry.opentofu.org/backflowhq/backflow"

func main() {
	// A DuckDB model is described (and previewed) in this process at plan time and can read
	// /proc/self/environ: the BACKFLOW_ and TF_VAR_ variables Terraform passed on are blanked
	// there (internal/procenv); the provider reads its own copy of them.
	if err := procenv.Scrub(procenv.Secret); err != nil {
		log.Printf("warning: %v: a DuckDB model could read this process's BACKFLOW_ and TF_VAR_ variables", err)
	}
	opts, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	webhook.Version = version
	webhook.HideUnsolicitedAnswers() // net/http's log line would quote what an endpoint sent (test_on_save)
	if err := providerserver.Serve(context.Background(), provider.New(version), opts); err != nil {
		log.Fatal(err)
	}
}

// parseFlags reads -debug and -address.
func parseFlags(fs *flag.FlagSet, args []string) (providerserver.ServeOpts, error) {
	opts := providerserver.ServeOpts{}
	fs.BoolVar(&opts.Debug, "debug", false, "run the provider with support for debuggers like delve; under "+
		"OpenTofu also pass -address="+openTofuAddress+" so the printed TF_REATTACH_PROVIDERS matches")
	fs.StringVar(&opts.Address, "address", defaultAddress, "provider address for -debug reattachment: "+
		defaultAddress+" for Terraform, "+openTofuAddress+" for OpenTofu")
	err := fs.Parse(args)
	return opts, err
}
