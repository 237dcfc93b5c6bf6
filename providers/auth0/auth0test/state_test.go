package auth0test

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestStateRoundTrip: a grant fixed in one process is there in the next,
// which starts from the same demo tenant and restores the state.
func TestStateRoundTrip(t *testing.T) {
	aud := "https://" + DemoDomain + "/api/v2/"
	first := New(Options{Tenants: []Tenant{Demo([]string{"read:users"})}})
	if err := first.SetGrant(DemoDomain, DemoClientID, aud, []string{"read:users", "read:logs"}); err != nil {
		t.Fatal(err)
	}
	if err := first.SetGrant(DemoDomain, DemoClientID, "https://api.example.com/", []string{}); err != nil {
		t.Fatal(err)
	}
	data, err := first.State()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), DemoClientSecret) {
		t.Fatal("the state holds the client secret")
	}
	next := New(Options{Tenants: []Tenant{Demo([]string{"read:users"})}})
	if err := next.Restore(data); err != nil {
		t.Fatalf("Restore(State()) = %v\n%s", err, data)
	}
	if got, ok := next.Grant(DemoDomain, DemoClientID, aud); !ok || !slices.Equal(got, []string{"read:users", "read:logs"}) {
		t.Errorf("restored grant = %q, %v", got, ok)
	}
	if got, ok := next.Grant(DemoDomain, DemoClientID, "https://api.example.com/"); !ok || len(got) != 0 {
		t.Errorf("restored empty grant = %q, %v; want a grant with no scopes", got, ok)
	}
	again, _ := next.State()
	if string(again) != string(data) {
		t.Errorf("State after Restore differs:\n%s\nwant\n%s", again, data)
	}
	// The restored grant is the one tokens get.
	r := do(t, next, tokenReq(DemoDomain, creds()))
	if r.status != 200 || r.body["scope"] != "read:users read:logs" {
		t.Errorf("token after Restore: %d %s", r.status, r.raw)
	}
}

func TestRestoreRefusesBadState(t *testing.T) {
	const head = `{"version":1,"tenants":[{"domain":"tether-demo.us.auth0.com","clients":[{"client_id":"TthrDemoM2MClient0000000000000001","grants":`
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", "nope", "invalid character"},
		{"empty", "", "EOF"},
		{"another version", `{"version":2,"tenants":[]}`, "version 2, want 1"},
		{"an unknown field", `{"version":1,"tenants":[],"secret":"x"}`, "unknown field"},
		{"data after it", `{"version":1,"tenants":[]} {}`, "data after the state"},
		{"an unknown tenant", `{"version":1,"tenants":[{"domain":"other.auth0.com","clients":[]}]}`, `tenant "other.auth0.com" is unknown`},
		{"an unknown client", `{"version":1,"tenants":[{"domain":"tether-demo.us.auth0.com","clients":[{"client_id":"x","grants":{}}]}]}`, `client "x" is unknown`},
		{"a tenant twice", `{"version":1,"tenants":[{"domain":"tether-demo.us.auth0.com","clients":[]},{"domain":"tether-demo.us.auth0.com","clients":[]}]}`, "listed twice"},
		{"no grants", head + `null}]}]}`, `"grants" must be an object`},
		{"null scopes", head + `{"https://tether-demo.us.auth0.com/api/v2/":null}}]}]}`, "must be a list"},
		{"an http audience", head + `{"http://api.example.com/":[]}}]}]}`, "is not an API identifier"},
		{"a scope with a space", head + `{"https://api.example.com/":["read users"]}}]}]}`, `"read users" is not a scope`},
		{"an empty scope", head + `{"https://api.example.com/":[""]}}]}]}`, `"" is not a scope`},
		{"a scope twice", head + `{"https://api.example.com/":["a","a"]}}]}]}`, "listed twice"},
		{"too big", `{"version":1,"tenants":[],"x":"` + strings.Repeat("a", 1<<20) + `"}`, "more than"},
	}
	aud := "https://" + DemoDomain + "/api/v2/"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Tenants: []Tenant{Demo([]string{"read:users"})}})
			err := s.Restore([]byte(tt.data))
			if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Restore(%.60q) = %v, want ErrBadState with %q", tt.data, err, tt.want)
			}
			if got, _ := s.Grant(DemoDomain, DemoClientID, aud); !slices.Equal(got, []string{"read:users"}) {
				t.Errorf("a refused Restore changed the grant to %q", got)
			}
		})
	}
}

// TestRestoreIsAllOrNothing: a state whose second client is bad changes
// not even the first.
func TestRestoreIsAllOrNothing(t *testing.T) {
	tn := Demo([]string{"read:users"})
	tn.Clients = append(tn.Clients, Client{ID: "second", Secret: "s"})
	s := New(Options{Tenants: []Tenant{tn}})
	data := `{"version":1,"tenants":[{"domain":"` + DemoDomain + `","clients":[` +
		`{"client_id":"` + DemoClientID + `","grants":{}},{"client_id":"second","grants":{"ftp://x/":[]}}]}]}`
	if err := s.Restore([]byte(data)); !errors.Is(err, ErrBadState) {
		t.Fatalf("Restore = %v", err)
	}
	if _, ok := s.Grant(DemoDomain, DemoClientID, "https://"+DemoDomain+"/api/v2/"); !ok {
		t.Error("the first client lost its grant to a Restore that failed on the second")
	}
}

// FuzzRestore: Restore never panics, and whatever it accepts, State
// writes back so that Restore accepts it again unchanged.
func FuzzRestore(f *testing.F) {
	s := New(Options{Tenants: []Tenant{Demo(all)}})
	good, _ := s.State()
	f.Add(good)
	f.Add([]byte(`{"version":1,"tenants":[]}`))
	f.Add([]byte(`{"version":1,"tenants":[{"domain":"tether-demo.us.auth0.com","clients":[{"client_id":"TthrDemoM2MClient0000000000000001","grants":{"https://a/":["x"]}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New(Options{Tenants: []Tenant{Demo(all)}})
		if err := s.Restore(data); err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("Restore = %v, not ErrBadState", err)
			}
			return
		}
		out, err := s.State()
		if err != nil {
			t.Fatal(err)
		}
		again := New(Options{Tenants: []Tenant{Demo(all)}})
		if err := again.Restore(out); err != nil {
			t.Fatalf("Restore(State()) after an accepted state = %v\n%s", err, out)
		}
		if out2, _ := again.State(); string(out2) != string(out) {
			t.Fatalf("the state changed on a round trip:\n%s\n%s", out, out2)
		}
	})
}
