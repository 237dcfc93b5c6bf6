package flows

import "fmt"

// The types that hold a key or a secret print without it, with every fmt
// verb, so that logging one by accident (a %+v in an error, a debug line)
// shows what it is and nothing that signs or authenticates.

// Format prints the client's id and token endpoint, never its secret,
// assertion key or DPoP key.
func (c Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "flows.Client{ClientID:%q TokenURL:%q secrets:%s}", c.ClientID, c.Endpoints.TokenURL, redacted)
}

// Format prints the assertion's parameters, never its key.
func (a Assertion) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "flows.Assertion{Algorithm:%q KeyID:%q Audience:%q Key:%s}", a.Algorithm, a.KeyID, a.Audience, redacted)
}

// Format prints the assertion's parameters, never its key.
func (a BearerAssertion) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "flows.BearerAssertion{Issuer:%q Subject:%q Audience:%q KeyID:%q Key:%s}", a.Issuer, a.Subject, a.Audience, a.KeyID, redacted)
}

// Format prints the key's thumbprint, never the key.
func (d *DPoP) Format(f fmt.State, _ rune) {
	if d == nil {
		fmt.Fprint(f, "flows.DPoP(nil)")
		return
	}
	fmt.Fprintf(f, "flows.DPoP{jkt:%s alg:%s key:%s}", d.jkt, d.alg, redacted)
}
