package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tetherdev/tether/ui/plain"
)

// helpWidth is the width flag descriptions wrap at when stdout is not a
// terminal. Examples and usage lines are never wrapped or cut: a command
// must survive a copy and paste.
const helpWidth = 80

// writeHelp prints a command's help on stdout: what it does, its usage,
// examples, commands and flags, and for setup the provider's methods and
// inputs. No line ends in spaces and nothing is cut.
func writeHelp(a *app, cmd *cobra.Command) {
	var b strings.Builder
	heading := func(s string) { b.WriteString("\n" + lipgloss.NewStyle().Bold(true).Render(s) + "\n") }

	b.WriteString(strings.TrimSpace(cmdAbout(cmd)) + "\n")
	heading("Usage:")
	if cmd.Runnable() {
		b.WriteString("  " + cmd.UseLine() + "\n")
	}
	if cmd.HasAvailableSubCommands() {
		b.WriteString("  " + cmd.CommandPath() + " COMMAND [flags]\n")
	}
	if cmd.Example != "" {
		heading("Examples:")
		b.WriteString(strings.TrimRight(cmd.Example, "\n") + "\n")
	}
	groups := append(cmd.Groups(), &cobra.Group{ID: "", Title: "Commands"})
	for _, g := range groups {
		var rows []*cobra.Command
		for _, c := range cmd.Commands() {
			if c.GroupID == g.ID && (c.IsAvailableCommand() || c.Name() == "help") {
				rows = append(rows, c)
			}
		}
		if len(rows) == 0 {
			continue
		}
		heading(g.Title + ":")
		for _, c := range rows {
			fmt.Fprintf(&b, "  %-*s  %s\n", cmd.NamePadding(), c.Name(), c.Short)
		}
	}
	width := terminalWidth(a)
	if fs := cmd.LocalFlags(); fs.HasAvailableFlags() {
		heading("Flags:")
		b.WriteString(fs.FlagUsagesWrapped(width))
	}
	if fs := cmd.InheritedFlags(); fs.HasAvailableFlags() {
		heading("Global flags:")
		b.WriteString(fs.FlagUsagesWrapped(width))
	}
	if extra := helpExtra(a, cmd); extra != "" {
		b.WriteString("\n" + extra)
	}
	if cmd.HasAvailableSubCommands() {
		b.WriteString("\nRun " + cmd.CommandPath() + " COMMAND --help for more about a command.\n")
	}
	_, _ = io.WriteString(a.ios.Stdout(), trimLines(b.String()))
}

// cmdAbout is the text a command's help starts with.
func cmdAbout(cmd *cobra.Command) string {
	if cmd.Long != "" {
		return cmd.Long
	}
	return cmd.Short
}

// helpExtra is what a command's help says about the providers: setup
// lists them, and with one named (tether setup auth0 --help) its methods
// and inputs.
func helpExtra(a *app, cmd *cobra.Command) string {
	if cmd.Name() != "setup" {
		return ""
	}
	if args := cmd.Flags().Args(); len(args) > 0 {
		if p, ok := a.implementedProvider(providerID(args[0])); ok {
			return plain.Methods(p)
		}
	}
	return providerList(a)
}

// providerList names the providers setup connects, and those it cannot
// connect yet.
func providerList(a *app) string {
	s := "Providers: " + strings.Join(a.implementedIDs(), ", ") + " (tether setup PROVIDER --help lists its methods and inputs)\n"
	if later := a.notYet(); len(later) > 0 {
		s += "Not yet connectable: " + strings.Join(later, ", ") + " (tether catalog PROVIDER shows what they will need)\n"
	}
	return s
}

// terminalWidth is stdout's width when it is a terminal, else helpWidth.
func terminalWidth(a *app) int {
	if f, ok := a.ios.Out.(*os.File); ok && a.ios.IsStdoutTTY() {
		if w, _, err := term.GetSize(f.Fd()); err == nil && w >= 40 {
			return w
		}
	}
	return helpWidth
}

// trimLines removes the spaces that end lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// flagValueName is how a flag's value is written in help and the man
// page: its `NAME` from the usage text, else its type; "" for a switch.
func flagValueName(f *pflag.Flag) string {
	name, _ := pflag.UnquoteUsage(f)
	return name
}
