package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
	"github.com/tetherdev/tether/ui/plain"
)

type sandboxOptions struct {
	listen      string
	allowRemote bool
	output      *output
}

func newSandboxCmd(a *app) *cobra.Command {
	opts := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the provider emulators as a server, for other clients to use",
		Long: `Run the provider emulators on loopback, each behind TLS with a certificate
authority made at start, and print for each provider its endpoints, its demo
credentials and the CA certificate, until stopped (ctrl+c).

Clients other than tether trust the printed CA and either call the address
directly (it serves the demo tenant) or resolve the tenant's host name to it.
--sandbox-deny applies here too.`,
		Example: `  tether sandbox --listen 127.0.0.1:8443
  tether sandbox --json > sandbox.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sandboxRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.listen, "listen", "127.0.0.1:0", "the address to listen on, as `HOST:PORT` (port 0 picks free ports; else consecutive ports from it)")
	cmd.Flags().BoolVar(&opts.allowRemote, "allow-remote", false, "let --listen be an address other machines reach (the demo tenants give tokens to anyone)")
	opts.output = addOutputFlags(cmd, "text", "json")
	return cmd
}

type sandboxEndpoint struct {
	Provider string            `json:"provider"`
	URL      string            `json:"url"`
	Hosts    []string          `json:"hosts"`
	Method   string            `json:"method"`
	Demo     map[string]string `json:"demo"`
	Example  string            `json:"example,omitempty"`
}

type sandboxDocument struct {
	Emulators []sandboxEndpoint `json:"emulators"`
	CA        string            `json:"ca_pem"`
}

func sandboxRun(ctx context.Context, a *app, opts *sandboxOptions) error {
	if _, err := opts.output.Format(); err != nil {
		return err
	}
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	deny, err := sandbox.ParseDeny(cat, a.sandboxDeny)
	if err != nil {
		return &providers.UsageError{Msg: err.Error()}
	}
	a.sandbox = true
	dir, err := a.configDir()
	if err != nil {
		return err
	}
	faults, err := sandbox.ParseFaults(cat, a.sandboxFault)
	if err != nil {
		return &providers.UsageError{Msg: err.Error()}
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: dir, Deny: deny, Faults: faults, Listen: opts.listen, AllowRemote: opts.allowRemote,
		Emulators: registry.Emulators(a.entries())})
	var le *sandbox.ListenError
	if errors.As(err, &le) {
		return &providers.UsageError{Msg: le.Error()}
	}
	if err != nil {
		return err
	}
	if opts.allowRemote {
		fmt.Fprintln(a.ios.Stderr(), "tether: warning: the sandbox is reachable from other machines, and its demo tenants hand out tokens to anyone who asks")
	}
	defer sb.Close()
	doc := sandboxDocument{CA: string(sb.CAPEM())}
	for _, e := range sb.Emulators {
		ep := sandboxEndpoint{Provider: e.Provider, URL: "https://" + dialable(e.Addr), Hosts: e.Hosts, Method: e.DemoMethod, Demo: e.Demo}
		if ex, ok := e.Emulator.(sandbox.Exampler); ok {
			ep.Example = ex.Example(ep.URL)
		}
		doc.Emulators = append(doc.Emulators, ep)
	}
	out := a.ios.Stdout()
	if opts.output.JSON() {
		if err := plain.WriteJSON(a.ios.Out, doc); err != nil {
			return err
		}
	} else {
		for _, e := range doc.Emulators {
			fmt.Fprintf(out, "%s  %s\n", e.Provider, e.URL)
			fmt.Fprintf(out, "  answers for  %s\n", strings.Join(e.Hosts, ", "))
			fmt.Fprintf(out, "  demo (%s):\n", e.Method)
			for _, k := range slices.Sorted(maps.Keys(e.Demo)) {
				if v := e.Demo[k]; v != "" && !strings.Contains(v, "\n") {
					fmt.Fprintf(out, "    %-14s %s\n", k, v)
				}
			}
			if e.Example != "" {
				fmt.Fprintf(out, "  try:  %s\n", e.Example)
			}
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "CA certificate (save as ca.pem):\n%s\n", doc.CA)
	}
	fmt.Fprintln(a.ios.Stderr(), "sandbox running; ctrl+c stops it")
	<-ctx.Done()
	return nil
}

// dialable turns a wildcard listen address (0.0.0.0, ::) into the loopback
// one a client on this machine dials.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}
