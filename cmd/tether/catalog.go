package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

type catalogOptions struct {
	provider string
	format   string
}

func newCatalogCmd(a *app) *cobra.Command {
	opts := &catalogOptions{}
	cmd := &cobra.Command{
		Use:   "catalog [PROVIDER]",
		Short: "Print the permissions each provider must grant",
		Long: `Print the permissions the platform needs from each provider, grouped in
capabilities: collect (always required), optional read capabilities, and one
capability per remediation action. Rows marked ⚑ are written in the integration
guide with a scope that is not real; tether requests the real one shown.`,
		Example: `  tether catalog
  tether catalog entra --format markdown
  tether catalog --format json | jq '.providers[].permissions[].name'`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			c, _ := a.catalog()
			return c.IDs(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.provider = args[0]
			}
			return catalogRun(a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "table", "output format: `table`, markdown or json")
	return cmd
}

func catalogRun(a *app, opts *catalogOptions) error {
	c, err := a.catalog()
	if err != nil {
		return err
	}
	provs := c.Providers
	if opts.provider != "" {
		p, ok := c.Provider(opts.provider)
		if !ok {
			return providers.Usagef("unknown provider %q (valid: %s)", opts.provider, strings.Join(c.IDs(), ", "))
		}
		provs = []catalog.Provider{p}
	}
	switch opts.format {
	case "json":
		return plain.WriteJSON(a.ios.Out, catalog.Catalog{Version: c.Version, Providers: provs})
	case "markdown", "md":
		return catalog.Markdown(a.ios.Out, provs)
	case "table":
		return catalogTable(a, provs)
	}
	return &flagError{fmt.Errorf("--format %q: use table, markdown or json", opts.format)}
}

func catalogTable(a *app, provs []catalog.Provider) error {
	out := a.ios.Stdout()
	for i, p := range provs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "%s (%s): %s\n", p.Name, p.ID, p.Grant)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CAPABILITY\tPERMISSION\tREQUESTS\tDESCRIPTION · PURPOSE")
		for _, capa := range p.Capabilities {
			for _, name := range capa.Permissions {
				perm, _ := p.Permission(name)
				label := perm.Name
				if perm.Flagged() {
					label += " ⚑"
				}
				about := perm.Description
				if perm.Purpose != "" {
					about += " · " + perm.Purpose
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", catalog.CapabilityLabel(capa), label, strings.Join(perm.Identifiers(), ", "), about)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, perm := range p.Permissions {
			if perm.Flagged() {
				fmt.Fprintf(out, "  ⚑ %s: %s\n", perm.Name, perm.Flag)
			}
		}
	}
	return nil
}
