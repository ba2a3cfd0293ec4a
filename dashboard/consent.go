package dashboard

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/dashboard/i18n"
)

// consentActions are the decisions the consent panel counts, in its
// order; the names are consent.Action's.
var consentActions = []string{"accept-all", "custom", "reject-all", "withdraw"}

// consentView is the consent panel: the share of each decision over the
// period and over time, and how many decisions came with Global Privacy
// Control.
type consentView struct {
	Total      string
	Shares     []consentShare
	GPC        string // share of decisions with GPC, "" when none were made
	Columns    []consentColumn
	W, H       int
	Plot       float64 // height of the bars' area
	Empty      bool
	Suppressed int // counts under K held back
	K          int
}

type consentShare struct {
	Action string
	Pct    string
	Count  string
	Width  int // 0–100, for the stacked bar
}

type consentColumn struct {
	X, W  float64
	Segs  []consentSeg
	Title string
	Label string
	Tick  bool
}

type consentSeg struct {
	Action string
	Y, H   float64
}

func (d *Dashboard) consent(ctx context.Context, site aggregator.Site, v view, l i18n.Lang) (consentView, error) {
	dr := stats.DateRange{From: v.From.Format(time.DateOnly), To: v.To.Format(time.DateOnly)}
	r, err := d.stats.Consent(ctx, site, dr, v.granularity(), d.opts.Now())
	if err != nil {
		return consentView{}, err
	}
	cv := drawConsent(r, v.granularity(), l)
	cv.Suppressed, cv.K = r.SuppressedRows, r.K
	return cv, nil
}

// drawConsent turns the counts into shares: of the whole period from the
// totals, per bucket from the series (each column is 100 %).
func drawConsent(r stats.ConsentResult, unit string, l i18n.Lang) consentView {
	cv := consentView{W: 600, H: 190}
	byAction := map[string]int64{}
	var total, gpc int64
	for _, c := range r.Totals {
		n := int64(c.Records)
		byAction[c.Action] += n
		total += n
		if c.GPC {
			gpc += n
		}
	}
	if total == 0 {
		cv.Empty = true
		return cv
	}
	cv.Total = l.Int(total)
	cv.GPC = l.Percent(math.Round(float64(gpc) / float64(total) * 100))
	for _, a := range consentActions {
		n := byAction[a]
		pct := float64(n) / float64(total) * 100
		cv.Shares = append(cv.Shares, consentShare{Action: a, Pct: l.Percent(math.Round(pct)), Count: l.Int(n), Width: int(math.Round(pct))})
	}
	byBucket := map[string]map[string]int64{}
	for _, c := range r.Series {
		if byBucket[c.Time] == nil {
			byBucket[c.Time] = map[string]int64{}
		}
		byBucket[c.Time][c.Action] += int64(c.Records)
	}
	labels := r.TimeLabels
	if len(labels) == 0 {
		for b := range byBucket {
			labels = append(labels, b)
		}
		sort.Strings(labels)
	}
	n := len(labels)
	colW := float64(cv.W) / float64(max(n, 1))
	every := int(math.Ceil(float64(n) / 6))
	plot := float64(cv.H - 24)
	cv.Plot = plot
	for i, b := range labels {
		col := consentColumn{X: float64(i)*colW + colW*0.15, W: colW * 0.7, Label: chartLabel(l, unit, b, false), Tick: i%every == 0}
		var sum int64
		for _, a := range consentActions {
			sum += byBucket[b][a]
		}
		title := chartLabel(l, unit, b, true) + ":"
		y := 0.0
		for _, a := range consentActions {
			c := byBucket[b][a]
			if c == 0 || sum == 0 {
				continue
			}
			h := float64(c) / float64(sum) * plot
			col.Segs = append(col.Segs, consentSeg{Action: a, Y: y, H: h})
			y += h
			title += " " + l.T("consent."+a) + " " + l.Int(c) + ","
		}
		if sum == 0 {
			title += " " + l.T("consent.none_shown")
		}
		col.Title = strings.TrimSuffix(title, ",")
		cv.Columns = append(cv.Columns, col)
	}
	return cv
}
