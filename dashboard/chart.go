package dashboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/varde/varde/dashboard/i18n"
)

// chart is the time series of visitors and pageviews, drawn on the server
// as SVG so it shows without JavaScript; each bucket carries its numbers
// in a <title> and data attributes (the script's tooltip reads those).
type chart struct {
	W, H       int
	Left, Top  float64 // the plot area's corner
	Right, Bot float64
	YTicks     []tick
	XTicks     []tick
	Visitors   string // path of the visitors line
	Area       string // path of the area under it
	Pageviews  string // path of the pageviews line
	Points     []chartPoint
	Unit       string // time:hour, time:day, ...
	Summary    string
}

type tick struct {
	At    float64
	Label string
}

type chartPoint struct {
	X, YV, YP   float64
	ColX, ColW  float64 // the hover column
	Label       string
	Visitors    string
	Pageviews   string
	VisitorsRaw int64
}

const (
	chartW    = 960
	chartH    = 280
	chartLeft = 56
	chartTop  = 16
	chartBot  = 248
)

func (d *Dashboard) chartJob(v view, l i18n.Lang, p *panel[chart]) panelJob {
	unit := v.granularity()
	return panelJob{
		reqs: []request{{
			metrics: []string{"visitors", "pageviews"}, dims: []string{unit},
			from: v.From, to: v.To, filters: v.Filters, timeLabels: true, limit: 1000,
		}},
		errp: &p.Err,
		done: func(ts []table, errs []error) error {
			if errs[0] != nil {
				return errs[0]
			}
			p.V = chartFrom(ts[0], unit, v, l)
			return nil
		},
	}
}

func chartFrom(t table, unit string, v view, l i18n.Lang) chart {
	byLabel := map[string][2]float64{}
	var order []string
	for _, r := range t.rows {
		if len(r.dims) == 0 || len(r.vals) < 2 {
			continue
		}
		byLabel[r.dims[0]] = [2]float64{r.vals[0], r.vals[1]}
		order = append(order, r.dims[0])
	}
	if len(t.timeLabels) > 0 {
		order = t.timeLabels
	}
	return drawChart(order, byLabel, unit, v, l)
}

func drawChart(labels []string, values map[string][2]float64, unit string, v view, l i18n.Lang) chart {
	c := chart{W: chartW, H: chartH, Left: chartLeft, Top: chartTop, Right: chartW - 12, Bot: chartBot, Unit: unit}
	n := len(labels)
	if n == 0 {
		return c
	}
	top := 0.0
	var totalV, totalP float64
	for _, lab := range labels {
		top = math.Max(top, math.Max(values[lab][0], values[lab][1]))
		totalV += values[lab][0]
		totalP += values[lab][1]
	}
	max, step := niceScale(top)
	for y := 0.0; y <= max+step/2; y += step {
		c.YTicks = append(c.YTicks, tick{At: c.yFor(y, max), Label: l.Compact(y)})
	}
	width := c.Right - c.Left
	colW := width / float64(n)
	xFor := func(i int) float64 {
		if n == 1 {
			return c.Left + width/2
		}
		return c.Left + colW/2 + float64(i)*colW
	}
	var vis, pv, area strings.Builder
	labelEvery := int(math.Ceil(float64(n) / 8))
	for i, lab := range labels {
		x := xFor(i)
		val := values[lab]
		p := chartPoint{
			X: x, YV: c.yFor(val[0], max), YP: c.yFor(val[1], max),
			ColX: c.Left + float64(i)*colW, ColW: colW,
			Label:       chartLabel(l, unit, lab, true),
			Visitors:    l.Int(int64(val[0])),
			Pageviews:   l.Int(int64(val[1])),
			VisitorsRaw: int64(val[0]),
		}
		c.Points = append(c.Points, p)
		cmd := "L"
		if i == 0 {
			cmd = "M"
			fmt.Fprintf(&area, "M%s %s", f1(x), f1(c.Bot))
		}
		fmt.Fprintf(&vis, "%s%s %s", cmd, f1(x), f1(p.YV))
		fmt.Fprintf(&pv, "%s%s %s", cmd, f1(x), f1(p.YP))
		fmt.Fprintf(&area, "L%s %s", f1(x), f1(p.YV))
		if i%labelEvery == 0 {
			c.XTicks = append(c.XTicks, tick{At: x, Label: chartLabel(l, unit, lab, false)})
		}
	}
	fmt.Fprintf(&area, "L%s %sZ", f1(xFor(n-1)), f1(c.Bot))
	c.Visitors, c.Pageviews, c.Area = vis.String(), pv.String(), area.String()
	c.Summary = l.T("chart.summary", l.Range(v.From, v.To), l.Int(int64(totalV)), l.Int(int64(totalP)))
	return c
}

func (c chart) yFor(v, max float64) float64 {
	if max <= 0 {
		return c.Bot
	}
	return c.Bot - v/max*(c.Bot-c.Top)
}

// niceScale is a round top for the y axis and the step between its lines:
// 1, 2 or 5 times a power of ten, four steps or so.
func niceScale(top float64) (float64, float64) {
	if top <= 4 {
		return 4, 1
	}
	raw := top / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Ceil(top/step) * step, step
}

func f1(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// chartLabel turns a bucket's label from the engine into words: the hour,
// the day, the week's Monday or the month; long forms for tooltips.
func chartLabel(l i18n.Lang, unit, label string, long bool) string {
	t, ok := parseTimeLabel(label)
	if !ok {
		return label
	}
	switch unit {
	case "time:hour":
		if long {
			return l.DayMonth(t) + " " + l.Time(t)
		}
		return l.Time(t)
	case "time:week":
		if long {
			return l.T("chart.week_of", l.Date(t))
		}
		return l.DayMonth(t)
	case "time:month":
		if long {
			return l.Month(t)
		}
		return l.ShortMonth(t)
	}
	if long {
		return l.Date(t)
	}
	return l.DayMonth(t)
}

func parseTimeLabel(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateTime, time.DateOnly, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
