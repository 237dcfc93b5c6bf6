package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/skip2/go-qrcode"

	"github.com/tetherdev/tether/flows"
)

// signin renders a sign-in under way from its events: the device-code
// panel (the code large, the link, a countdown, a QR code, copy with OSC
// 52), the browser panel (opened, or the link to open), and the field to
// paste the final redirect URL back when the browser cannot reach this
// machine.
type signin struct {
	common   *Common
	progress []string
	device   *flows.DeviceCode
	interval time.Duration
	opened   string // URL opened in a browser
	manual   *flows.BrowserUnavailable
	awaiting *flows.AwaitingRedirect
	outcome  string // approved, denied: reason, expired
	showQR   bool
	pasteErr string
	spin     spinner.Model

	paste   textinput.Model
	pasteCh chan string

	// question is what the sign-in asks, until answered on reply.
	question *flows.Question
	reply    chan<- int
	choice   int
}

// questionMsg carries a sign-in's question to the panel.
type questionMsg struct {
	job   int
	q     flows.Question
	reply chan<- int
}

// asker is the Interaction's Ask of a setup job: it shows the question in
// the panel and waits for the answer, or for the job to end.
func asker(j *job) flows.Asker {
	return func(ctx context.Context, q flows.Question) (int, error) {
		reply := make(chan int, 1)
		j.send(questionMsg{job: j.id, q: q, reply: reply})
		select {
		case i := <-reply:
			return i, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// ask shows a question.
func (s *signin) ask(msg questionMsg) {
	s.question, s.reply, s.choice = &msg.q, msg.reply, 0
}

// answer sends the admin's answer.
func (s *signin) answer(i int) {
	s.reply <- i
	verdict := "yes"
	switch {
	case !s.question.YesNo():
		verdict = s.question.Choices[i]
	case i != 0:
		verdict = "no"
	}
	s.progress = append(s.progress, s.question.Prompt+" "+verdict)
	s.question, s.reply = nil, nil
}

// questionKey answers the question with a key: y or n, or arrows and
// enter among the choices.
func (s *signin) questionKey(kp tea.KeyPressMsg) {
	q := s.question
	switch k := kp.String(); {
	case q.YesNo() && (k == "y" || k == "Y"):
		s.answer(0)
	case q.YesNo() && (k == "n" || k == "N"):
		s.answer(1)
	case !q.YesNo() && (k == "up" || k == "k"):
		s.choice = max(s.choice-1, 0)
	case !q.YesNo() && (k == "down" || k == "j"):
		s.choice = min(s.choice+1, len(q.Choices)-1)
	case !q.YesNo() && k == "enter":
		s.answer(s.choice)
	}
}

func newSignin(c *Common) *signin {
	ti := textinput.New()
	ti.Placeholder = "http://127.0.0.1:…/callback?code=…&state=…"
	ti.Prompt = "redirect URL › "
	ti.KeyMap.Paste.SetEnabled(false) // ctrl+v reads the host's clipboard, not the admin's
	ti.SetWidth(60)
	return &signin{common: c, paste: ti, pasteCh: make(chan string, 1), spin: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
}

// handle records an event.
func (s *signin) handle(e flows.Event) tea.Cmd {
	switch e := e.(type) {
	case flows.Progress:
		s.progress = append(s.progress, e.Message)
	case flows.DeviceCode:
		s.device, s.interval = &e, e.Interval
	case flows.Waiting:
		s.interval = e.Interval
	case flows.Approved:
		s.outcome = "approved"
	case flows.Denied:
		s.outcome = "denied: " + e.Reason
	case flows.Expired:
		s.outcome = "expired"
	case flows.BrowserOpened:
		s.opened = e.URL
	case flows.BrowserUnavailable:
		s.manual = &e
	case flows.AwaitingRedirect:
		s.awaiting = &e
		if e.Paste {
			return s.paste.Focus()
		}
	case flows.RedirectRejected:
		s.progress = append(s.progress, "a redirect was refused: "+e.Reason)
	case flows.RedirectReceived:
		s.outcome = "approved"
		s.paste.Blur()
	}
	return nil
}

// pasting reports whether keys go to the paste field.
func (s *signin) pasting() bool { return s.awaiting != nil && s.awaiting.Paste && s.paste.Focused() }

func (s *signin) update(msg tea.Msg) tea.Cmd {
	k := s.common.Keys
	if t, ok := msg.(spinner.TickMsg); ok {
		if t.ID != s.spin.ID() {
			return nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return cmd
	}
	if kp, ok := msg.(tea.KeyPressMsg); ok && s.question != nil {
		s.questionKey(kp)
		return nil
	}
	if s.pasting() {
		if kp, ok := msg.(tea.KeyPressMsg); ok && kp.String() == "enter" {
			v := strings.TrimSpace(s.paste.Value())
			if v == "" {
				s.pasteErr = "paste the whole URL your browser ended on"
				return nil
			}
			select {
			case s.pasteCh <- v:
				s.pasteErr = ""
				s.paste.SetValue("")
			default:
			}
			return nil
		}
		var cmd tea.Cmd
		s.paste, cmd = s.paste.Update(msg)
		return cmd
	}
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case s.device != nil && key.Matches(kp, k.Copy):
		s.common.notice = copiedNote("code")
		return tea.SetClipboard(s.device.UserCode)
	case s.device != nil && key.Matches(kp, k.QR):
		s.showQR = !s.showQR
	case s.awaiting != nil && s.awaiting.Paste && key.Matches(kp, k.Paste):
		return s.paste.Focus()
	}
	return nil
}

func (s *signin) view() string {
	st := s.common.Styles
	var b strings.Builder
	if d := s.device; d != nil {
		fmt.Fprintf(&b, "On any device, open  %s\n", st.LinkTo(d.VerificationURI, d.VerificationURI))
		fmt.Fprintf(&b, "and enter\n%s\n", st.Code.Render(d.UserCode))
		if d.VerificationURIComplete != "" {
			b.WriteString("or open\n" + wrapLink(st, d.VerificationURIComplete, s.common.Width-4, "") + "\n")
		}
		left := max(d.ExpiresAt.Sub(s.common.Deps.now()).Truncate(time.Second), 0)
		fmt.Fprintf(&b, "expires in %s", formatClock(left))
		if s.interval > 0 {
			fmt.Fprintf(&b, " · checking every %s", s.interval)
		}
		b.WriteString("\n")
		if s.showQR {
			target := d.VerificationURIComplete
			if target == "" {
				target = d.VerificationURI
			}
			if q, err := qrcode.New(target, qrcode.Low); err == nil {
				b.WriteString(q.ToSmallString(false))
			}
		}
	}
	if s.opened != "" {
		b.WriteString("Opened your browser on the consent page. Not there? Open:\n" + wrapLink(st, s.opened, s.common.Width-4, "") + "\n")
	}
	if m := s.manual; m != nil {
		b.WriteString(wrap(st.Normal, "Open this link in a browser ("+m.Reason+"):", s.common.Width-4, "") + "\n" + wrapLink(st, m.URL, s.common.Width-4, "") + "\n")
	}
	if a := s.awaiting; a != nil && a.Paste {
		b.WriteString("\nAfter you approve, your browser lands on a page that may not load.\nCopy that page's full URL from the address bar and paste it here:\n")
		b.WriteString(s.paste.View() + "\n")
		if s.pasteErr != "" {
			b.WriteString(st.Error.Render(s.pasteErr) + "\n")
		}
	}
	width := s.common.Width - 4
	for _, p := range s.progress {
		b.WriteString(strings.TrimPrefix(wrap(st.Dim, "→ "+p, width, "  "), "  ") + "\n")
	}
	if q := s.question; q != nil {
		// A question is read whole before it is answered: wrapped, never cut.
		b.WriteString("\n" + wrap(st.Bold, q.Prompt, width, "") + "\n")
		if q.Detail != "" {
			b.WriteString(wrap(st.Normal, q.Detail, width, "") + "\n")
		}
		for i, c := range q.Choices {
			cursor := "  "
			if i == s.choice {
				cursor = "› "
			}
			b.WriteString(wrap(st.Normal, cursor+c, width, "  ") + "\n")
		}
		if q.YesNo() {
			b.WriteString(st.Dim.Render("y yes • n no") + "\n")
		} else {
			b.WriteString(st.Dim.Render("↑/↓ choose • enter confirm") + "\n")
		}
	}
	if s.outcome != "" {
		b.WriteString(st.Bold.Render("sign-in "+s.outcome) + "\n")
	}
	return b.String()
}

func formatClock(d time.Duration) string {
	m := int(d.Minutes())
	return fmt.Sprintf("%d:%02d", m, int(d.Seconds())-60*m)
}
