package flows

import (
	"errors"
	"fmt"
	"strings"
)

// pemProblem says why data, which pem.Decode refused, is not the PEM block
// wanted (what names it: "the private key"; begin is its usual BEGIN
// line): there is no BEGIN line at all, a BEGIN line with no END line to
// match, or a body between them that is not base64. It never quotes data:
// the block may be a secret.
func pemProblem(data, what, begin string) error {
	i := strings.Index(data, "-----BEGIN ")
	if i < 0 {
		return fmt.Errorf("%s is not PEM: expect a block starting with %s", what, begin)
	}
	label, _, ok := strings.Cut(data[i+len("-----BEGIN "):], "-----")
	if !ok || strings.Contains(label, "\n") {
		return fmt.Errorf("%s has a broken BEGIN line: expect a block starting with %s", what, begin)
	}
	end := "-----END " + label + "-----"
	if !strings.Contains(data[i:], end) {
		return fmt.Errorf("%s has no %s line: paste the whole block, down to its END line", what, end)
	}
	return errors.New(what + " has a damaged body: the lines between -----BEGIN " + label + "----- and " + end +
		" are not valid base64; copy the key again, whole and unchanged")
}
