//go:build unix

package web

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe reports whether this process's user owns a file: the owner of a directory
// may write to it whatever its mode says.
func ownedByMe(st fs.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Getuid()
}
