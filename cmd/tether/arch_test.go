package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type goPackage struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
}

// packages lists the module's packages with `go list`.
func packages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []goPackage
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

const module = "github.com/tetherdev/tether"

// TestDependenciesPointOneWay enforces ARCHITECTURE.md's rule: cmd → ui →
// providers → flows → catalog, and no terminal UI below ui.
func TestDependenciesPointOneWay(t *testing.T) {
	layer := func(path string) int {
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		switch {
		case strings.HasPrefix(rel, "cmd"):
			return 4
		case strings.HasPrefix(rel, "ui"):
			return 3
		case strings.HasPrefix(rel, "providers"):
			return 2
		case strings.HasPrefix(rel, "flows"):
			return 1
		case strings.HasPrefix(rel, "catalog"):
			return 0
		}
		return -1
	}
	tui := []string{"charm.land/bubbletea", "charm.land/lipgloss", "charm.land/huh", "charm.land/bubbles", "charm.land/wish"}
	for _, p := range packages(t) {
		from := layer(p.ImportPath)
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) && layer(imp) > from {
				t.Errorf("%s imports %s, against the direction cmd → ui → providers → flows → catalog", p.ImportPath, imp)
			}
			if from <= 2 {
				for _, ui := range tui {
					if strings.HasPrefix(imp, ui) {
						t.Errorf("%s imports %s; only ui may render", p.ImportPath, imp)
					}
				}
			}
			if from == 3 && imp == "net/http" && !strings.Contains(p.ImportPath, "/ui/sshd") {
				t.Errorf("%s imports net/http; ui never makes an HTTP request", p.ImportPath)
			}
		}
	}
}

// TestEveryPackageHasADocComment: each package says what it owns.
func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range packages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
