package main

import (
	"regexp"
	"runtime/debug"
	"strings"
)

// versionString is the version --version reports and the User-Agent
// carries: the one set at build time, else what the Go toolchain stamped
// into the binary (the module version, or the VCS revision).
func versionString() string {
	info, _ := debug.ReadBuildInfo()
	return versionFrom(version, info)
}

// pseudoVersion matches a Go pseudo-version (v0.0.0-20260101120000-abcdef123456),
// which names a commit, not a release.
var pseudoVersion = regexp.MustCompile(`-(0\.)?\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// versionFrom decides the version from a -X main.version value and the
// build info:
//
//   - set at build time: that;
//   - built from a tagged release (go install …@v1.2.0): v1.2.0, and its
//     revision when the toolchain recorded one;
//   - built from a checkout: the revision (12 hex digits), with -dirty
//     when the work tree had changes;
//   - a module version with no revision (go install …@latest of a
//     commit): the pseudo-version;
//   - none of these (go run): "devel".
func versionFrom(set string, info *debug.BuildInfo) string {
	if set != "" {
		return set
	}
	if info == nil {
		return "devel"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && modified == "true" {
		rev += "-dirty"
	}
	mod := info.Main.Version
	release := mod != "" && mod != "(devel)" && !pseudoVersion.MatchString(mod) && !strings.HasSuffix(mod, "+dirty")
	switch {
	case release && rev != "":
		return mod + " (" + rev + ")"
	case release:
		return mod
	case rev != "":
		return rev
	case mod != "" && mod != "(devel)":
		return mod
	}
	return "devel"
}
