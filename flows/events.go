package flows

// Event is progress reported by a sign-in, for the TUI, the plain printer
// and the SSH session to render each in its own way. Events are plain
// values and never carry a secret.
type Event interface{ event() }

// Progress is a step of a sign-in under way, in a short sentence
// ("requesting a Management API token from acme.us.auth0.com").
type Progress struct{ Message string }

func (Progress) event() {}

// Events receives sign-in events. A nil Events discards them.
type Events func(Event)

// Emit sends e to the receiver, if any.
func (f Events) Emit(e Event) {
	if f != nil {
		f(e)
	}
}
