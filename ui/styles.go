package ui

import (
	"charm.land/lipgloss/v2"

	"github.com/tetherdev/tether/providers"
)

// Styles are the TUI's styles for one palette. They are plain data, built
// for a light or a dark background once the terminal has said which it
// has; meaning never rests on colour alone (every status has a symbol and
// a word).
type Styles struct {
	App        lipgloss.Style
	Title      lipgloss.Style
	Subtitle   lipgloss.Style
	Badge      lipgloss.Style
	Rule       lipgloss.Style
	Selected   lipgloss.Style
	Normal     lipgloss.Style
	Dim        lipgloss.Style
	Bold       lipgloss.Style
	Key        lipgloss.Style
	Link       lipgloss.Style
	Code       lipgloss.Style
	Error      lipgloss.Style
	Panel      lipgloss.Style
	Capability lipgloss.Style
	Status     map[providers.Status]lipgloss.Style
}

// NewStyles returns the styles for a dark or light background.
func NewStyles(dark bool) *Styles {
	ld := lipgloss.LightDark(dark)
	accent := ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#A78BFA"))
	dim := ld(lipgloss.Color("#6B6B6B"), lipgloss.Color("#8A8A8A"))
	green := ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#3FB950"))
	red := ld(lipgloss.Color("#CF222E"), lipgloss.Color("#F85149"))
	yellow := ld(lipgloss.Color("#9A6700"), lipgloss.Color("#D29922"))
	blue := ld(lipgloss.Color("#0969DA"), lipgloss.Color("#58A6FF"))
	s := &Styles{
		App:        lipgloss.NewStyle().Padding(0, 1),
		Title:      lipgloss.NewStyle().Bold(true).Foreground(accent),
		Subtitle:   lipgloss.NewStyle().Foreground(dim),
		Badge:      lipgloss.NewStyle().Bold(true).Foreground(yellow),
		Rule:       lipgloss.NewStyle().Foreground(dim),
		Selected:   lipgloss.NewStyle().Bold(true).Foreground(accent),
		Normal:     lipgloss.NewStyle(),
		Dim:        lipgloss.NewStyle().Foreground(dim),
		Bold:       lipgloss.NewStyle().Bold(true),
		Key:        lipgloss.NewStyle().Bold(true),
		Link:       lipgloss.NewStyle().Underline(true).Foreground(blue),
		Code:       lipgloss.NewStyle().Bold(true).Foreground(accent).Padding(0, 1).Border(lipgloss.RoundedBorder()).BorderForeground(accent),
		Error:      lipgloss.NewStyle().Foreground(red),
		Panel:      lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(dim).Padding(0, 1),
		Capability: lipgloss.NewStyle().Bold(true),
		Status: map[providers.Status]lipgloss.Style{
			providers.Granted: lipgloss.NewStyle().Bold(true).Foreground(green),
			providers.Missing: lipgloss.NewStyle().Bold(true).Foreground(red),
			providers.Excess:  lipgloss.NewStyle().Bold(true).Foreground(yellow),
			providers.Unknown: lipgloss.NewStyle().Bold(true).Foreground(blue),
			providers.Error:   lipgloss.NewStyle().Bold(true).Foreground(red),
		},
	}
	return s
}

// Link renders url as a clickable link (OSC 8 where the terminal supports
// it; the renderer strips it where it does not, leaving the plain URL).
func (s *Styles) LinkTo(text, url string) string {
	if url == "" {
		return text
	}
	return s.Link.Hyperlink(url).Render(text)
}
