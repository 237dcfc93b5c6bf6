// Package ui is tether's face: the Bubble Tea wizard (Home, the setup
// steps, the sign-in panel, the live checklist), its accessible
// line-by-line form, and in ui/plain the scriptable output. It renders the
// plain values the providers report, keeps every key in the order typed,
// and never makes a network request itself: that is the Manager's, in
// providers.
package ui
