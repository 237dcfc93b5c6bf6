package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newManCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "man",
		Short: "Print tether's man page (tether man | man -l -)",
		Long: `Print tether's manual page, in roff, on stdout: every command with its flags,
the exit status, the environment, the files and examples. Read it with
man -l -, or install it as tether.1 in a man directory.`,
		Example: `  tether man | man -l -
  tether man > ~/.local/share/man/man1/tether.1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(a.ios.Out, manPage(cmd.Root()))
			return err
		},
	}
}

// environment lists every variable tether reads, for the man page. A test
// fails when the code reads one that is not here.
var environment = []struct{ name, meaning string }{
	{"TETHER_STORE", "where new credentials go: keyring (the default) or file; --store overrides it."},
	{"TETHER_PASSPHRASE", "the passphrase the file store encrypts credentials with, instead of an age identity file."},
	{"TETHER_AGE_IDENTITY", "the age identity file the file store encrypts credentials to; by default age-identity.txt in the configuration directory."},
	{"TETHER_CONFIG_DIR", "the configuration directory, instead of $XDG_CONFIG_HOME/tether."},
	{"XDG_CONFIG_HOME", "the base of the configuration directory (default ~/.config on Linux)."},
	{"NO_COLOR", "when set, no colours (as --no-color); every status keeps its symbol and its word."},
	{"TERM", "dumb makes the wizard ask line by line with no redraws, as --accessible."},
	{"BROWSER", "the browser to open sign-in pages with: commands separated by colons, %s standing for the URL."},
	{"DISPLAY, WAYLAND_DISPLAY", "on Linux and the BSDs, without either no browser is opened: the link is printed instead."},
	{"SSH_CONNECTION, SSH_CLIENT, SSH_TTY", "in an SSH session no browser is opened, since it would open on the remote machine."},
	{"DBUS_SESSION_BUS_ADDRESS", "the D-Bus session bus over which the OS keyring (Secret Service) is reached on Linux."},
	{"HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "the proxy for calls to the providers' APIs."},
	{"SSL_CERT_FILE, SSL_CERT_DIR", "certificate authorities to trust instead of the system's, on Linux and the BSDs."},
	{"USER, USERNAME", "who the audit log names when the OS account cannot be looked up."},
}

// files lists what tether keeps where, for the man page.
var files = []struct{ path, meaning string }{
	{"$XDG_CONFIG_HOME/tether/connections.json", "the connections' metadata: provider, name, tenant, client id, method, capabilities, which store holds the secret, the last verification. No secret. Written atomically, mode 0600."},
	{"OS keyring, service tether, account PROVIDER/NAME", "each connection's secret (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)."},
	{"$XDG_CONFIG_HOME/tether/credentials/", "with --store file: the secrets, each in an age-encrypted file."},
	{"$XDG_CONFIG_HOME/tether/age-identity.txt", "with --store file: the age identity the secrets are encrypted to (unless TETHER_AGE_IDENTITY or TETHER_PASSPHRASE), mode 0600."},
	{"$XDG_CONFIG_HOME/tether/audit.log", "one JSON line per token, export and exec: time, OS user, action, connection, outcome, where an export went. No secret. Appended and synced, mode 0600."},
	{"$XDG_CONFIG_HOME/tether/sandbox/", "the same for --sandbox, and the demo tenants' state; its keyring service is tether-sandbox."},
}

// manPage renders the manual page of root and its commands in roff (man
// macros), with no date, so that one build always prints the same page.
func manPage(root *cobra.Command) string {
	var m roffWriter
	m.macro("TH", "TETHER", "1", "", "tether "+root.Version, "User Commands")
	m.macro("nh") // no hyphenation: a flag broken at its hyphen reads as two
	m.macro("SH", "NAME")
	m.line(escape("tether - " + lowerFirst(root.Short)))

	m.macro("SH", "SYNOPSIS")
	m.macro("nf")
	m.line(bold("tether") + " [" + italic("FLAGS") + "]")
	for _, c := range manCommands(root) {
		m.line(bold("tether "+c.Name()) + escape(strings.TrimPrefix(c.UseLine(), c.CommandPath())))
	}
	m.macro("fi")

	m.macro("SH", "DESCRIPTION")
	m.text(root.Long)

	m.macro("SH", "COMMANDS")
	for _, c := range manCommands(root) {
		m.macro("SS", strings.TrimPrefix(c.UseLine(), root.Name()+" "))
		m.text(cmdAbout(c))
		m.flags(c.LocalNonPersistentFlags(), false)
		if c.Example != "" {
			m.macro("PP")
			m.line("Examples:")
			m.code(c.Example)
		}
	}

	m.macro("SH", "OPTIONS")
	m.text("These flags apply to every command.")
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	m.flags(root.Flags(), true)

	m.macro("SH", "EXIT STATUS")
	for _, s := range exitStatuses {
		m.macro("TP")
		m.line(bold(fmt.Sprint(s.code)))
		m.line(escape(capitalize(s.meaning) + "."))
	}
	m.macro("PP")
	m.text("Errors are one line on stderr, prefixed tether:, saying what was wrong and what a good value looks like. Results go to stdout; progress and prompts go to stderr.")

	m.macro("SH", "ENVIRONMENT")
	for _, e := range environment {
		m.macro("TP")
		m.line(bold(e.name))
		m.line(escape(capitalize(e.meaning)))
	}

	m.macro("SH", "FILES")
	for _, f := range files {
		m.macro("TP")
		m.line(italic(f.path))
		m.line(escape(capitalize(f.meaning)))
	}

	m.macro("SH", "EXAMPLES")
	m.examples(root.Example)
	return m.String()
}

// manCommands are the commands the man page documents: the available
// ones, without help and completion, which every cobra program has.
func manCommands(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
			out = append(out, c)
		}
	}
	return out
}

// roffWriter writes man(7) source.
type roffWriter struct{ strings.Builder }

// macro writes a request line; arguments with spaces are quoted.
func (w *roffWriter) macro(name string, args ...string) {
	w.WriteString("." + name)
	for _, a := range args {
		a = escape(a)
		if a == "" || strings.ContainsAny(a, " \t") {
			a = `"` + strings.ReplaceAll(a, `"`, `\(dq`) + `"`
		}
		w.WriteString(" " + a)
	}
	w.WriteString("\n")
}

