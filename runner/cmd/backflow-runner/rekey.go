package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// newSecretKeyEnv holds rekey's new key by default.
const newSecretKeyEnv = "BACKFLOW_NEW_SECRET_KEY"

var rekeyCommand = command{
	name: "rekey",
	usage: `Usage: backflow-runner rekey [flags]

Reseals every connection's secrets under a new key in one transaction: afterwards the control
plane is wholly under the new key or, when the old key cannot open a connection, nothing has
changed (the error names the connection). Keys are read from the environment or from files,
never from the command line, where ps would show them:

  ` + controlplane.SecretKeyEnv + `       the current key (or --old-key-env NAME, --old-key-file PATH)
  ` + newSecretKeyEnv + `   the new key, e.g. from 'openssl rand -base64 32'
                            (or --new-key-env NAME, --new-key-file PATH)

Connections already sealed under the new key are left as they are, so a second run is safe: it
reseals only connections still under the old key. Writes to connections wait while the rekey
runs; afterwards a provider still holding the old key is refused them (its key opens no
connection any more). Afterwards give every runner and the
provider the new key as ` + controlplane.SecretKeyEnv + ` (restart the runners): until then they cannot
open connection secrets. The runner guide has the whole procedure ("Rotating the secret key").
`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		oldEnv := fs.String("old-key-env", controlplane.SecretKeyEnv, "environment variable holding the current key")
		oldFile := fs.String("old-key-file", "", "file holding the current key (instead of --old-key-env)")
		newEnv := fs.String("new-key-env", newSecretKeyEnv, "environment variable holding the new key")
		newFile := fs.String("new-key-file", "", "file holding the new key (instead of --new-key-env)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError("rekey takes no arguments: the keys come from the environment or from files")
			}
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if set["old-key-env"] && set["old-key-file"] || set["new-key-env"] && set["new-key-file"] {
				return usageError("give each key either as an environment variable or as a file, not both")
			}
			oldKey, oldFrom, err := readKey("current", *oldEnv, *oldFile)
			if err != nil {
				return err
			}
			newKey, newFrom, err := readKey("new", *newEnv, *newFile)
			if err != nil {
				return err
			}
			same := oldKey.SameKey(newKey)
			if same {
				fmt.Fprintf(e.stderr, "the new key (%s) is the current key (%s): secrets are resealed under the same key\n",
					newFrom, oldFrom)
			}
			store, err := e.openStore(ctx, false, 0)
			if err != nil {
				return err
			}
			defer store.Close()
			res, err := store.RekeyConnections(ctx, oldKey, newKey)
			if err != nil {
				if errors.Is(err, controlplane.ErrWrongKey) {
					return fmt.Errorf("%w (current key from %s)", err, oldFrom)
				}
				// The commit may or may not have happened: a second run with the same keys is safe.
				return fmt.Errorf("%w; run rekey again with the same keys to finish", err)
			}
			fmt.Fprintf(e.stdout, "resealed %d of %d connections under the new key", res.Resealed, res.Resealed+res.AlreadyNew)
			if res.AlreadyNew > 0 {
				fmt.Fprintf(e.stdout, " (%d were already under it)", res.AlreadyNew)
			}
			fmt.Fprintln(e.stdout)
			if same {
				if res.Bound > 0 {
					// Still under the same key, any copy of what they were opens anywhere.
					fmt.Fprintf(e.stdout, "%d of them, sealed by an earlier release, are now bound to their connection. Copies of "+
						"their earlier sealed values (a backup or dump of the control plane) still open in any connection's "+
						"row under this key: rekey to a new key to retire them.\n", res.Bound)
				}
				return nil
			}
			fmt.Fprintf(e.stdout, `Next:
  1. Set %[1]s to the new key for every runner and restart them. Runs that start
     before a runner is restarted fail ("secret could not be decrypted") and send nothing; the
     next run after the restart catches up.
  2. Give the provider the new key (its secret_key, or %[1]s where terraform runs).
  3. Keep the old key until 'terraform plan' and a runner work with the new one. An apply with
     the old key is refused and writes nothing: give it the new key and apply again.
`, controlplane.SecretKeyEnv)
			return nil
		}
	},
}

// readKey reads the current or new key from the file, when one is named, else from the
// environment variable. It returns where the key came from, for messages; never the key.
func readKey(which, envName, file string) (*controlplane.Sealer, string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, "", fmt.Errorf("read the %s key: %w", which, err)
		}
		from := "file " + file
		k, err := controlplane.ParseKeyFrom("the "+which+" key in "+from, string(b))
		return k, from, err
	}
	if envName == "" {
		return nil, "", usageError("name the environment variable holding the " + which + " key, or give a file")
	}
	from := "$" + envName
	v, ok := os.LookupEnv(envName)
	if !ok {
		hint := ""
		if which == "new" {
			hint = " (generate one with 'openssl rand -base64 32')"
		}
		return nil, "", fmt.Errorf("%s is not set: set it to the %s key%s", envName, which, hint)
	}
	k, err := controlplane.ParseKeyFrom(envName, v)
	return k, from, err
}
