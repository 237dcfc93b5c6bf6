package oauthtest

import (
	"crypto/rand"
	"html/template"
	"net/http"
)

type pageData struct {
	Title    string
	Message  string
	Client   string
	Scopes   []string
	Admin    bool
	Action   string
	Hidden   map[string]string
	UserCode string
}

// The pages have real forms and buttons, and no script: a browser (or
// Browser) approves by clicking #approve, denies by clicking #deny.
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto}button{font-size:1rem;margin-right:1rem}</style>
</head><body><h1>{{.Title}}</h1>{{end}}

{{define "consent"}}{{template "head" .}}
<p><strong>{{.Client}}</strong> {{if .Admin}}asks an administrator to grant, for the whole organization:{{else}}asks to:{{end}}</p>
<ul id="scopes">{{range .Scopes}}<li>{{.}}</li>{{else}}<li>sign you in</li>{{end}}</ul>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form></body></html>{{end}}

{{define "device"}}{{template "head" .}}
<p>Enter the code shown on your device.</p>
<form method="post" action="{{.Action}}">
<input type="text" id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off">
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form></body></html>{{end}}

{{define "message"}}{{template "head" .}}
<p id="message">{{.Message}}</p></body></html>{{end}}
`))

func renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY") // consent pages must not be framed (clickjacking)
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, d)
}

func errorPage(w http.ResponseWriter, status int, title, msg string) {
	renderPage(w, status, "message", pageData{Title: title, Message: msg})
}

func donePage(w http.ResponseWriter, title, msg string) {
	renderPage(w, http.StatusOK, "message", pageData{Title: title, Message: msg})
}

// rand32 is a random identifier of a consent request.
func rand32() string { return rand.Text() }
