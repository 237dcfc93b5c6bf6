// Package flows is tether's provider-agnostic credential machinery: the
// sign-in grants (client credentials with a secret or a private_key_jwt
// assertion), the progress events they emit, the secret type that never
// prints itself, the credential stores (OS keyring, age-encrypted file) and
// the non-secret connection metadata kept in the config directory.
//
// Nothing here knows a provider by name, and flows must not import Bubble
// Tea, lipgloss, huh or any other tether package except catalog.
package flows
