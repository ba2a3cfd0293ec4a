package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
)

// ErrNotFound is returned for a site, user or key that does not exist.
var ErrNotFound = errors.New("not found")

// Site is a tracked website and its settings.
type Site struct {
	Domain   string
	Name     string
	Timezone string // IANA zone the dashboard's days and hours are in
	// K is the k-anonymity threshold: no breakdown row with fewer visitors.
	K int
	// RetentionDays is how long raw events are kept.
	RetentionDays int
	// ConsentRetentionDays is how long consent records are kept as proof.
	ConsentRetentionDays int
	Geo                  string   // location precision: country, region or city
	QueryAllow           []string // query parameters kept in page URLs
	Banner               consent.Config
	CreatedAt            time.Time
}

// Site defaults, filled by NewSite.
const (
	DefaultTimezone             = "UTC"
	DefaultK                    = 5
	DefaultRetentionDays        = 30
	DefaultConsentRetentionDays = 730
	DefaultGeo                  = "city"
)

// NewSite is a site with every setting at its default.
func NewSite(domain string) Site {
	return Site{
		Domain:               strings.ToLower(domain),
		Name:                 domain,
		Timezone:             DefaultTimezone,
		K:                    DefaultK,
		RetentionDays:        DefaultRetentionDays,
		ConsentRetentionDays: DefaultConsentRetentionDays,
		Geo:                  DefaultGeo,
		Banner:               consent.DefaultConfig(),
	}
}

var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// Validate reports every bad setting at once, each in a sentence.
func (s Site) Validate() error {
	var problems []string
	if len(s.Domain) > 253 || !domainRE.MatchString(s.Domain) {
		problems = append(problems, fmt.Sprintf("domain %q is not a host name like example.com", s.Domain))
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil || s.Timezone == "" || s.Timezone == "Local" {
		problems = append(problems, fmt.Sprintf("timezone %q is not an IANA time zone like Europe/Oslo", s.Timezone))
	}
	if s.K < 1 || s.K > 1000 {
		problems = append(problems, fmt.Sprintf("k must be between 1 and 1000, not %d", s.K))
	}
	if s.RetentionDays < 1 || s.RetentionDays > 3650 {
		problems = append(problems, fmt.Sprintf("retention must be between 1 and 3650 days, not %d", s.RetentionDays))
	}
	if s.ConsentRetentionDays < 1 || s.ConsentRetentionDays > 3650 {
		problems = append(problems, fmt.Sprintf("consent retention must be between 1 and 3650 days, not %d", s.ConsentRetentionDays))
	}
	switch s.Geo {
	case "country", "region", "city":
	default:
		problems = append(problems, fmt.Sprintf("geo must be country, region or city, not %q", s.Geo))
	}
	for _, q := range s.QueryAllow {
		if q == "" || strings.ContainsAny(q, "&=# ") {
			problems = append(problems, fmt.Sprintf("query parameter name %q is not valid", q))
		}
	}
	if err := s.Banner.Validate(); err != nil {
		problems = append(problems, "banner: "+err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Location is the site's time zone.
func (s Site) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Sites is the store of sites.
type Sites struct{ Store store.Store }

const siteColumns = "domain, name, timezone, k, retention_days, consent_retention_days, geo, query_allow, banner, created_at"

// Get returns the site, or ErrNotFound.
func (r Sites) Get(ctx context.Context, domain string) (Site, error) {
	sites, err := r.list(ctx, "AND domain = ?", strings.ToLower(domain))
	if err != nil {
		return Site{}, err
	}
	if len(sites) == 0 {
		return Site{}, fmt.Errorf("site %s: %w", domain, ErrNotFound)
	}
	return sites[0], nil
}

// List returns every site, ordered by domain.
func (r Sites) List(ctx context.Context) ([]Site, error) {
	return r.list(ctx, "")
}

func (r Sites) list(ctx context.Context, where string, args ...any) ([]Site, error) {
	rows, err := r.Store.Query(ctx, "SELECT "+siteColumns+" FROM sites FINAL WHERE deleted = 0 "+where+" ORDER BY domain", args...)
	if err != nil {
		return nil, fmt.Errorf("aggregator: sites: %w", err)
	}
	var out []Site
	for rows.Next() {
		var s Site
		var banner string
		if err := rows.Scan(&s.Domain, &s.Name, &s.Timezone, &s.K, &s.RetentionDays, &s.ConsentRetentionDays,
			&s.Geo, &s.QueryAllow, &banner, &s.CreatedAt); err != nil {
			return nil, fmt.Errorf("aggregator: sites: %w", err)
		}
		if s.Banner, err = consent.ParseConfig([]byte(banner)); err != nil {
			return nil, fmt.Errorf("aggregator: site %s: stored banner: %w", s.Domain, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Put validates the site and stores it as its newest version.
func (r Sites) Put(ctx context.Context, s Site) error {
	if err := s.Validate(); err != nil {
		return err
	}
	banner, err := json.Marshal(s.Banner)
	if err != nil {
		return fmt.Errorf("aggregator: site %s: %w", s.Domain, err)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now().UTC()
	}
	if s.QueryAllow == nil {
		s.QueryAllow = []string{}
	}
	err = r.Store.Insert(ctx, "sites", strings.Split(siteColumns+", version, deleted", ", "), [][]any{{
		s.Domain, s.Name, s.Timezone, s.K, s.RetentionDays, s.ConsentRetentionDays, s.Geo, s.QueryAllow,
		string(banner), s.CreatedAt, NewVersion(), 0,
	}})
	if err != nil {
		return fmt.Errorf("aggregator: site %s: %w", s.Domain, err)
	}
	return nil
}

// NewVersion orders writes of one record across nodes: the newest wins.
func NewVersion() uint64 { return uint64(time.Now().UnixNano()) }
