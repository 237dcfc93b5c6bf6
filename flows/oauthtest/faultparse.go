package oauthtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FaultKind names a fault as --sandbox-fault spells it.
type FaultKind string

// The faults an emulator can inject into every response, by their
// --sandbox-fault names.
const (
	// FaultLatency adds Fault.Latency before each response.
	FaultLatency FaultKind = "latency"
	// FaultTooMany answers 429 with Retry-After: 1 (RFC 6585 §4).
	FaultTooMany FaultKind = "429"
	// FaultInternal answers 500.
	FaultInternal FaultKind = "500"
	// FaultUnavailable answers 503.
	FaultUnavailable FaultKind = "503"
	// FaultReset resets the connection: a TCP RST, no response.
	FaultReset FaultKind = "reset"
	// FaultTruncate answers 200 with the real body cut in half under a
	// Content-Length that promises all of it.
	FaultTruncate FaultKind = "truncate"
	// FaultNonJSON answers 200 with an HTML error page, as a captive
	// portal or a misconfigured proxy does.
	FaultNonJSON FaultKind = "nonjson"
	// FaultOversize answers 200 with a JSON body of OversizeBytes,
	// streamed without a Content-Length.
	FaultOversize FaultKind = "oversize"
	// FaultTrickle sends the real response's body one byte every
	// TrickleInterval.
	FaultTrickle FaultKind = "trickle"
	// FaultTLS fails TLS handshakes (see Faults.TLSConfig).
	FaultTLS FaultKind = "tls"
)

// faultKinds are the kinds in the order help texts list them.
var faultKinds = []FaultKind{FaultLatency, FaultTooMany, FaultInternal, FaultUnavailable, FaultReset,
	FaultTruncate, FaultNonJSON, FaultOversize, FaultTrickle, FaultTLS}

// MaxLatency is the longest latency fault accepted.
const MaxLatency = 10 * time.Minute

// Fault is one fault: a kind and, for FaultLatency, its delay.
type Fault struct {
	Kind    FaultKind
	Latency time.Duration
}

// String is the fault as --sandbox-fault spells it after the provider:
// "latency=50ms", "429".
func (f Fault) String() string {
	if f.Kind == FaultLatency {
		return string(f.Kind) + "=" + f.Latency.String()
	}
	return string(f.Kind)
}

// ErrBadFault means a fault list does not parse or does not make sense;
// the *FaultError that wraps it says why.
var ErrBadFault = errors.New("invalid fault")

// FaultError is a --sandbox-fault value that does not parse or does not
// make sense: Entry is the offending part, Reason what is wrong with it
// and what a good one looks like.
type FaultError struct {
	Entry  string
	Reason string
}

func (e *FaultError) Error() string { return fmt.Sprintf("--sandbox-fault %q: %s", e.Entry, e.Reason) }

// Unwrap makes errors.Is(err, ErrBadFault) hold.
func (e *FaultError) Unwrap() error { return ErrBadFault }

func kindList() string {
	names := make([]string, len(faultKinds))
	for i, k := range faultKinds {
		names[i] = string(k)
	}
	names[0] = "latency=DURATION"
	return strings.Join(names, ", ")
}

// ParseFault parses one fault as it follows PROVIDER: in --sandbox-fault:
// "latency=50ms" or a kind without a value, like "429" or "reset".
func ParseFault(s string) (Fault, error) {
	name, value, hasValue := strings.Cut(strings.TrimSpace(s), "=")
	kind := FaultKind(strings.ToLower(name))
	switch {
	case !slices.Contains(faultKinds, kind):
		return Fault{}, &FaultError{s, fmt.Sprintf("unknown fault %q: use one of %s", name, kindList())}
	case kind != FaultLatency && hasValue:
		return Fault{}, &FaultError{s, fmt.Sprintf("the %s fault takes no value: write it alone, like auth0:%s", kind, kind)}
	case kind != FaultLatency:
		return Fault{Kind: kind}, nil
	case !hasValue:
		return Fault{}, &FaultError{s, "latency needs a duration, like latency=50ms"}
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		return Fault{}, &FaultError{s, fmt.Sprintf("%q is not a duration: use one like 50ms or 2s", value)}
	}
	if d <= 0 || d > MaxLatency {
		return Fault{}, &FaultError{s, fmt.Sprintf("latency must be more than 0 and at most %s", MaxLatency)}
	}
	return Fault{Kind: FaultLatency, Latency: d}, nil
}

// ParseFaults parses --sandbox-fault values: PROVIDER:FAULT entries,
// comma-separated or in several values (a repeated flag), split at the
// first colon, like "auth0:latency=50ms,auth0:429". It returns each
// provider's faults in the order given. The provider is a lower-case
// name; whether it exists is the caller's to check. Each provider may
// have a latency and at most one other fault (two answers to the same
// request cannot both be given), and no fault twice.
func ParseFaults(values ...string) (map[string][]Fault, error) {
	out := map[string][]Fault{}
	for _, v := range values {
		for _, entry := range strings.Split(v, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			prov, spec, ok := strings.Cut(entry, ":")
			prov = strings.ToLower(strings.TrimSpace(prov))
			if !ok || spec == "" || prov == "" {
				return nil, &FaultError{entry, "want PROVIDER:FAULT, like auth0:latency=50ms or auth0:429"}
			}
			if !validProviderName(prov) {
				return nil, &FaultError{entry, fmt.Sprintf("%q is not a provider name: use its id, like auth0 or okta", prov)}
			}
			f, err := ParseFault(spec)
			if err != nil {
				var fe *FaultError
				if errors.As(err, &fe) {
					fe.Entry = entry
				}
				return nil, err
			}
			out[prov] = append(out[prov], f)
			if err := checkFaults(out[prov]); err != nil {
				return nil, &FaultError{entry, prov + " " + err.Error()}
			}
		}
	}
	return out, nil
}

func validProviderName(s string) bool {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return s != ""
}

// checkFaults reports why a list of faults cannot apply together: a
// kind twice, or two kinds that each decide the answer.
func checkFaults(list []Fault) error {
	var answer FaultKind
	seen := map[FaultKind]bool{}
	for _, f := range list {
		if seen[f.Kind] {
			return fmt.Errorf("has the %s fault twice: give it once", f.Kind)
		}
		seen[f.Kind] = true
		if f.Kind == FaultLatency {
			if f.Latency <= 0 || f.Latency > MaxLatency {
				return fmt.Errorf("has latency %s: it must be more than 0 and at most %s", f.Latency, MaxLatency)
			}
			continue
		}
		if !slices.Contains(faultKinds, f.Kind) {
			return fmt.Errorf("has the unknown fault %q: use one of %s", f.Kind, kindList())
		}
		if answer != "" {
			return fmt.Errorf("has both %s and %s: each decides the answer, so give one (latency combines with either)", answer, f.Kind)
		}
		answer = f.Kind
	}
	return nil
}
