package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/tetherdev/tether/ui/plain"
)

// commands are tether's commands, as an admin types them.
var commands = [][]string{{}, {"setup"}, {"verify"}, {"status"}, {"forget"}, {"catalog"}, {"sandbox"}, {"reset"}, {"man"}}

// TestHelpIsWholeAndClean: every command's help, piped, shows each
// example whole (no "…"), and no line ends in spaces.
func TestHelpIsWholeAndClean(t *testing.T) {
	isolate(t)
	root := newRootCmd(&app{})
	for _, args := range commands {
		r := tether(t, "", nil, append(args, "--help")...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%s --help: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "…") {
			t.Errorf("%s --help cuts something with …:\n%s", args, r.stdout)
		}
		for i, l := range strings.Split(r.stdout, "\n") {
			if strings.TrimRight(l, " \t") != l {
				t.Errorf("%s --help line %d ends in spaces: %q", args, i+1, l)
			}
		}
		cmd, _, err := root.Find(args)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range strings.Split(cmd.Example, "\n") {
			if !strings.Contains(r.stdout, ex) {
				t.Errorf("%s --help lacks the example line %q whole", args, ex)
			}
		}
	}
	r := tether(t, "", nil, "forget", "--help")
	if !strings.Contains(r.stdout, "tether forget PROVIDER[/NAME] [flags]") {
		t.Errorf("forget usage:\n%s", r.stdout)
	}
}

// TestSetupHelpListsMethodsAndInputs: the methods and input keys of a
// provider are found from the CLI, for any registered provider.
func TestSetupHelpListsMethodsAndInputs(t *testing.T) {
	isolate(t)
	a := newAcmeApp(t)
	for _, args := range [][]string{{"setup", "ACME", "--help"}, {"catalog", "acme"}} {
		r := tether(t, "", newAcmeApp(t), args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d %s", args, r.code, r.stderr)
		}
		p, _ := a.implementedProvider("acme")
		for _, m := range p.Methods() {
			if !strings.Contains(r.stdout, "  "+m.ID+"  "+m.Name) {
				t.Errorf("%s lacks method %s:\n%s", args, m.ID, r.stdout)
			}
			for _, in := range m.Inputs {
				if !strings.Contains(r.stdout, "    "+in.Key+"  ") {
					t.Errorf("%s lacks input %s of %s:\n%s", args, in.Key, m.ID, r.stdout)
				}
			}
		}
		if !strings.Contains(r.stdout, "API key (secret, from --secret-stdin)") {
			t.Errorf("%s does not say which input is secret:\n%s", args, r.stdout)
		}
	}
	r := tether(t, "", nil, "setup", "--help")
	if !strings.Contains(r.stdout, "Providers: "+registeredIDs()+" (tether setup PROVIDER --help lists its methods and inputs)") {
		t.Errorf("setup --help does not list the providers:\n%s", r.stdout)
	}
}

// TestManPage: the man page has the sections a man page has, fills the
// source's paragraphs, and renders with man(1) without a warning.
func TestManPage(t *testing.T) {
	isolate(t)
	r := tether(t, "", nil, "man")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("man: exit %d, %s", r.code, r.stderr)
	}
	page := r.stdout
	for _, sec := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", `"EXIT STATUS"`, "ENVIRONMENT", "FILES", "EXAMPLES"} {
		if !strings.Contains(page, "\n.SH "+sec+"\n") {
			t.Errorf("man page lacks section %s", sec)
		}
	}
	for _, bad := range []string{`\-\-y `, `\fB\-\-y\fR`, "\n\n"} {
		if strings.Contains(page, bad) {
			t.Errorf("man page contains %q", bad)
		}
	}
	for _, e := range environment {
		for _, name := range strings.Split(e.name, ", ") {
			if !strings.Contains(page, escape(name)) {
				t.Errorf("man page ENVIRONMENT lacks %s", name)
			}
		}
	}
	man, err := exec.LookPath("man")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("man is not installed (Debian packages man-db groff-base)")
		}
		t.Skip("man is not installed (Debian packages man-db groff-base)")
	}
	file := filepath.Join(t.TempDir(), "tether.1")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(man, "--warnings", "-l", file)
	cmd.Env = append(os.Environ(), "MANWIDTH=200", "MANPAGER=cat", "PAGER=cat", "LANG=C.UTF-8")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil || errOut.Len() > 0 {
		t.Fatalf("man -l: %v\n%s", err, errOut.String())
	}
	text := regexp.MustCompile(".\b").ReplaceAllString(out.String(), "") // overstrike bold
	text = regexp.MustCompile(`[ \t]+`).ReplaceAllString(text, " ")      // justification
	// A paragraph wrapped in the source is filled, not a paragraph per line.
	for _, want := range []string{
		"what to grant, where to click, the real sign-in,",
		"-y, --yes",
		"tether setup auth0 --name prod --set domain=acme.us.auth0.com --set client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT --secret-stdin < secret.txt",
		"optional read capabilities, and one capability per remediation action.",
		"marked ⚑ are written",
		"TETHER_PASSPHRASE",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered man page lacks %q:\n%s", want, text)
		}
	}
}

