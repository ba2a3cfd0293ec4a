package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// flags is a subcommand's flag set. It differs from the standard library's
// in three ways: flags and arguments may come in any order (`site add
// example.com --k 5`), every unset flag falls back to VARDE_<NAME> from the
// environment, and every error is reported at once rather than the first.
type flags struct {
	*flag.FlagSet
	usage string
}

func newFlags(name, usage string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, usage: usage}
}

// envName is the environment variable a flag falls back to.
func envName(flag string) string {
	return "VARDE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

var errHelp = errors.New("help requested")

// parse sets flags from args, then from the environment, and returns the
// positional arguments.
func (f *flags) parse(args []string, getenv func(string) string) ([]string, error) {
	var problems []string
	var positional []string
	set := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		fl := f.Lookup(name)
		if fl == nil {
			problems = append(problems, fmt.Sprintf("unknown flag --%s", name))
			continue
		}
		if bv, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && bv.IsBoolFlag() && !hasValue {
			value, hasValue = "true", true
		}
		if !hasValue {
			if i+1 >= len(args) {
				problems = append(problems, fmt.Sprintf("flag --%s needs a value", name))
				continue
			}
			i++
			value = args[i]
		}
		if err := fl.Value.Set(value); err != nil {
			problems = append(problems, fmt.Sprintf("--%s %q: %v", name, value, err))
		}
		set[name] = true
	}
	f.VisitAll(func(fl *flag.Flag) {
		if set[fl.Name] {
			return
		}
		env := envName(fl.Name)
		if v := getenv(env); v != "" {
			if err := fl.Value.Set(v); err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q: %v", env, v, err))
			}
		}
	})
	if len(problems) > 0 {
		return positional, errors.New(strings.Join(problems, "\n"))
	}
	return positional, nil
}

// printUsage writes the subcommand's usage: the configuration reference,
// with every flag's default and environment variable.
func (f *flags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "%s\n", f.usage)
	var all []*flag.Flag
	f.VisitAll(func(fl *flag.Flag) { all = append(all, fl) })
	if len(all) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	fmt.Fprintln(w, "\nFlags (each also read from the environment variable shown):")
	for _, fl := range all {
		def := fl.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%s\n        %s\n        default %s, env %s\n", fl.Name, fl.Usage, def, envName(fl.Name))
	}
}

// listFlag is a flag that may be given several times, or once with commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// daysFlag is a number of days, written 30, 30d, 4w or 1y.
type daysFlag struct {
	days int
	set  bool
}

func (d *daysFlag) String() string {
	if d.days == 0 {
		return ""
	}
	return strconv.Itoa(d.days) + "d"
}

func (d *daysFlag) Set(v string) error {
	n, err := parseDays(v)
	if err != nil {
		return err
	}
	d.days, d.set = n, true
	return nil
}

func parseDays(v string) (int, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	mult := 1
	switch {
	case strings.HasSuffix(v, "d"):
		v = strings.TrimSuffix(v, "d")
	case strings.HasSuffix(v, "w"):
		v, mult = strings.TrimSuffix(v, "w"), 7
	case strings.HasSuffix(v, "y"):
		v, mult = strings.TrimSuffix(v, "y"), 365
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("not a number of days like 30d, 4w or 1y")
	}
	return n * mult, nil
}

// intFlag remembers whether it was set, so `site set` changes only what it
// is told to.
type intFlag struct {
	n   int
	set bool
}

func (i *intFlag) String() string {
	if !i.set {
		return ""
	}
	return strconv.Itoa(i.n)
}

func (i *intFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	i.n, i.set = n, true
	return nil
}

// stringFlag remembers whether it was set.
type stringFlag struct {
	s   string
	set bool
}

func (s *stringFlag) String() string { return s.s }
func (s *stringFlag) Set(v string) error {
	s.s, s.set = v, true
	return nil
}

// durationFlag is a time.Duration flag.
func durationValue(d *time.Duration, def time.Duration) flag.Value {
	*d = def
	return (*durationFlag)(d)
}

type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }
func (d *durationFlag) Set(v string) error {
	p, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("not a duration like 30s or 5m")
	}
	*d = durationFlag(p)
	return nil
}
