// Command tether connects an identity-security platform to the identity
// providers it watches: it walks an admin through each provider's setup,
// runs the real sign-in, stores the credential in the OS keyring and
// verifies every required permission with evidence.
//
// This package is wiring only: flags, the factory and exit codes.
package main

import (
	"context"
	"os"

	"github.com/tetherdev/tether/ui/plain"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	os.Exit(run(context.Background(), os.Args[1:], plain.System()))
}
