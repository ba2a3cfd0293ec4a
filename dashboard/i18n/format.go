// Package i18n holds the dashboard's texts in Norwegian bokmål and English
// and formats numbers, dates and durations the way each language writes
// them (nb: 1 234,5 and 27. nov. 2026; en: 1,234.5 and Nov 27, 2026).
package i18n

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Languages are the dashboard's languages, the default first.
var Languages = []string{"nb", "en"}

// Default is the language used when the browser asks for none we have.
const Default = "nb"

// nbsp keeps a number and its unit, or its digit groups, on one line.
const nbsp = "\u00a0"

// Lang is one language's formatting and texts.
type Lang struct {
	Code string // "nb" or "en"
	msgs map[string]string
}

// Get returns the language for code, or the default for an unknown code.
func Get(code string) Lang {
	if code == "en" {
		return Lang{Code: "en", msgs: english}
	}
	return Lang{Code: "nb", msgs: bokmal}
}

// Pick chooses the language: an explicit choice (a cookie) if it is one of
// ours, else the first language of an Accept-Language header we have
// (Norwegian in any form means bokmål), else the default.
func Pick(choice, acceptLanguage string) Lang {
	if choice == "nb" || choice == "en" {
		return Get(choice)
	}
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") && !strings.Contains(params, "q=0.") {
			continue
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(tag, "_", "-")), "-")
		switch primary {
		case "nb", "no", "nn", "nob", "nno":
			return Get("nb")
		case "en":
			return Get("en")
		}
	}
	if acceptLanguage != "" && acceptLanguage != "*" {
		return Get("en")
	}
	return Get(Default)
}

// T returns the text for key, formatted with args as by fmt.Sprintf. A
// missing key shows as itself, so a gap is visible rather than blank.
func (l Lang) T(key string, args ...any) string {
	s, ok := l.msgs[key]
	if !ok {
		s, ok = english[key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether the language has a text for key.
func (l Lang) Has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// Keys returns every text key of the language.
func (l Lang) Keys() []string {
	out := make([]string, 0, len(l.msgs))
	for k := range l.msgs {
		out = append(out, k)
	}
	return out
}

// Int formats a whole number with digit groups: 1 234 or 1,234.
func (l Lang) Int(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	sep := ","
	if l.Code == "nb" {
		sep = nbsp
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "\u2212" + b.String()
	}
	return b.String()
}

// Number formats f with up to digits decimals, trailing zeros dropped:
// 1 234,5 or 1,234.5.
func (l Lang) Number(f float64, digits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	p := math.Pow(10, float64(digits))
	f = math.Round(f*p) / p
	whole, frac := math.Modf(math.Abs(f))
	s := l.Int(int64(whole))
	if f < 0 && (whole != 0 || frac != 0) {
		s = "\u2212" + s
	}
	if digits > 0 && frac > 0 {
		d := strconv.FormatFloat(frac, 'f', digits, 64)[2:] // drop "0."
		d = strings.TrimRight(d, "0")
		if d != "" {
			if l.Code == "nb" {
				s += "," + d
			} else {
				s += "." + d
			}
		}
	}
	return s
}

// Percent formats a share given in percent: 42 % or 42%.
func (l Lang) Percent(pct float64) string {
	digits := 0
	if math.Abs(pct) < 10 && pct != math.Trunc(pct) {
		digits = 1
	}
	if l.Code == "nb" {
		return l.Number(pct, digits) + nbsp + "%"
	}
	return l.Number(pct, digits) + "%"
}

// Change formats a relative change in percent with its sign: +12 % or
// −5%. It is "" when there is nothing to compare with.
func (l Lang) Change(pct float64, ok bool) string {
	if !ok {
		return ""
	}
	r := math.Round(pct)
	sign := "+"
	switch {
	case r < 0:
		sign = ""
	case r == 0:
		sign = "±"
	}
	return sign + l.Percent(r)
}

var (
	monthsEN = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthsNB = [...]string{"jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "des."}
	longEN   = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	longNB   = [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"}
)

// Date formats a day: 27. nov. 2026 or Nov 27, 2026.
func (l Lang) Date(t time.Time) string {
	if l.Code == "nb" {
		return fmt.Sprintf("%d. %s %d", t.Day(), monthsNB[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%s %d, %d", monthsEN[t.Month()-1], t.Day(), t.Year())
}

// DayMonth formats a day without its year: 27. nov. or Nov 27.
func (l Lang) DayMonth(t time.Time) string {
	if l.Code == "nb" {
		return fmt.Sprintf("%d. %s", t.Day(), monthsNB[t.Month()-1])
	}
	return fmt.Sprintf("%s %d", monthsEN[t.Month()-1], t.Day())
}

// Month formats a month: november 2026 or November 2026.
func (l Lang) Month(t time.Time) string {
	if l.Code == "nb" {
		return fmt.Sprintf("%s %d", longNB[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%s %d", longEN[t.Month()-1], t.Year())
}

// ShortMonth formats a month for a chart axis: nov. or Nov.
func (l Lang) ShortMonth(t time.Time) string {
	if l.Code == "nb" {
		return monthsNB[t.Month()-1]
	}
	return monthsEN[t.Month()-1]
}

// Range formats a date range: 1.–27. nov. 2026, Nov 1 – 27, 2026, or the
// single day.
func (l Lang) Range(from, to time.Time) string {
	if from.Equal(to) {
		return l.Date(from)
	}
	switch {
	case from.Year() == to.Year() && from.Month() == to.Month():
		if l.Code == "nb" {
			return fmt.Sprintf("%d.–%s", from.Day(), l.Date(to))
		}
		return fmt.Sprintf("%s %d – %d, %d", monthsEN[from.Month()-1], from.Day(), to.Day(), to.Year())
	case from.Year() == to.Year():
		return l.DayMonth(from) + " – " + l.Date(to)
	}
	return l.Date(from) + " – " + l.Date(to)
}

// Time formats a clock time: 14:05 in both languages (the 24-hour clock
// reads fine in English dashboards too, and sorts as it reads).
func (l Lang) Time(t time.Time) string { return t.Format("15:04") }

// Duration formats seconds as 42 s, 1 min 05 s or 1 h 02 min (nb: 1 t 02 min).
func (l Lang) Duration(seconds float64) string {
	if math.IsNaN(seconds) || seconds < 0 {
		return "–"
	}
	s := int64(math.Round(seconds))
	hour := "h"
	if l.Code == "nb" {
		hour = "t"
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%d"+nbsp+"s", s)
	case s < 3600:
		return fmt.Sprintf("%d"+nbsp+"min %02d"+nbsp+"s", s/60, s%60)
	}
	return fmt.Sprintf("%d"+nbsp+"%s %02d"+nbsp+"min", s/3600, hour, s%3600/60)
}

// Compact formats a number for a chart axis: 950, 1,2k / 1.2k, 3,4 mill. / 3.4M.
func (l Lang) Compact(f float64) string {
	switch a := math.Abs(f); {
	case a >= 1e6:
		if l.Code == "nb" {
			return l.Number(f/1e6, 1) + nbsp + "mill."
		}
		return l.Number(f/1e6, 1) + "M"
	case a >= 1e4:
		return l.Number(f/1e3, 0) + "k"
	case a >= 1e3:
		return l.Number(f/1e3, 1) + "k"
	}
	return l.Number(f, 1)
}
