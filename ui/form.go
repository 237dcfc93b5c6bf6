package ui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/tetherdev/tether/providers"
)

// The wizard's fields and lists apply every key in Update, focus moves
// included, so that a burst of keys (a paste, typing ahead, an SSH
// connection delivering keys in one packet) lands exactly where the same
// keys typed slowly would. A form whose navigation travels as commands
// (huh moves focus with a NextField message that arrives after any key
// already queued) sends the key after an enter to the old field, and an
// enter meant for the next screen to the form the first one completed.

// field is one input of a form, bound to the value it edits.
type field struct {
	in    providers.Input
	value *string
	ti    textinput.Model
	err   error
}

// form is a column of input fields: enter or tab validates the focused
// one and moves on, shift+tab goes back, and enter on the last submits
// once every field is valid.
type form struct {
	c      *Common
	fields []*field
	focus  int
	done   bool
	// optional makes every field optional (links on the console step:
	// they help, but the admin may not know them yet).
	optional bool
}

// secretMask stands for a typed secret whatever its length.
const secretMask = "•••••••• (given, hidden)"

func newForm(c *Common, inputs []providers.Input, values map[string]*string, optional bool) *form {
	f := &form{c: c, optional: optional}
	for _, in := range inputs {
		ti := textinput.New()
		ti.Prompt = "› "
		ti.KeyMap.Paste.SetEnabled(false) // ctrl+v reads the host's clipboard, not the admin's
		if in.Placeholder != "" {
			// Marked as an example in words, not by colour alone: with
			// NO_COLOR a placeholder must not look typed.
			ti.Placeholder = "e.g. " + in.Placeholder
		}
		if in.Secret {
			// Nothing of the secret is drawn, not even its length: the
			// view shows a fixed mask once something is typed.
			ti.EchoMode = textinput.EchoNone
		}
		ti.SetValue(*values[in.Key])
		ti.CursorEnd()
		f.fields = append(f.fields, &field{in: in, value: values[in.Key], ti: ti})
	}
	f.resize()
	// Start on the first field that still needs a value.
	for i, fl := range f.fields {
		if f.validate(fl) != nil || strings.TrimSpace(fl.ti.Value()) == "" && !fl.in.Optional && !optional {
			f.focus = i
			break
		}
	}
	if len(f.fields) > 0 {
		f.fields[f.focus].ti.Focus()
	}
	return f
}

func (f *form) resize() {
	for _, fl := range f.fields {
		fl.ti.SetWidth(max(f.c.Width-12, 20))
	}
}

// validate checks one field's value as the provider asks.
func (f *form) validate(fl *field) error {
	v := strings.TrimSpace(fl.ti.Value())
	switch {
	case v == "" && (fl.in.Optional || f.optional):
		return nil
	case v == "":
		return errors.New(fl.in.Label + " is required")
	case fl.in.Validate != nil:
		return fl.in.Validate(v)
	}
	return nil
}

func (f *form) setFocus(i int) {
	f.fields[f.focus].ti.Blur()
	f.focus = i
	f.fields[i].ti.Focus()
}

// update applies a key or a paste to the form.
func (f *form) update(msg tea.Msg) {
	if f.done || len(f.fields) == 0 {
		return
	}
	cur := f.fields[f.focus]
	if kp, ok := msg.(tea.KeyPressMsg); ok {
		switch kp.String() {
		case "enter", "tab":
			if cur.err = f.validate(cur); cur.err != nil {
				return
			}
			if f.focus < len(f.fields)-1 {
				f.setFocus(f.focus + 1)
				return
			}
			if kp.String() == "tab" {
				f.setFocus(0)
				return
			}
			f.submit()
			return
		case "shift+tab", "up":
			if f.focus > 0 {
				f.setFocus(f.focus - 1)
			}
			return
		case "down":
			if f.focus < len(f.fields)-1 {
				f.setFocus(f.focus + 1)
			}
			return
		}
	}
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		cur.ti, _ = cur.ti.Update(msg) // the blink it may ask for is cosmetic
		*cur.value = cur.ti.Value()
		cur.err = nil
	}
}

// submit completes the form when every field is valid, else focuses the
// first one that is not.
func (f *form) submit() {
	for i, fl := range f.fields {
		if fl.err = f.validate(fl); fl.err != nil {
			f.setFocus(i)
			return
		}
	}
	f.fields[f.focus].ti.Blur()
	f.done = true
}

