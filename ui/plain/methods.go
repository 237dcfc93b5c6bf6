package plain

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tetherdev/tether/providers"
)

// Methods renders a provider's ways to connect and each one's inputs, as
// `tether setup PROVIDER --help` and `tether catalog PROVIDER` list them:
//
//	Methods (--method METHOD; the first is the default):
//	  client-secret  Client secret: quickest: paste the application's client secret
//	    domain         Tenant domain, like acme.us.auth0.com: Settings → Domain: …
//	    client_secret  Client secret (secret, from --secret-stdin): the application's …
//	Inputs are given with --set KEY=VALUE; a secret comes on stdin with --secret-stdin.
//
// Nothing is cut: a line is as long as its text.
func Methods(p providers.Provider) string {
	var b strings.Builder
	b.WriteString(bold.Render("Methods") + " (--method METHOD; the first is the default):\n")
	for _, m := range p.Methods() {
		b.WriteString("  " + m.ID + "  " + m.Name)
		if m.Summary != "" {
			b.WriteString(": " + m.Summary)
		}
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, in := range m.Inputs {
			fmt.Fprintf(tw, "    %s\t%s\n", in.Key, InputAbout(in))
		}
		_ = tw.Flush()
	}
	b.WriteString("Inputs are given with --set KEY=VALUE; a secret comes on stdin with --secret-stdin.\n")
	return b.String()
}

// InputAbout describes an input on one line: its label, whether it is
// secret or optional, an example, and where to find it.
func InputAbout(in providers.Input) string {
	about := in.Label
	switch {
	case in.Secret && in.Generate != nil:
		about += " (secret, from --secret-stdin; on a terminal tether can generate it)"
	case in.Secret:
		about += " (secret, from --secret-stdin)"
	case in.Optional:
		about += " (optional)"
	}
	if in.Placeholder != "" && !in.Secret {
		about += ", like " + in.Placeholder
	}
	if in.Help != "" {
		about += ": " + in.Help
	}
	return about
}
