package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/consent"
)

// siteFlags are the settings `site add` and `site set` take; only the ones
// given are applied.
type siteFlags struct {
	name, timezone, geo, banner stringFlag
	k                           intFlag
	retention, consentRetention daysFlag
	queryAllow                  listFlag
	queryAllowSet               bool
}

func (s *siteFlags) register(f *flags) {
	f.Var(&s.name, "name", "display name of the site (default: the domain)")
	f.Var(&s.timezone, "timezone", "IANA time zone of the site's days and hours (default "+aggregator.DefaultTimezone+")")
	f.Var(&s.k, "k", fmt.Sprintf("k-anonymity: breakdown rows with fewer visitors are held back (default %d)", aggregator.DefaultK))
	f.Var(&s.retention, "retention", fmt.Sprintf("how long raw events are kept, e.g. 30d (default %dd)", aggregator.DefaultRetentionDays))
	f.Var(&s.consentRetention, "consent-retention", fmt.Sprintf("how long consent records are kept as proof (default %dd)", aggregator.DefaultConsentRetentionDays))
	f.Var(&s.geo, "geo", "location precision: country, region or city (default "+aggregator.DefaultGeo+")")
	f.Var(&s.banner, "banner", "JSON file with the banner configuration: categories, texts, revision, policy URL")
	f.Var(&s.queryAllow, "query-allow", "query parameters kept in page URLs, comma-separated (all others are dropped)")
}

// apply writes the given settings onto site.
func (s *siteFlags) apply(site *aggregator.Site) error {
	if s.name.set {
		site.Name = s.name.s
	}
	if s.timezone.set {
		site.Timezone = s.timezone.s
	}
	if s.k.set {
		site.K = s.k.n
	}
	if s.retention.set {
		site.RetentionDays = s.retention.days
	}
	if s.consentRetention.set {
		site.ConsentRetentionDays = s.consentRetention.days
	}
	if s.geo.set {
		site.Geo = s.geo.s
	}
	if len(s.queryAllow) > 0 {
		site.QueryAllow = s.queryAllow
	}
	if s.banner.set {
		b, err := os.ReadFile(s.banner.s)
		if err != nil {
			return fmt.Errorf("banner: %w", err)
		}
		cfg, err := consent.ParseConfig(b)
		if err != nil {
			return fmt.Errorf("banner %s: %w", s.banner.s, err)
		}
		site.Banner = cfg
	}
	return nil
}

func runSite(ctx context.Context, args []string, env ioEnv) error {
	if len(args) == 0 {
		return usageError{errors.New("want a subcommand: add, set, list or show")}
	}
	sub, args := args[0], args[1:]
	var sf storeFlags
	var settings siteFlags
	f := newFlags("site "+sub, "varde site add DOMAIN [flags]\nvarde site set DOMAIN [flags]\nvarde site list\nvarde site show DOMAIN")
	sf.register(f)
	if sub == "add" || sub == "set" {
		settings.register(f)
	}
	rest, err := parseFlags(f, args, env)
	if err != nil {
		return err
	}
	switch sub {
	case "add", "set", "show":
		if err := wantArgs(rest, 1, "one DOMAIN"); err != nil {
			return err
		}
	case "list":
		if err := wantArgs(rest, 0, "no arguments"); err != nil {
			return err
		}
	default:
		return usageError{fmt.Errorf("unknown subcommand %q: want add, set, list or show", sub)}
	}
	st, err := sf.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer st.Close()
	sites := aggregator.Sites{Store: st}
	switch sub {
	case "add":
		domain := strings.ToLower(rest[0])
		if _, err := sites.Get(ctx, domain); err == nil {
			return fmt.Errorf("site %s exists already; change it with `varde site set`", domain)
		} else if !errors.Is(err, aggregator.ErrNotFound) {
			return err
		}
		site := aggregator.NewSite(domain)
		if err := settings.apply(&site); err != nil {
			return err
		}
		if err := sites.Put(ctx, site); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "added site %s\n", site.Domain)
	case "set":
		site, err := sites.Get(ctx, rest[0])
		if err != nil {
			return err
		}
		if err := settings.apply(&site); err != nil {
			return err
		}
		if err := sites.Put(ctx, site); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "updated site %s\n", site.Domain)
	case "list":
		all, err := sites.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "DOMAIN\tNAME\tTIMEZONE\tK\tRETENTION\tGEO")
		for _, s := range all {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%dd\t%s\n", s.Domain, s.Name, s.Timezone, s.K, s.RetentionDays, s.Geo)
		}
		return w.Flush()
	case "show":
		site, err := sites.Get(ctx, rest[0])
		if err != nil {
			return err
		}
		out := map[string]any{
			"domain": site.Domain, "name": site.Name, "timezone": site.Timezone, "k": site.K,
			"retention_days": site.RetentionDays, "consent_retention_days": site.ConsentRetentionDays,
			"geo": site.Geo, "query_allow": site.QueryAllow, "banner": site.Banner, "created_at": site.CreatedAt,
		}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return nil
}
