package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

type exportOptions struct {
	ref        string
	output     *output
	to         string
	force      bool
	reveal     bool
	recipients []string
}

func newExportCmd(a *app) *cobra.Command {
	opts := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export PROVIDER[/NAME]",
		Short: "Write what the platform's integration form asks for: tenant, client id, secret or key",
		Long: `Write a connection's credential as the platform's integration form asks for it
(for Auth0: domain, client ID, and the client secret or the private key), as
JSON or as shell variables (TETHER_AUTH0_CLIENT_ID=…, the names tether exec
uses).

--to FILE creates the file with mode 0600, never over an existing one unless
--force is given (it is then replaced atomically). --age-recipient encrypts the
export to an age public key (age1…) or an SSH public key (ssh-ed25519,
ssh-rsa), once per recipient, so that it can travel by mail or ticket: armored
text on stdout, binary age in a file. Whoever holds a matching identity
decrypts it with age -d.

The secret is never printed on a terminal unless --reveal is given. Every
export is recorded in the audit log (audit.log in the config directory).`,
		Example: `  tether export auth0 --to auth0.json
  tether export auth0/prod --format env --to auth0.env
  tether export auth0 --age-recipient "$(cat platform-age.pub)" > auth0.json.age
  tether export auth0 --age-recipient "$(cat ~/.ssh/id_ed25519.pub)" --to auth0.json.age`,
		Args:              oneArg(connectionArg),
		ValidArgsFunction: completeConnection(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ref = connectionRef(args[0])
			return exportRun(cmd.Context(), a, opts)
		},
	}
	opts.output = addOutputFlags(cmd, "json", "env")
	f := cmd.Flags()
	f.StringVar(&opts.to, "to", "", "write to `FILE` (created with mode 0600) instead of stdout")
	f.BoolVar(&opts.force, "force", false, "with --to, replace an existing file")
	f.BoolVar(&opts.reveal, "reveal", false, "print the secret even though stdout is a terminal")
	// An array, not a slice: an SSH key's comment may hold a comma.
	f.StringArrayVar(&opts.recipients, "age-recipient", nil, "encrypt to this age or SSH public `KEY` (repeat for several)")
	return cmd
}

func exportRun(ctx context.Context, a *app, opts *exportOptions) error {
	f, err := opts.output.Format()
	if err != nil {
		return err
	}
	format := plain.ExportFormat(f)
	e := &auditEntry{action: "export", detail: exportDetail(opts, format)}
	return a.handover(e, opts.ref, func(m *providers.Manager, conn providers.Connection) error {
		return writeExport(ctx, a, opts, format, m, conn, e)
	})
}

func writeExport(ctx context.Context, a *app, opts *exportOptions, format plain.ExportFormat, m *providers.Manager, conn providers.Connection, e *auditEntry) error {
	var err error
	if opts.force && opts.to == "" {
		return providers.Usagef("--force replaces the file named by --to; without --to the export goes to stdout")
	}
	recipients := make([]age.Recipient, len(opts.recipients))
	for i, s := range opts.recipients {
		if recipients[i], err = flows.ParseRecipient(s); err != nil {
			return providers.Usagef("--age-recipient: %v", err)
		}
	}
	h, err := m.Export(ctx, conn)
	if err != nil {
		return err
	}
	data, err := plain.RenderExport(h, format)
	if err != nil {
		return err
	}
	if len(recipients) > 0 {
		if data, err = flows.EncryptBytes(data, opts.to == "", recipients...); err != nil {
			return err
		}
	}
	if opts.to == "" {
		if len(recipients) == 0 && h.Secret() && a.ios.IsStdoutTTY() && !opts.reveal {
			e.refused = true
			return providers.Usagef("the export holds a secret and stdout is a terminal: write it to a file (--to FILE), encrypt it (--age-recipient KEY), pipe it, or pass --reveal to print it here")
		}
		_, err = a.ios.Out.Write(data)
		return err
	}
	if err := flows.WriteNewFile(opts.to, data, opts.force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return providers.Usagef("%s already exists: pass --force to replace it, or choose another --to", opts.to)
		}
		return err
	}
	if a.ios.IsStderrTTY() {
		how := "mode 0600"
		if len(recipients) > 0 {
			how += ", " + encryptedTo(len(recipients))
		}
		fmt.Fprintf(a.ios.Stderr(), "exported %s to %s (%s, %s)\n", conn.Key(), opts.to, format, how)
	}
	return nil
}

// exportDetail says where an export went and how, for the audit log and
// the confirmation: never what it holds.
func exportDetail(opts *exportOptions, format plain.ExportFormat) string {
	d := "format " + string(format)
	if opts.to != "" {
		d += ", to " + opts.to + " (mode 0600)"
	} else {
		d += ", to stdout"
	}
	if n := len(opts.recipients); n > 0 {
		d += ", " + encryptedTo(n)
	}
	return d
}

func encryptedTo(n int) string {
	if n == 1 {
		return "age-encrypted to 1 recipient"
	}
	return fmt.Sprintf("age-encrypted to %d recipients", n)
}