// line writes one line of already escaped text.
func (w *roffWriter) line(s string) {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	w.WriteString(s + "\n")
}

// text writes prose: lines of a paragraph are filled together, as the
// source wraps them only for reading; a blank line starts a paragraph.
func (w *roffWriter) text(s string) {
	for i, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if i > 0 {
			w.macro("PP")
		}
		for _, l := range strings.Split(para, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				w.line(escape(l))
			}
		}
	}
}

// code writes lines as they are, unfilled and indented.
func (w *roffWriter) code(s string) {
	w.macro("RS", "4")
	w.macro("nf")
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		w.line(escape(strings.TrimPrefix(l, "  ")))
	}
	w.macro("fi")
	w.macro("RE")
}

// examples writes an example block whose "# comment" lines introduce the
// commands under them.
func (w *roffWriter) examples(s string) {
	for _, block := range strings.Split(strings.TrimSpace(s), "\n\n") {
		var comment, cmds []string
		for _, l := range strings.Split(block, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "#") {
				comment = append(comment, strings.TrimSpace(strings.TrimPrefix(l, "#")))
			} else if l != "" {
				cmds = append(cmds, l)
			}
		}
		w.macro("PP")
		if len(comment) > 0 {
			w.line(escape(capitalize(strings.Join(comment, " ")) + ":"))
		}
		w.code(strings.Join(cmds, "\n"))
	}
}

// flags writes each visible flag as a tagged paragraph: -y, --yes then
// what it does and its default.
func (w *roffWriter) flags(fs *pflag.FlagSet, isRootFlags bool) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" && !isRootFlags {
			return
		}
		tag := ""
		if f.Shorthand != "" {
			tag = bold("-"+f.Shorthand) + ", "
		}
		tag += bold("--" + f.Name)
		if v := manValueName(f); v != "" {
			tag += " " + italic(v)
		}
		_, usage := pflag.UnquoteUsage(f)
		if d := f.DefValue; d != "" && d != "false" && d != "[]" && d != "0" && !strings.Contains(usage, "(default") {
			if f.Value.Type() == "string" {
				d = strconv.Quote(d)
			}
			usage += " (default " + d + ")"
		}
		w.macro("TP")
		w.line(tag)
		w.line(escape(capitalize(usage) + "."))
	})
}

// manValueName names a flag's value: its `NAME` in the usage text, else
// the flag's name in capitals ("--name NAME"); "" for a switch.
func manValueName(f *pflag.Flag) string {
	name := flagValueName(f)
	switch {
	case name == "":
		return ""
	case strings.Contains(f.Usage, "`"):
		return name
	case name == "duration":
		return "DURATION"
	}
	return strings.ToUpper(f.Name)
}

// escape makes text safe in roff: a backslash is \e; a hyphen is \-, so
// that flags and commands copied from the page are typed correctly; and
// anything beyond ASCII is named (\[u2192] for →), so that every roff
// reads it, with or without preconv.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func bold(s string) string   { return `\fB` + escape(s) + `\fR` }
func italic(s string) string { return `\fI` + escape(s) + `\fR` }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
