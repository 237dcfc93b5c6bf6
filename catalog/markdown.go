package catalog

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the providers' requirements as Markdown tables: one
// section per provider, one row per permission of each capability, with the
// identifier tether requests and a footnote for every flagged row. The
// README's permissions section is this output.
func Markdown(w io.Writer, providers []Provider) error {
	var b strings.Builder
	for i, p := range providers {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s (`%s`)\n\n%s.\n\n", p.Name, p.ID, capitalize(p.Grant))
		b.WriteString("| Capability | Permission | Description | Purpose | tether requests |\n")
		b.WriteString("|---|---|---|---|---|\n")
		var notes []string
		for _, c := range p.Capabilities {
			for _, name := range c.Permissions {
				perm, _ := p.Permission(name)
				label := "`" + perm.Name + "`"
				if perm.Flagged() {
					label += " ⚑"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
					cell(CapabilityLabel(c)), cell(label), cell(perm.Description), cell(perm.Purpose), cell(codeList(perm.Identifiers())))
			}
			if c.Flag != "" {
				notes = append(notes, fmt.Sprintf("- %s: %s.", CapabilityLabel(c), c.Flag))
			}
		}
		for _, perm := range p.Permissions {
			if perm.Flagged() {
				notes = append(notes, fmt.Sprintf("- ⚑ `%s`: %s.", perm.Name, perm.Flag))
			}
			if perm.Note != "" {
				notes = append(notes, fmt.Sprintf("- `%s`: %s.", perm.Name, perm.Note))
			}
			if len(perm.Parts) > 0 {
				notes = append(notes, fmt.Sprintf("- `%s` is verified area by area: %s.", perm.Name, strings.Join(perm.Parts, ", ")))
			}
		}
		if len(notes) > 0 {
			b.WriteString("\n" + strings.Join(dedupe(notes), "\n") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CapabilityLabel names a capability with its tier, as the tables show it:
// "collect (required)", "devices: Microsoft Intune (optional)",
// "remediate: Update User Type".
func CapabilityLabel(c Capability) string {
	switch c.Tier {
	case TierCollect:
		return "collect (required)"
	case TierRead:
		return c.ID + ": " + c.Name + " (optional)"
	default:
		return "remediate: " + c.Name
	}
}

func codeList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
