package oauthtest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	ms50 := Fault{Kind: FaultLatency, Latency: 50 * time.Millisecond}
	tests := []struct {
		name    string
		in      []string
		want    map[string][]Fault
		wantErr string
	}{
		{"the flag's example", []string{"auth0:latency=50ms,auth0:429"}, map[string][]Fault{"auth0": {ms50, {Kind: FaultTooMany}}}, ""},
		{"every kind", []string{"a:500", "b:503", "c:reset", "d:truncate", "e:nonjson", "f:oversize", "g:trickle", "h:tls"},
			map[string][]Fault{"a": {{Kind: FaultInternal}}, "b": {{Kind: FaultUnavailable}}, "c": {{Kind: FaultReset}},
				"d": {{Kind: FaultTruncate}}, "e": {{Kind: FaultNonJSON}}, "f": {{Kind: FaultOversize}},
				"g": {{Kind: FaultTrickle}}, "h": {{Kind: FaultTLS}}}, ""},
		{"repeated flag, spaces, case", []string{" Auth0:Latency=50ms ", "okta:RESET,"}, map[string][]Fault{"auth0": {ms50}, "okta": {{Kind: FaultReset}}}, ""},
		{"split at the first colon", []string{"okta:latency=1m0s"}, map[string][]Fault{"okta": {{Kind: FaultLatency, Latency: time.Minute}}}, ""},
		{"nothing", []string{"", ","}, map[string][]Fault{}, ""},
		{"no colon", []string{"auth0"}, nil, "want PROVIDER:FAULT"},
		{"no fault", []string{"auth0:"}, nil, "want PROVIDER:FAULT"},
		{"no provider", []string{":429"}, nil, "want PROVIDER:FAULT"},
		{"bad provider", []string{"au th0:429"}, nil, "is not a provider name"},
		{"unknown kind", []string{"auth0:404"}, nil, `unknown fault "404": use one of latency=DURATION, 429, 500`},
		{"latency without duration", []string{"auth0:latency"}, nil, "latency needs a duration"},
		{"bad duration", []string{"auth0:latency=fast"}, nil, `"fast" is not a duration`},
		{"zero latency", []string{"auth0:latency=0s"}, nil, "more than 0"},
		{"huge latency", []string{"auth0:latency=1h"}, nil, "at most 10m0s"},
		{"value on a plain kind", []string{"auth0:429=3"}, nil, "takes no value"},
		{"two answers", []string{"auth0:429,auth0:reset"}, nil, "auth0 has both 429 and reset"},
		{"twice", []string{"auth0:latency=1s", "auth0:latency=2s"}, nil, "latency fault twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFaults(tt.in...)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBadFault) || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "--sandbox-fault ") {
					t.Errorf("ParseFaults(%q) = %v, want an ErrBadFault containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseFaults(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFaultErrorNamesTheEntry(t *testing.T) {
	_, err := ParseFaults("auth0:429,okta:latency=soon")
	var fe *FaultError
	if !errors.As(err, &fe) || fe.Entry != "okta:latency=soon" {
		t.Errorf("ParseFaults error = %#v, want the entry okta:latency=soon", err)
	}
}

// FuzzParseFaults: whatever parses prints back to itself, and is a list
// that Faults.Set accepts.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"auth0:latency=50ms,auth0:429", "okta:tls", "a:latency=1h", "x:trickle,x:latency=2s", ":", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFaults(s)
		if err != nil {
			if !errors.Is(err, ErrBadFault) {
				t.Fatalf("ParseFaults(%q) = %v, not an ErrBadFault", s, err)
			}
			return
		}
		for prov, list := range got {
			var parts []string
			for _, x := range list {
				parts = append(parts, prov+":"+x.String())
			}
			again, err := ParseFaults(strings.Join(parts, ","))
			if err != nil || !reflect.DeepEqual(again[prov], list) {
				t.Fatalf("ParseFaults(%q)[%s] = %v prints as %q, which parses to %v, %v", s, prov, list, parts, again[prov], err)
			}
			if err := (&Faults{}).Set(list...); err != nil {
				t.Fatalf("Set(%v) = %v for a list ParseFaults accepted", list, err)
			}
		}
	})
}
