package plain

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tetherdev/tether/flows"
)

// Asker answers a sign-in's questions in plain mode: --yes answers yes to
// a yes-or-no question; on a terminal (and without --no-input) the admin
// is asked on stderr; otherwise the question is a *flows.NoAnswerError
// that names --yes. A question with choices is never answered for the
// admin.
func Asker(ios *IOStreams, yes, noInput bool) flows.Asker {
	return func(ctx context.Context, q flows.Question) (int, error) {
		switch {
		case q.YesNo() && yes:
			fmt.Fprintln(ios.Stderr(), q.Prompt+" yes (--yes)")
			return 0, nil
		case noInput || !ios.CanPrompt():
			hint := "pass --yes to answer yes"
			if !q.YesNo() {
				hint = "run tether setup on a terminal to choose"
			}
			return 0, &flows.NoAnswerError{Question: q, Hint: hint}
		}
		return ask(ctx, ios, q)
	}
}

// ask prompts until a valid answer; ctrl+d or the end of ctx stops it.
func ask(ctx context.Context, ios *IOStreams, q flows.Question) (int, error) {
	out := ios.Stderr()
	if q.Detail != "" {
		fmt.Fprintln(out, dim.Render("  "+q.Detail))
	}
	for i, c := range q.Choices {
		fmt.Fprintf(out, "  %d. %s\n", i+1, c)
	}
	type line struct {
		s   string
		err error
	}
	for {
		if q.YesNo() {
			fmt.Fprint(out, bold.Render(q.Prompt)+" [y/N] ")
		} else {
			fmt.Fprintf(out, "%s [1-%d] ", bold.Render(q.Prompt), len(q.Choices))
		}
		got := make(chan line, 1)
		go func() {
			s, err := ios.Lines().ReadString('\n')
			got <- line{s, err}
		}()
		var l line
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return 0, ctx.Err()
		case l = <-got:
		}
		answer := strings.ToLower(strings.TrimSpace(l.s))
		if l.err != nil && answer == "" {
			fmt.Fprintln(out)
			return 0, ErrAborted
		}
		if q.YesNo() {
			switch answer {
			case "y", "yes":
				return 0, nil
			case "", "n", "no":
				return 1, nil
			}
			fmt.Fprintln(out, "  answer y or n")
			continue
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(q.Choices) {
			return n - 1, nil
		}
		fmt.Fprintf(out, "  answer a number from 1 to %d\n", len(q.Choices))
	}
}
