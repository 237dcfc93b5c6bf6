package providers

import (
	"slices"
	"strings"

	"github.com/tetherdev/tether/catalog"
)

// Status is the outcome of one check.
type Status string

// The statuses a check can have.
const (
	// Granted: proven by the evidence shown.
	Granted Status = "granted"
	// Missing: needed and not granted; a fix follows.
	Missing Status = "missing"
	// Excess: granted but not needed by the enabled capabilities.
	Excess Status = "excess"
	// Unknown: cannot be proven without side effects; the evidence says why.
	Unknown Status = "unknown"
	// Error: no verdict (network, authentication, rate limit).
	Error Status = "error"
)

// Statuses lists every status in display order.
var Statuses = []Status{Granted, Missing, Excess, Unknown, Error}

// Check is the verdict on one permission (or one part of it).
type Check struct {
	Capability string `json:"capability"`
	Permission string `json:"permission"`
	// Part names the area checked, for a permission verified area by area.
	Part   string `json:"part,omitempty"`
	Status Status `json:"status"`
	// Evidence is the claim or probe and its answer.
	Evidence string `json:"evidence"`
	// Fix says how to repair a check that is not granted.
	Fix string `json:"fix"`
	// FixURL is the console page where the fix is made, when one exists.
	FixURL string `json:"fix_url,omitempty"`
	// License names the licence or feature the tenant lacks for a
	// permission to be usable ("Microsoft Entra ID P1 or P2"), found by a
	// deep verification; the status still says whether it is granted.
	License string `json:"license,omitempty"`
	// LicenseURL is where that licence is explained.
	LicenseURL string `json:"license_url,omitempty"`
}

// Label names the check's subject: the permission and, if any, its part.
func (c Check) Label() string {
	if c.Part != "" {
		return c.Permission + " · " + c.Part
	}
	return c.Permission
}

// Observation is what a fetch learned about one identifier (a scope, a
// grant, an area) of a permission.
type Observation struct {
	Identifier string
	Status     Status // Granted, Missing, Unknown or Error
	Evidence   string
	// Advice says what to do about an Error observation: the error's
	// remedy, never the console fix of a missing grant.
	Advice string
	// License and LicenseURL name a licence the tenant lacks for the
	// identifier to be usable (see Check.License).
	License, LicenseURL string
}

// Evaluate folds the observations of a need's identifiers into its check.
// The result is Missing if any identifier is missing, else Error if any
// could not be decided, else Unknown if any cannot be proven, else
// Granted; an identifier with no observation at all is an Error. fix and
// fixURL (the console fix) are kept for a Missing or Unknown result; an
// Error result gets the advice of its failed observation instead, since
// nothing showed that the grant is missing.
func Evaluate(need catalog.Need, obs []Observation, fix, fixURL string) Check {
	c := Check{Capability: need.Capability, Permission: need.Permission.Name, Status: Granted}
	var evidence []string
	advice := ""
	rank := map[Status]int{Granted: 0, Unknown: 1, Error: 2, Missing: 3}
	for _, id := range need.Permission.Identifiers() {
		i := slices.IndexFunc(obs, func(o Observation) bool { return o.Identifier == id })
		o := Observation{Identifier: id, Status: Error, Evidence: "not checked",
			Advice: "no probe decides " + id + "; this is a defect of tether, please report it"}
		if i >= 0 {
			o = obs[i]
		}
		if rank[o.Status] > rank[c.Status] {
			c.Status = o.Status
		}
		if o.Status == Error && advice == "" {
			advice = o.Advice
		}
		if o.License != "" && c.License == "" {
			c.License, c.LicenseURL = o.License, o.LicenseURL
		}
		if o.Evidence != "" {
			evidence = append(evidence, o.Evidence)
		}
	}
	c.Evidence = strings.Join(evidence, "; ")
	switch c.Status {
	case Missing, Unknown:
		c.Fix, c.FixURL = fix, fixURL
	case Error:
		c.Fix = advice
		if c.Fix == "" {
			c.Fix = "no verdict could be reached; verify again"
		}
	}
	return c
}

// ExcessGrant is a granted identifier that the enabled capabilities do not
// need.
type ExcessGrant struct {
	Identifier string
	// Permission and Capability name the catalog entry that would need it,
	// when there is one (a remediation capability not enabled).
	Permission string
	Capability string
}

// ExcessGrants returns the granted identifiers that the enabled capabilities do
// not need, in the order granted, each once.
func ExcessGrants(p catalog.Provider, enabled []string, granted []string) []ExcessGrant {
	needed := p.Scopes(enabled)
	var out []ExcessGrant
	seen := map[string]bool{}
	for _, g := range granted {
		if g == "" || seen[g] || slices.Contains(needed, g) {
			continue
		}
		seen[g] = true
		e := ExcessGrant{Identifier: g}
		if perm, capa, ok := p.Owner(g); ok {
			e.Permission, e.Capability = perm.Name, capa
		}
		out = append(out, e)
	}
	return out
}

// Summary counts checks by status and states the verdict.
type Summary struct {
	Counts map[Status]int `json:"counts"`
	// Missing names the missing permissions.
	Missing []string `json:"missing,omitempty"`
}

// Summarize counts checks.
func Summarize(checks []Check) Summary {
	s := Summary{Counts: map[Status]int{}}
	for _, c := range checks {
		s.Counts[c.Status]++
		if c.Status == Missing && !slices.Contains(s.Missing, c.Label()) {
			s.Missing = append(s.Missing, c.Label())
		}
	}
	return s
}

// Verdict is the outcome of a whole verification.
type Verdict string

// The verdicts, from best to worst for the exit code.
const (
	// VerdictOK: every needed permission is granted (or cannot be proven
	// without side effects, which the checks say).
	VerdictOK Verdict = "ok"
	// VerdictMissing: something needed is missing.
	VerdictMissing Verdict = "missing"
	// VerdictNone: no verdict could be reached for something needed.
	VerdictNone Verdict = "no-verdict"
)

// Verdict returns the verdict of a summary: missing wins over no-verdict,
// since it is a finding the admin can act on. Excess and unknown checks
// are reported but do not fail a verification.
func (s Summary) Verdict() Verdict {
	switch {
	case s.Counts[Missing] > 0:
		return VerdictMissing
	case s.Counts[Error] > 0:
		return VerdictNone
	}
	return VerdictOK
}
