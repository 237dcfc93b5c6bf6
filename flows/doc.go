// Package flows is tether's provider-agnostic credential machinery: the
// sign-in grants, one verb of Client each, built on golang.org/x/oauth2
// (OIDC/RFC 8414 discovery, the device flow, browser consent with PKCE on
// a loopback redirect or a pasted one, Microsoft admin consent, client
// credentials with a secret or a private_key_jwt assertion, with or
// without a certificate thumbprint, the JWT bearer grant, and refresh),
// DPoP-bound tokens and the proofs that present them, the redaction of
// secrets from whatever a server sends back, the browser opener, key
// generation for private_key_jwt, the progress events the sign-ins emit,
// the secret type that never prints itself, the credential stores (OS
// keyring, age-encrypted file), and the atomic writes and file locks that
// the stores and the connection records (kept by providers) are written
// with.
//
// Nothing here knows a provider by name (Microsoft admin consent aside,
// which is a protocol of its own), and flows must not import Bubble Tea,
// lipgloss, huh or any other tether package except catalog and assets.
// Sign-ins take their HTTP client, clock and browser from the caller, so
// tests run them against flows/oauthtest without sleeping.
package flows
