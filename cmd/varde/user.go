package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/auth"
)

func runUser(ctx context.Context, args []string, env ioEnv) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{errors.New("want a subcommand: add")}
	}
	var sf storeFlags
	var role string
	var sites listFlag
	var fromStdin bool
	f := newFlags("user add", "varde user add EMAIL --role admin|viewer [--site DOMAIN]... [--password-stdin]\n\nAdds a dashboard user, or replaces the password, role and sites of an existing one. The password is asked for at a prompt, or read from the first line of stdin.")
	sf.register(f)
	f.StringVar(&role, "role", aggregator.RoleViewer, "admin (everything) or viewer (read-only, only the sites given)")
	f.Var(&sites, "site", "a site the user may see; repeat for several (viewers only)")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of a prompt")
	rest, err := parseFlags(f, args[1:], env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 1, "one EMAIL"); err != nil {
		return err
	}
	if role != aggregator.RoleAdmin && role != aggregator.RoleViewer {
		return usageError{fmt.Errorf("--role must be admin or viewer, not %q", role)}
	}
	if role == aggregator.RoleViewer && len(sites) == 0 {
		return usageError{errors.New("a viewer needs at least one --site")}
	}
	password, err := readPassword(env, fromStdin)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	st, err := sf.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer st.Close()
	for _, s := range sites {
		if _, err := (aggregator.Sites{Store: st}).Get(ctx, s); err != nil {
			return fmt.Errorf("--site %s: %w", s, err)
		}
	}
	u := aggregator.User{Email: rest[0], PasswordHash: hash, Role: role, Sites: sites}
	if err := (aggregator.Users{Store: st}).Put(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "saved user %s (%s)\n", strings.ToLower(rest[0]), role)
	return nil
}

func readPassword(env ioEnv, fromStdin bool) (string, error) {
	if !fromStdin {
		if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fmt.Fprint(env.stderr, "Password: ")
			p, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(env.stderr)
			if err != nil {
				return "", err
			}
			fmt.Fprint(env.stderr, "Again: ")
			again, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(env.stderr)
			if err != nil {
				return "", err
			}
			if string(p) != string(again) {
				return "", errors.New("the passwords differ")
			}
			return string(p), nil
		}
		return "", usageError{errors.New("stdin is not a terminal: give --password-stdin to read the password from it")}
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
