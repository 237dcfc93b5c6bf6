package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/sandbox"
)

func newResetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "reset",
		Short: "Start the sandbox's demo tenants afresh (with --sandbox)",
		Long: `Forget what commands changed in the sandbox's demo tenants (grants ticked or
unticked, apps created, tokens rotated), so that the next --sandbox command
meets them as new. Sandbox connections and their credentials are kept; tether
--sandbox forget removes those. Real tenants are never touched.`,
		Example: `  tether --sandbox reset`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !a.sandbox {
				return providers.Usagef("reset works on the sandbox only: run tether --sandbox reset")
			}
			dir, err := a.configDir()
			if err != nil {
				return err
			}
			reset, err := sandbox.Reset(dir)
			if err != nil {
				return err
			}
			if len(reset) == 0 {
				fmt.Fprintln(a.ios.Stdout(), "the demo tenants are already as new")
				return nil
			}
			fmt.Fprintf(a.ios.Stdout(), "reset the demo tenants of %s\n", strings.Join(reset, ", "))
			return nil
		},
	}
}
