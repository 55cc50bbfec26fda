package recordings

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics count recording files (one per party and part), not calls.
type metrics struct {
	started, finished, failed         prometheus.Counter
	active                            prometheus.Gauge
	bytes                             prometheus.Counter
	droppedQueueFull, droppedTooLarge prometheus.Counter
	uploaded, uploadFailed            prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "cloudwindow", Name: name, Help: help})
	}
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "cloudwindow", Name: "recording_packets_dropped_total",
		Help: "RTP packets the recorder dropped instead of slowing the call, by reason.",
	}, []string{"reason"})
	uploads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "cloudwindow", Name: "recording_uploads_total",
		Help: "Recording files moved to the object store (ok), and tries that failed and wait to be retried.",
	}, []string{"result"})
	m := &metrics{
		started:  counter("recordings_started_total", "Recording files started."),
		finished: counter("recordings_finished_total", "Recording files finished and indexed."),
		failed:   counter("recordings_failed_total", "Recording files that failed (disk full, muxer error)."),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cloudwindow", Name: "recordings_active", Help: "Recording files being written.",
		}),
		bytes:            counter("recording_bytes_written_total", "Bytes written to recording files."),
		droppedQueueFull: dropped.WithLabelValues("queue_full"),
		droppedTooLarge:  dropped.WithLabelValues("too_large"),
		uploaded:         uploads.WithLabelValues("ok"),
		uploadFailed:     uploads.WithLabelValues("failed"),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.started, m.finished, m.failed, m.active, m.bytes, dropped, uploads} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register recording metrics: %w", err)
		}
	}
	return m, nil
}
