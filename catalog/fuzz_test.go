package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse: a document Parse accepts is a valid catalog whose every
// capability's permissions resolve, and it is its own normal form: marshal
// it (as YAML, or as the JSON `tether catalog --format json` prints) and
// it parses back to the same catalog.
func FuzzParse(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(`version: 1
providers:
  - id: x
    name: X
    grant: oauth
    permissions:
      - name: read
    capabilities:
      - id: collect
        name: Collect
        tier: collect
        permissions: [read]
`))
	f.Add([]byte("version: 2\nproviders: []\n"))
	f.Add([]byte("version: 1\nproviders:\n  - id: x\n    unknown: field\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "catalog: ") {
				t.Fatalf("Parse error %q does not say it is the catalog's", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a catalog that does not validate: %v", err)
		}
		for _, p := range c.Providers {
			for _, cp := range p.Capabilities {
				for _, name := range cp.Permissions {
					if _, ok := p.Permission(name); !ok {
						t.Fatalf("%s capability %s names an unknown permission %q", p.ID, cp.ID, name)
					}
				}
			}
		}
		y, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted catalog does not marshal: %v", err)
		}
		j, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted catalog does not marshal to JSON: %v", err)
		}
		for name, doc := range map[string][]byte{"yaml": y, "json": j} {
			c2, err := Parse(doc)
			if err != nil {
				t.Fatalf("the catalog marshalled as %s does not parse: %v\n%s", name, err, doc)
			}
			y2, _ := yaml.Marshal(c2)
			if !bytes.Equal(y, y2) {
				t.Fatalf("the catalog changes through %s:\n%s\n---\n%s", name, y, y2)
			}
		}
	})
}
