// Package ui is tether's face: the Bubble Tea wizard (in later files), and
// in ui/plain the scriptable line-by-line output. It renders the plain
// values the providers report and never makes a network request itself.
package ui
