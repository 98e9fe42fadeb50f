//go:build nodemo

package main

import (
	"context"
	"errors"
	"io"
)

// A build with -tags nodemo (the Docker image's) leaves the demo out: it is the only part
// of the binary that links the fake Telegram (bot/telegramtest) and the embedded Redis
// (miniredis), which the bot that serve runs has no use for. deps_test.go checks that
// such a build imports neither, nor the testing package.

// demoHelp is the demo's entry in --help.
const demoHelp = `  demo      not in this build (built with -tags nodemo): go run ./cmd/agriclinic demo
`

// errNoDemo is what `agriclinic demo` says in a build without it.
var errNoDemo = errors.New("demo: not in this build (built with -tags nodemo, as the Docker image is); " +
	"run it from the source: go run ./cmd/agriclinic demo")

func demo(context.Context, func(string) string, io.Writer, io.Writer) error {
	return errNoDemo
}
