package assets

import (
	"html/template"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestLoopbackPages: both pages parse as templates, show Title and
// Message escaped, and load nothing: no script, no external resource.
func TestLoopbackPages(t *testing.T) {
	external := regexp.MustCompile(`(?i)<script|\bsrc=|<link|@import|url\(|https?://`)
	for _, name := range []string{"success.html", "failure.html"} {
		raw, err := fs.ReadFile(Loopback, "loopback/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if m := external.Find(raw); m != nil {
			t.Errorf("%s loads something: %q", name, m)
		}
		if len(raw) > 4096 {
			t.Errorf("%s is %d bytes; keep it small", name, len(raw))
		}
		tmpl, err := template.New(name).Parse(string(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, struct{ Title, Message string }{"T<i>", "M&<b>"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "T&lt;i&gt;") || !strings.Contains(b.String(), "M&amp;&lt;b&gt;") {
			t.Errorf("%s does not escape its data", name)
		}
	}
}
