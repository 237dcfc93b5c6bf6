// Package sshd serves tether's wizard over SSH (tether serve): every
// session gets its own program from ui.New, the same root-model
// constructor as the local TUI, sized and coloured for the client's
// terminal; a session without a terminal runs one plain command
// (status, verify, and for admins setup and forget).
//
// Only public keys listed in an authorized_keys file may connect, each
// with a role (admin or viewer); the key that authenticated is the key
// whose role applies. Every action is written to an append-only audit
// log. Nothing here opens a browser: the browser is on the client.
//
// sshd imports ui and the SSH libraries; it must not import cmd.
package sshd
