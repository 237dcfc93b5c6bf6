package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"

	"github.com/tetherdev/tether/catalog"
)

// SetGranted is a demo tenant's console action on its emulator's
// bookkeeping: it ticks (on) or unticks the permission's identifiers in
// granted, and lifts this run's withholding of them either way, since
// the admin has now decided. It returns the new granted and withheld.
func SetGranted(granted, withheld []string, p catalog.Permission, on bool) ([]string, []string) {
	for _, id := range p.Identifiers() {
		withheld = slices.DeleteFunc(withheld, func(s string) bool { return s == id })
		granted = slices.DeleteFunc(granted, func(s string) bool { return s == id })
		if on {
			granted = append(granted, id)
		}
	}
	return granted, withheld
}

// Effective is what a demo tenant grants in this run: its console's
// grant less what the run withholds.
func Effective(granted, withheld []string) []string {
	return slices.DeleteFunc(slices.Clone(granted), func(s string) bool { return slices.Contains(withheld, s) })
}

// DecodeState decodes an emulator's saved state into v strictly: one
// JSON value, no field v does not have, nothing after it. The caller
// names what it expected in the error.
func DecodeState(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON")
	}
	return nil
}
