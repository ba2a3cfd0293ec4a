package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/varde/varde/collector/bots"
	"github.com/varde/varde/collector/useragent"
)

// metrics counts what the collector does with each request.
type metrics struct {
	accepted *prometheus.CounterVec
	rejected *prometheus.CounterVec
	bots     *prometheus.CounterVec
	consents *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "varde_events_accepted_total", Help: "Events answered 202: durable in the spool, to be stored.",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "varde_events_rejected_total", Help: "API requests refused, by reason.",
		}, []string{"reason"}),
		bots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "varde_events_bots_total", Help: "Beacons dropped as not sent by a person's browser, by rule.",
		}, []string{"reason"}),
		consents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "varde_consents_total", Help: "Consent decisions recorded, by action.",
		}, []string{"action"}),
	}
	reg.MustRegister(m.accepted, m.rejected, m.bots, m.consents)
	for _, r := range useragent.Reasons() {
		m.bots.WithLabelValues(string(r))
	}
	for _, r := range bots.Reasons() {
		m.bots.WithLabelValues(string(r))
	}
	m.accepted.WithLabelValues("pageview")
	return m
}
