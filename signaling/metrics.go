package signaling

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are what an operator watches on a node's signaling.
type metrics struct {
	sessions    *prometheus.GaugeVec   // connected sessions by role
	callsActive prometheus.Gauge       // calls in progress
	callsEnded  *prometheus.CounterVec // ended calls by reason
	// startFailures counts accepted calls that could not be started.
	startFailures prometheus.Counter
	errors        *prometheus.CounterVec // protocol errors sent, by code
	refused       *prometheus.CounterVec // sockets refused over a cap, by cap
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cloudwindow_sessions", Help: "Signaling sessions on this node, by role.",
		}, []string{"role"}),
		callsActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cloudwindow_calls_active", Help: "Calls in progress on this node.",
		}),
		callsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudwindow_calls_ended_total", Help: "Calls ended on this node, by reason.",
		}, []string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudwindow_signaling_errors_total", Help: "Protocol errors sent to clients, by code.",
		}, []string{"code"}),
		startFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cloudwindow_call_start_failures_total", Help: "Accepted calls that could not be started (the station has left, the store failed).",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cloudwindow_ws_refused_total", Help: "Signaling sockets refused over a connection cap, by cap (address or total).",
		}, []string{"cap"}),
	}
	if reg != nil {
		reg.MustRegister(m.sessions, m.callsActive, m.callsEnded, m.startFailures, m.errors, m.refused)
	}
	return m
}
