package auth0

import "testing"

// TestShortSecretCountsInWords: the length of a truncated secret is said
// in correct English, whatever it is.
func TestShortSecretCountsInWords(t *testing.T) {
	tests := []struct {
		secret, want string
	}{
		{"x", "the client secret is 1 character long, which looks truncated: Auth0 secrets are 64 characters"},
		{"xy", "the client secret is 2 characters long, which looks truncated: Auth0 secrets are 64 characters"},
		{"0123456789012345678", "the client secret is 19 characters long, which looks truncated: Auth0 secrets are 64 characters"},
	}
	for _, tt := range tests {
		err := validClientSecret(tt.secret)
		if err == nil || err.Error() != tt.want {
			t.Errorf("validClientSecret(%d characters) = %v, want %q", len(tt.secret), err, tt.want)
		}
	}
}
