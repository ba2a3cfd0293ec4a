package stats

import (
	"time"
)

// period is a resolved date range: local days first..last (midnight in
// loc, both included) and the UTC hours [from, to) that hold them. Zones
// whose offset is not a whole hour (India, Nepal, parts of Australia) have
// their day edges rounded down to the UTC hour.
type period struct {
	loc         *time.Location
	first, last time.Time
	from, to    time.Time
	// cut is when the range stops having data yet: now, rounded up to the
	// hour, when now falls inside the range; else to.
	cut time.Time
}

func newPeriod(loc *time.Location, first, last time.Time, now time.Time) period {
	p := period{loc: loc, first: first, last: last}
	p.from = first.UTC().Truncate(time.Hour)
	p.to = last.AddDate(0, 0, 1).UTC().Truncate(time.Hour)
	p.cut = p.to
	if n := ceilHour(now); n.After(p.from) && n.Before(p.to) {
		p.cut = n
	}
	return p
}

func ceilHour(t time.Time) time.Time {
	h := t.UTC().Truncate(time.Hour)
	if h.Equal(t.UTC()) {
		return h
	}
	return h.Add(time.Hour)
}

// day is midnight of t's date in loc.
func day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// resolvePeriod turns a date range into days of the site's zone. today is
// now's date there; start is the first day with data, for "all".
func resolvePeriod(d DateRange, loc *time.Location, now time.Time, start func() (time.Time, error)) (period, error) {
	today := day(now, loc)
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)
	lastN := func(n int) (period, error) {
		return newPeriod(loc, today.AddDate(0, 0, -n), today.AddDate(0, 0, -1), now), nil
	}
	lastMonths := func(n int) (period, error) {
		return newPeriod(loc, monthStart.AddDate(0, -n, 0), monthStart.AddDate(0, 0, -1), now), nil
	}
	switch d.Period {
	case "day":
		return newPeriod(loc, today, today, now), nil
	case "7d":
		return lastN(7)
	case "28d":
		return lastN(28)
	case "30d":
		return lastN(30)
	case "91d":
		return lastN(91)
	case "month":
		return newPeriod(loc, monthStart, monthStart.AddDate(0, 1, -1), now), nil
	case "6mo":
		return lastMonths(6)
	case "12mo":
		return lastMonths(12)
	case "year":
		y := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, loc)
		return newPeriod(loc, y, y.AddDate(1, 0, -1), now), nil
	case "all":
		first := today
		s, err := start()
		if err != nil {
			return period{}, err
		}
		if !s.IsZero() && day(s, loc).Before(today) {
			first = day(s, loc)
		}
		return newPeriod(loc, first, today, now), nil
	case "":
		f, err := parseDate(d.From)
		if err != nil {
			return period{}, err
		}
		t, err := parseDate(d.To)
		if err != nil {
			return period{}, err
		}
		return newPeriod(loc,
			time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc),
			time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc), now), nil
	}
	return period{}, DateRange{Period: d.Period}.validate()
}

// days is the number of local days in the range.
func (p period) days() int {
	n := 0
	for d := p.first; !d.After(p.last); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

// previous is the period of the same length just before p. When p is
// still running (it holds now), the previous one is cut at the same point,
// so that today until 14:00 compares with yesterday until 14:00.
func (p period) previous(now time.Time) period {
	n := p.days()
	prev := newPeriod(p.loc, p.first.AddDate(0, 0, -n), p.first.AddDate(0, 0, -1), now)
	if p.cut.Before(p.to) {
		c := p.cut.In(p.loc)
		prev.cut = c.AddDate(0, 0, -n).UTC()
		prev.to = prev.cut
	}
	return prev
}

// iso is the range as Plausible echoes it: first and last second in the
// site's zone.
func (p period) iso() []string {
	return []string{p.from.In(p.loc).Format(time.RFC3339), p.to.Add(-time.Second).In(p.loc).Format(time.RFC3339)}
}

// interval picks the time dimension's bucket: "time" chooses by length.
func (p period) interval(dim string) string {
	switch dim {
	case DimTimeHour:
		return "hour"
	case DimTimeDay:
		return "day"
	case DimTimeWeek:
		return "week"
	case DimTimeMonth:
		return "month"
	}
	switch n := p.days(); {
	case n <= 1:
		return "hour"
	case n <= 92:
		return "day"
	default:
		return "month"
	}
}

// maxHourDays bounds time:hour, so a series stays a few thousand points.
const maxHourDays = 93

// labels are every bucket of the interval in the range, as rows name them.
func (p period) labels(interval string) []string {
	var out []string
	switch interval {
	case "hour":
		for t := p.from; t.Before(p.to); t = t.Add(time.Hour) {
			out = append(out, t.In(p.loc).Format(time.DateTime))
		}
	case "day":
		for d := p.first; !d.After(p.last); d = d.AddDate(0, 0, 1) {
			out = append(out, d.Format(time.DateOnly))
		}
	case "week":
		out = append(out, p.first.Format(time.DateOnly))
		for d := p.first.AddDate(0, 0, 1); !d.After(p.last); d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Monday {
				out = append(out, d.Format(time.DateOnly))
			}
		}
	case "month":
		for m := time.Date(p.first.Year(), p.first.Month(), 1, 0, 0, 0, 0, p.loc); !m.After(p.last); m = m.AddDate(0, 1, 0) {
			out = append(out, m.Format(time.DateOnly))
		}
	}
	return out
}

// bucketLabel names the bucket a row of the interval came back with: an
// UTC hour for "hour", a calendar date (as UTC midnight) otherwise. A week
// that began before the range is labelled with the range's first day.
func (p period) bucketLabel(interval string, t time.Time) string {
	switch interval {
	case "hour":
		return t.In(p.loc).Format(time.DateTime)
	case "week":
		first := time.Date(p.first.Year(), p.first.Month(), p.first.Day(), 0, 0, 0, 0, time.UTC)
		if t.Before(first) {
			t = first
		}
	}
	return t.UTC().Format(time.DateOnly)
}
