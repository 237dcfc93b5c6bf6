package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// output is a command's choice of output format: --format, and --json as
// its short form, accepted by every command that prints JSON.
type output struct {
	formats []string // the first is the default
	format  string
	json    bool
}

// addOutputFlags gives cmd --format FORMAT (one of formats, the first by
// default) and --json, with completion of the formats.
func addOutputFlags(cmd *cobra.Command, formats ...string) *output {
	o := &output{formats: formats}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", formats[0], "output format: "+formatList(formats))
	f.BoolVar(&o.json, "json", false, "print one JSON document, as --format json (stable: fields may be added, none renamed)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	return o
}

// Format returns the chosen format, or a usage error for an unknown one
// or for --json with another --format.
func (o *output) Format() (string, error) {
	f := strings.ToLower(o.format)
	if f == "md" && slices.Contains(o.formats, "markdown") {
		f = "markdown"
	}
	if !slices.Contains(o.formats, f) {
		return "", &flagError{err: fmt.Errorf("--format %q: use %s", o.format, formatList(o.formats))}
	}
	if o.json {
		if f != o.formats[0] && f != "json" {
			return "", &flagError{err: fmt.Errorf("--json and --format %s ask for two formats: pass one", o.format)}
		}
		return "json", nil
	}
	return f, nil
}

// JSON reports whether the chosen format is JSON (false for a bad one,
// which Format reports).
func (o *output) JSON() bool {
	f, err := o.Format()
	return err == nil && f == "json"
}

func formatList(formats []string) string {
	if len(formats) == 1 {
		return formats[0]
	}
	return strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
}
