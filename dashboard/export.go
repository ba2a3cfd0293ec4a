package dashboard

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
)

// export is /dashboard/{site}/export?breakdown=ID&format=csv plus the view's
// period and filters: every row of one breakdown, through the stats engine
// like everything else, so k-anonymity holds in the file too.
func (d *Dashboard) export(c *fiber.Ctx) error {
	site, ok, err := d.siteFor(c)
	if !ok {
		return err
	}
	return d.writeCSV(c, site)
}

func (d *Dashboard) writeCSV(c *fiber.Ctx, site aggregator.Site) error {
	spec, ok := exportable[c.Query("breakdown")]
	if !ok {
		return d.errorPage(c, http.StatusBadRequest, "export.unknown")
	}
	if f := c.Query("format", "csv"); f != "csv" {
		return d.errorPage(c, http.StatusBadRequest, "export.format")
	}
	v := d.parseViewOf(c, site)
	metrics, err := metricsFor(spec.Metrics, spec.Dim, v)
	if err != nil {
		return d.errorPage(c, http.StatusBadRequest, "panel.page_filter")
	}
	dims := []string{spec.Dim}
	if spec.NameDim != "" {
		dims = append(dims, spec.NameDim)
	}
	t, err := d.query(c.UserContext(), site, request{metrics: metrics, dims: dims, from: v.From, to: v.To, filters: v.Filters, limit: stats.MaxLimit})
	var qe *stats.QueryError
	if errors.As(err, &qe) {
		return d.render(c, http.StatusBadRequest, "error", "error.title", errorData{Status: http.StatusBadRequest, Message: qe.Msg})
	}
	if err != nil {
		return d.fail(c, err)
	}

	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so spreadsheet programs read UTF-8
	w := csv.NewWriter(&buf)
	header := append(append([]string{}, dims...), metrics...)
	w.Write(header)
	for _, r := range t.rows {
		rec := make([]string, 0, len(header))
		for i := range dims {
			v := ""
			if i < len(r.dims) {
				v = r.dims[i]
			}
			rec = append(rec, safeCell(v))
		}
		for i := range metrics {
			val := 0.0
			if i < len(r.vals) {
				val = r.vals[i]
			}
			rec = append(rec, strconv.FormatFloat(val, 'f', -1, 64))
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return d.fail(c, err)
	}
	name := exportName(site.Domain, spec.ID, v.From, v.To)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set("X-Varde-Suppressed-Rows", strconv.Itoa(t.suppressed))
	return c.Send(buf.Bytes())
}

// exportName is varde-SITE-BREAKDOWN-FROM-TO.csv, safe in a header.
func exportName(domain, id string, from, to time.Time) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, strings.ToLower(domain+"-"+id))
	return "varde-" + clean + "-" + from.Format(time.DateOnly) + "-" + to.Format(time.DateOnly) + ".csv"
}

// safeCell keeps a spreadsheet from reading a value as a formula: a page
// path or referrer is outside input.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
