package main

import (
	"slices"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers/registry"
)

// registeredIDs lists the registered providers in catalog order, as the
// messages that name them do.
func registeredIDs() string {
	cat, err := catalog.Default()
	if err != nil {
		panic(err)
	}
	var ids []string
	for _, id := range cat.IDs() {
		if slices.ContainsFunc(registry.Entries, func(e registry.Entry) bool { return e.ID == id }) {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, ", ")
}
