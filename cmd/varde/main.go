// Command varde is Varde's one binary: the collector and dashboard server,
// and the operator's tools. Subcommands parse flags and wire packages; the
// work is done in collector, consent, aggregator and dashboard.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], ioEnv{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
	}))
}

// ioEnv is what a subcommand may touch of the outside world.
type ioEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (e ioEnv) logger() *slog.Logger {
	level := slog.LevelInfo
	if e.getenv("VARDE_DEBUG") == "1" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env ioEnv) error
}

var commands = map[string]command{
	"serve":     {"run the collector and the dashboard", runServe},
	"migrate":   {"apply the schema migrations to the store", runMigrate},
	"site":      {"add, change, list and show sites (site add|set|list|show)", runSite},
	"user":      {"add dashboard users (user add)", runUser},
	"apikey":    {"add stats API keys (apikey add)", runAPIKey},
	"sql":       {"run a SQL statement on the store, TSV out", runSQL},
	"loadgen":   {"send realistic consented traffic to a collector (load tests)", runLoadgen},
	"rollup":    {"re-derive a site's aggregates from its raw events (rollup rebuild)", runRollup},
	"retention": {"delete now what is past its retention (retention run)", runRetention},
}

func run(ctx context.Context, args []string, env ioEnv) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "varde: unknown command %q\n\n", args[0])
		usage(env.stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], env)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "varde %s: %v\n", args[0], ue.err)
		return 2
	default:
		fmt.Fprintf(env.stderr, "varde %s: %v\n", args[0], err)
		return 1
	}
}

// usageError is an error in how a command was called (exit status 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

func usage(w io.Writer) {
	fmt.Fprintln(w, "varde: privacy-first web analytics with a real cookie banner\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun `varde COMMAND --help` for a command's flags and their defaults.")
}

// parseFlags parses and handles --help the same way in every subcommand.
func parseFlags(f *flags, args []string, env ioEnv) ([]string, error) {
	rest, err := f.parse(args, env.getenv)
	if errors.Is(err, errHelp) {
		f.printUsage(env.stdout)
		return nil, errHelp
	}
	if err != nil {
		return nil, usageError{err}
	}
	return rest, nil
}

// wantArgs checks the number of positional arguments.
func wantArgs(rest []string, n int, what string) error {
	if len(rest) != n {
		return usageError{fmt.Errorf("want %s, got %q", what, strings.Join(rest, " "))}
	}
	return nil
}