// errors returns the errors to show, the focused field's first.
func (f *form) errors() []error {
	var errs []error
	for _, fl := range f.fields {
		if fl.err != nil {
			errs = append(errs, fl.err)
		}
	}
	return errs
}

// view renders the fields, the focused one marked by a bar (not by
// colour alone), and returns the line its input is on, so that the
// window can keep it in sight.
func (f *form) view() (string, int) {
	s := f.c.Styles
	var b strings.Builder
	focusLine := 0
	for i, fl := range f.fields {
		if i > 0 {
			b.WriteString("\n")
		}
		focused := i == f.focus && !f.done
		bar := "  "
		label := s.Bold.Render(fl.in.Label)
		if focused {
			bar, label = s.Selected.Render("┃ "), s.Selected.Render(fl.in.Label)
		}
		if fl.in.Optional || f.optional {
			label += s.Dim.Render(" (optional)")
		}
		lines := []string{label}
		if fl.in.Help != "" {
			lines = append(lines, strings.Split(wrap(s.Dim, fl.in.Help, f.c.Width-8, ""), "\n")...)
		}
		if focused {
			focusLine = strings.Count(b.String(), "\n") + len(lines)
		}
		if fl.in.Secret && fl.ti.Value() != "" {
			lines = append(lines, fl.ti.Prompt+secretMask)
		} else {
			lines = append(lines, fl.ti.View())
		}
		if fl.err != nil {
			lines = append(lines, strings.Split(wrap(s.Error, "✗ "+f.c.Deps.errText(fl.err), f.c.Width-8, ""), "\n")...)
		}
		for _, l := range lines {
			b.WriteString(bar + l + "\n")
		}
	}
	return b.String(), focusLine
}

// option is one entry of a list.
type option struct {
	label, value string
}

// list is a choice among options: one (a select) or several (a
// multi-select, where space toggles).
type list struct {
	c       *Common
	title   string
	hint    string
	options []option
	cursor  int
	multi   bool
	picked  map[string]bool
	done    bool
}

func newList(c *Common, title string, options []option, multi bool, chosen ...string) *list {
	l := &list{c: c, title: title, options: options, multi: multi, picked: map[string]bool{}}
	for _, v := range chosen {
		l.picked[v] = true
	}
	if !multi {
		for i, o := range options {
			if len(chosen) > 0 && o.value == chosen[0] {
				l.cursor = i
			}
		}
		l.hint = "↑/↓ choose · enter continue"
	} else {
		l.hint = "↑/↓ move · space toggle · enter continue"
	}
	return l
}

func (l *list) update(msg tea.Msg) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok || l.done {
		return
	}
	switch kp.String() {
	case "up", "k", "shift+tab":
		l.cursor = max(l.cursor-1, 0)
	case "down", "j", "tab":
		l.cursor = min(l.cursor+1, len(l.options)-1)
	case "space", " ", "x":
		if l.multi {
			v := l.options[l.cursor].value
			l.picked[v] = !l.picked[v]
		}
	case "enter":
		l.done = true
	}
}

// value is the chosen option of a select.
func (l *list) value() string { return l.options[l.cursor].value }

// values are the picked options of a multi-select, in list order.
func (l *list) values() []string {
	var out []string
	for _, o := range l.options {
		if l.picked[o.value] {
			out = append(out, o.value)
		}
	}
	return out
}

func (l *list) view() (string, int) {
	s := l.c.Styles
	var b strings.Builder
	b.WriteString(s.Bold.Render(l.title) + "  " + s.Dim.Render(l.hint) + "\n")
	focusLine := 0
	for i, o := range l.options {
		cursor, style := "  ", s.Normal
		if i == l.cursor {
			cursor, style = s.Selected.Render("› "), s.Selected
			focusLine = strings.Count(b.String(), "\n")
		}
		box := ""
		if l.multi {
			box = "[ ] "
			if l.picked[o.value] {
				box = "[x] "
			}
		}
		lines := strings.Split(wrap(style, box+o.label, l.c.Width-8, ""), "\n")
		b.WriteString(cursor + lines[0] + "\n")
		for _, more := range lines[1:] {
			b.WriteString("  " + strings.Repeat(" ", len(box)) + more + "\n")
		}
	}
	return b.String(), focusLine
}
