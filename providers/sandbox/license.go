package sandbox

import (
	"fmt"
	"slices"
	"strings"
)

// License starts the --sandbox-deny word (PROVIDER:license:NAME) that
// makes a demo tenant lack a licence, for an emulator that knows
// licences (Licensed): `--sandbox-deny entra:license:p1` is a tenant
// without Entra ID P1 or P2.
const License = "license:"

// Licensed is implemented by an emulator whose demo tenant can lack
// licences: Licenses lists the NAMEs --sandbox-deny PROVIDER:license:NAME
// accepts, and the emulator reads the ones asked from Config.Unlicensed.
type Licensed interface {
	Licenses() []string
}

// Unlicensed returns the licences the demo tenant lacks in this run
// (--sandbox-deny PROVIDER:license:NAME), by NAME.
func (c Config) Unlicensed() []string {
	var out []string
	for _, d := range c.Withheld {
		if name, ok := strings.CutPrefix(d, License); ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// checkLicenses refuses a licence that em cannot withhold.
func checkLicenses(provider string, em Emulator, cfg Config) error {
	asked := cfg.Unlicensed()
	if len(asked) == 0 {
		return nil
	}
	l, ok := em.(Licensed)
	if !ok {
		return fmt.Errorf("--sandbox-deny %s:%s%s: the %s demo tenant has no licences to withhold", provider, License, asked[0], provider)
	}
	for _, name := range asked {
		if !slices.Contains(l.Licenses(), name) {
			return fmt.Errorf("--sandbox-deny %s:%s%s: no such licence (valid: %s)", provider, License, name, strings.Join(l.Licenses(), ", "))
		}
	}
	return nil
}
