// Package assets holds the files tether ships inside its binary: the pages
// the loopback server shows in the admin's browser at the end of a browser
// sign-in or consent.
//
// The pages are small html/template files with inline styles, no scripts
// and no external resources, so that they render the same offline, under a
// strict Content-Security-Policy, and never leak the redirect URL (which
// carries the authorization code) to another origin. Each page receives a
// Title and a Message, both plain text.
//
// assets imports nothing of tether's.
package assets

import "embed"

// Loopback holds loopback/success.html and loopback/failure.html.
//
//go:embed loopback/*.html
var Loopback embed.FS
