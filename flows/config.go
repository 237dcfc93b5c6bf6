package flows

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultConfigDir returns $TETHER_CONFIG_DIR, or tether's directory in the
// user's config dir ($XDG_CONFIG_HOME/tether on Linux).
func DefaultConfigDir() (string, error) {
	if d := os.Getenv("TETHER_CONFIG_DIR"); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w (set TETHER_CONFIG_DIR)", err)
	}
	return filepath.Join(base, "tether"), nil
}
