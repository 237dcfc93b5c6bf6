package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key binding of the TUI, as data; each screen shows the
// ones that apply to it.
type KeyMap struct {
	Up, Down   key.Binding
	Enter      key.Binding
	Back       key.Binding
	Verify     key.Binding
	VerifyAll  key.Binding
	Forget     key.Binding
	Add        key.Binding
	Help       key.Binding
	Quit       key.Binding
	ForceQuit  key.Binding
	Recheck    key.Binding
	Evidence   key.Binding
	Copy       key.Binding
	QR         key.Binding
	Paste      key.Binding
	Open       key.Binding
	SandboxFix key.Binding
	CopyLink   key.Binding
	Yes, No    key.Binding
}

// DefaultKeyMap returns the bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Enter:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Verify:     key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify")),
		VerifyAll:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "verify all")),
		Forget:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "forget")),
		Add:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Recheck:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-check")),
		Evidence:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "evidence")),
		Copy:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy code")),
		QR:         key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "QR code")),
		Paste:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste redirect URL")),
		Open:       key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open link")),
		SandboxFix: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "grant in sandbox")),
		CopyLink:   key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "copy link")),
		Yes:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:         key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}
}
