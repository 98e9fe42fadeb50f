package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agriclinic/agriclinic/web"
)

func TestNewCacheDirIsPrivateAndRemovedAfter(t *testing.T) {
	t.Parallel()
	dir, remove, err := web.NewCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir %s: %v, %v; want a directory with mode 0700", dir, st, err)
	}
	other, removeOther, err := web.NewCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	removeOther()
	if other == dir {
		t.Errorf("two processes would share the cache directory %s", dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "photo"), pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	remove()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after remove, %s: %v; want it gone", dir, err)
	}
}
