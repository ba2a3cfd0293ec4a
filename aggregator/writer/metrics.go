package writer

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varde/varde/aggregator/spool"
)

// metrics are the writer's and its spool's, for /metrics.
type metrics struct {
	flushSeconds  prometheus.Histogram
	rowsFlushed   prometheus.Counter
	alreadyStored prometheus.Counter
	insertErrors  prometheus.Counter
	undecodable   prometheus.Counter
	reachable     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, sp *spool.Spool) (*metrics, error) {
	m := &metrics{
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "varde_writer_flush_duration_seconds",
			Help: "Time to store one spool batch in ClickHouse (lookup of stored ids when needed, insert, acknowledgement).",
			// 5 ms to 20 s: a 10k-row insert takes tens of ms when all is well.
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
		}),
		rowsFlushed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "varde_writer_rows_flushed_total",
			Help: "Events inserted into the events table.",
		}),
		alreadyStored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "varde_writer_rows_already_stored_total",
			Help: "Events of a retried or replayed batch found already stored, and so not inserted again.",
		}),
		insertErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "varde_writer_insert_errors_total",
			Help: "Failed attempts to store a batch; each is retried.",
		}),
		undecodable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "varde_writer_records_undecodable_total",
			Help: "Spool records that are not events this version can read; they are skipped.",
		}),
		reachable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "varde_store_reachable",
			Help: "1 when the store answered the writer's last insert or ping, else 0.",
		}),
	}
	stat := func(f func(spool.Stats) float64) func() float64 {
		return func() float64 { return f(sp.Stats()) }
	}
	cs := []prometheus.Collector{
		m.flushSeconds, m.rowsFlushed, m.alreadyStored, m.insertErrors, m.undecodable, m.reachable,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "varde_spool_bytes",
			Help: "Bytes of events in the spool not yet stored in ClickHouse.",
		}, stat(func(s spool.Stats) float64 { return float64(s.Bytes) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "varde_spool_records",
			Help: "Events in the spool not yet stored in ClickHouse.",
		}, stat(func(s spool.Stats) float64 { return float64(s.Records) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "varde_spool_segments",
			Help: "Spool segments (batches) not yet stored in ClickHouse.",
		}, stat(func(s spool.Stats) float64 { return float64(s.Segments) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "varde_spool_syncs_total",
			Help: "fdatasync calls of the spool; appends per sync is the group commit's batching.",
		}, stat(func(s spool.Stats) float64 { return float64(s.Syncs) })),
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("writer: register metrics: %w", err)
		}
	}
	return m, nil
}
