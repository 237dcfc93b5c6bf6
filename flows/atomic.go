package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// WriteFileAtomic writes data to path so that readers see either the old
// file or the new one, never a mix: it writes a temporary file with mode
// perm in the same directory, syncs it and renames it over path. The
// directory is created with mode 0700 if needed, and the temporary files
// that writers killed mid-write left in it are removed first
// (RemoveStaleTemps).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	RemoveStaleTemps(dir)
	f, err := createTemp(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := writeSynced(f, path, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	syncDir(dir) // make the rename durable
	return nil
}

// tempMark sits between a file's name and its writer's process id in the
// name of WriteFileAtomic's temporary file: .NAME.tmp-PID-RANDOM.
const tempMark = ".tmp-"

// createTemp creates the temporary file a writer of path writes before
// putting it in place, beside path: .NAME.tmp-PID-RANDOM. The writer's
// process id in the name tells RemoveStaleTemps, in this process or
// another, that the file's writer is still at work.
func createTemp(path string) (*os.File, error) {
	return os.CreateTemp(filepath.Dir(path), fmt.Sprintf(".%s%s%d-*", filepath.Base(path), tempMark, os.Getpid()))
}

// StaleTempAge is the age after which a temporary file is stale even if
// a process with its writer's id runs (the id may have been reused).
const StaleTempAge = time.Minute

// RemoveStaleTemps removes from dir the temporary files of WriteFileAtomic
// whose writer is gone: its process no longer runs, or the file is older
// than StaleTempAge. A kill -9 mid-write leaves one; a live writer's,
// this process's included, is left alone.
func RemoveStaleTemps(dir string) {
	removeStale(dir, func(name string) (string, bool) {
		i := strings.LastIndex(name, tempMark)
		if !strings.HasPrefix(name, ".") || i < 0 {
			return "", false
		}
		return name[i+len(tempMark):], true
	})
}

// removeStale removes the regular files of dir that are stale: those for
// which owner returns the rest of the name after the marker, "PID-…",
// and whose process PID no longer runs, or that are older than
// StaleTempAge.
func removeStale(dir string, owner func(name string) (rest string, ok bool)) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := owner(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		gone := err == nil && pid > 0 && pid != os.Getpid() && !processRuns(pid)
		if info, err := e.Info(); gone || (err == nil && time.Since(info.ModTime()) > StaleTempAge) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// writeSynced writes data to f, syncs it to disk and closes it; errors
// name path, the file the caller is writing.
func writeSynced(f *os.File, path string, data []byte) error {
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