// TestManListsEveryEnvironmentVariable reads the source for the variables
// tether reads: a new one must be documented in the man page.
func TestManListsEveryEnvironmentVariable(t *testing.T) {
	documented := map[string]bool{}
	for _, e := range environment {
		for _, name := range strings.Split(e.name, ", ") {
			documented[name] = true
		}
	}
	read := regexp.MustCompile(`(?:Getenv|getenv|LookupEnv)\("([A-Z][A-Z0-9_]*)"\)`)
	found := 0
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "../.." || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir() && strings.HasSuffix(d.Name(), "test"): // emulators and test kits
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range read.FindAllStringSubmatch(string(data), -1) {
			found++
			if !documented[m[1]] {
				t.Errorf("%s reads $%s, which the man page's ENVIRONMENT does not list (cmd/tether/man.go)", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 5 {
		t.Fatalf("found only %d reads of the environment: is the pattern still right?", found)
	}
}

// TestCompletion runs the shell's completion requests: providers,
// methods per provider, formats, stores and stored connection names.
func TestCompletion(t *testing.T) {
	isolate(t)
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input", "--name", "prod"); r.code != 0 {
		t.Fatalf("setup: exit %d %s", r.code, r.stderr)
	}
	a := &app{}
	a.ios, _, _, _ = plain.Test()
	cat, _ := a.catalog()
	p, _ := a.implementedProvider("auth0")
	var methods, keys []string
	for _, m := range p.Methods() {
		methods = append(methods, m.ID)
	}
	for _, in := range p.Methods()[0].Inputs {
		if !in.Secret {
			keys = append(keys, in.Key+"=")
		}
	}
	cp, _ := cat.Provider("auth0")
	var optional []string
	for _, c := range cp.Optional() {
		optional = append(optional, c.ID)
	}
	tests := []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"setup", ""}, a.implementedIDs(), a.notYet()},
		{[]string{"catalog", ""}, cat.IDs(), nil},
		{[]string{"setup", "auth0", "--method", ""}, methods, nil},
		{[]string{"setup", "auth0", "--set", ""}, keys, []string{"client_secret="}},
		{[]string{"setup", "auth0", "--with", ""}, optional, nil},
		{[]string{"verify", "--format", ""}, []string{"text", "json"}, nil},
		{[]string{"catalog", "--format", ""}, []string{"table", "markdown", "json"}, nil},
		{[]string{"status", "--store", ""}, []string{"keyring", "file"}, nil},
		{[]string{"--sandbox", "verify", ""}, []string{"auth0/prod"}, nil},
		{[]string{"--sandbox", "forget", ""}, []string{"auth0/prod"}, nil},
		{[]string{"verify", ""}, nil, []string{"auth0/prod"}}, // the sandbox's are its own
	}
	for _, tt := range tests {
		r := tether(t, "", nil, append([]string{"__complete"}, tt.args...)...)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasPrefix(l, ":") {
				v, _, _ := strings.Cut(l, "\t")
				got = append(got, v)
			}
		}
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("__complete %q = %q, want %q among them", tt.args, got, w)
			}
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("__complete %q = %q, want no %q", tt.args, got, n)
			}
		}
	}
	if len(optional) == 0 {
		t.Log("auth0 has no optional capability: --with completion was not exercised")
	}
}

func TestVersionFrom(t *testing.T) {
	rev := "468f5b8a1b2c3d4e5f60718293a4b5c6d7e8f901"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		set  string
		info *debug.BuildInfo
		want string
	}{
		{"set at build time", "v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.4.0"},
		{"no build info", "", nil, "devel"},
		{"go run", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"go install of a release", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0"},
		{"go install of a commit", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261128164110-468f5b8a1b2c"}}, "v0.0.0-20261128164110-468f5b8a1b2c"},
		{"clean checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261128164110-468f5b8a1b2c"}, Settings: vcs("false")}, "468f5b8a1b2c"},
		{"modified checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261128164110-468f5b8a1b2c+dirty"}, Settings: vcs("true")}, "468f5b8a1b2c-dirty"},
		{"checkout without a module version", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, "468f5b8a1b2c-dirty"},
		{"tagged checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}, Settings: vcs("false")}, "v1.3.0 (468f5b8a1b2c)"},
		{"tagged, then modified", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0+dirty"}, Settings: vcs("true")}, "468f5b8a1b2c-dirty"},
		{"pre-release after a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.1-0.20261128164110-468f5b8a1b2c"}, Settings: vcs("false")}, "468f5b8a1b2c"},
	}
	for _, tt := range tests {
		if got := versionFrom(tt.set, tt.info); got != tt.want {
			t.Errorf("%s: versionFrom(%q, …) = %q, want %q", tt.name, tt.set, got, tt.want)
		}
	}
}

// TestReadmeShowsRealOutput: the README's CLI examples are what the
// binary prints.
func TestReadmeShowsRealOutput(t *testing.T) {
	isolate(t)
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	r := tether(t, "", nil, "setup", "auth0", "--help")
	methods := r.stdout[strings.Index(r.stdout, "Methods (--method"):]
	if !strings.Contains(readme, "```\n"+methods+"```\n") {
		t.Errorf("README lacks the methods as setup auth0 --help prints them:\n%s", methods)
	}
	if r := tether(t, "", nil, "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d %s", r.code, r.stderr)
	}
	for _, args := range [][]string{
		{"--sandbox", "setup", "auth0", "--no-input"},
		{"--sandbox", "forget", "auth0/default"},
		{"setup", "auth0", "--no-input", "--name", "other"},
		{"setup"},
		{"stauts"},
	} {
		r := tether(t, "", nil, args...)
		if !strings.Contains(readme, "\n"+r.stderr) {
			t.Errorf("README lacks what tether %s prints:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
}
