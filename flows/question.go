package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Question is something a sign-in asks the admin before it goes on, such
// as whether to create an app registration in the tenant. It is a plain
// value: the TUI, the SSH session, accessible mode and the plain CLI each
// ask it in their own way.
type Question struct {
	// Prompt is the question itself ("Create the app registration
	// \"tether\" in contoso.onmicrosoft.com?").
	Prompt string
	// Detail says what each answer does, in a sentence or two.
	Detail string
	// Choices are the answers to pick from; none means yes or no.
	Choices []string
}

// YesNo reports whether q is a yes-or-no question.
func (q Question) YesNo() bool { return len(q.Choices) == 0 }

// Asker asks the admin q and returns the index of the answer: for a
// yes-or-no question 0 is yes and 1 is no. It returns ctx.Err() when ctx
// ends first, and a *NoAnswerError when nobody can be asked.
type Asker func(ctx context.Context, q Question) (int, error)

// NoAnswerError means that a question could not be asked: there is no
// terminal, or --no-input said not to ask.
type NoAnswerError struct {
	Question Question
	// Hint says how to answer without being asked ("pass --yes").
	Hint string
}

func (e *NoAnswerError) Error() string {
	s := "tether must ask: " + strings.TrimSuffix(e.Question.Prompt, "?") + "?"
	if len(e.Question.Choices) > 0 {
		s += " (" + strings.Join(e.Question.Choices, ", ") + ")"
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// ErrDeclined means that the admin answered no.
var ErrDeclined = errors.New("declined")

// Confirm asks a yes-or-no question and returns nil for yes and
// ErrDeclined for no.
func (in Interaction) Confirm(ctx context.Context, q Question) error {
	q.Choices = nil
	i, err := in.ask(ctx, q)
	if err != nil {
		return err
	}
	if i != 0 {
		return fmt.Errorf("%s: %w", strings.TrimSuffix(q.Prompt, "?"), ErrDeclined)
	}
	return nil
}

// Choose asks the admin to pick one of q.Choices and returns its index.
func (in Interaction) Choose(ctx context.Context, q Question) (int, error) {
	if len(q.Choices) == 0 {
		return 0, errors.New("flows: Choose needs choices")
	}
	i, err := in.ask(ctx, q)
	if err == nil && (i < 0 || i >= len(q.Choices)) {
		err = fmt.Errorf("flows: answer %d is not one of the %d choices", i, len(q.Choices))
	}
	return i, err
}

func (in Interaction) ask(ctx context.Context, q Question) (int, error) {
	if in.Ask == nil {
		return 0, &NoAnswerError{Question: q}
	}
	return in.Ask(ctx, q)
}
