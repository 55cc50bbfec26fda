package media

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the SFU's Prometheus series. They have no labels so that the forwarding
// path updates them without allocating.
type metrics struct {
	forwardedPackets prometheus.Counter
	forwardedBytes   prometheus.Counter
	keyframeRequests prometheus.Counter
	lossKeyframes    prometheus.Counter
	nacksAnswered    prometheus.Counter
	fecPackets       prometheus.Counter
	roomsOpen        prometheus.Gauge
	standbyOpen      prometheus.Gauge
	peersConnected   prometheus.Gauge

	// resendsSuppressed are the children of one labelled counter, bound once.
	resendsSuppressedVec *prometheus.CounterVec
	resendsSuppressed    [numSuppressReasons]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		forwardedPackets: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "forwarded_packets_total",
			Help: "RTP packets forwarded to subscribers.",
		}),
		forwardedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "forwarded_bytes_total",
			Help: "RTP payload and header bytes forwarded to subscribers.",
		}),
		keyframeRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "keyframe_requests_total",
			Help: "Keyframe requests (PLI) sent upstream to publishers after coalescing.",
		}),
		lossKeyframes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "unrecovered_losses_total",
			Help: "Video packets a subscriber still asked for once no more resends were due (age, limit), for each of which a keyframe was asked for at once.",
		}),
		nacksAnswered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "nacks_answered_total",
			Help: "Packets retransmitted from the packet cache in answer to NACKs.",
		}),
		fecPackets: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "fec_packets_total",
			Help: "Video FEC packets (ULPFEC in RED) sent to subscribers that report loss.",
		}),
		resendsSuppressedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "nack_resends_suppressed_total",
			Help: "NACKed packets not resent, by reason: limit (resent 3 times), interval (resent within min(100 ms, 2×RTT)), age (too old to be played), not_cached, budget (forwarded and resent bytes would exceed the subscriber's downlink estimate).",
		}, []string{"reason"}),
		roomsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "rooms_open",
			Help: "Rooms (calls) currently open.",
		}),
		standbyOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "standby_connections",
			Help: "Standing media connections currently open that no call has adopted (a ready agent's, a queued station's).",
		}),
		peersConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cloudwindow", Subsystem: "media", Name: "peers_connected",
			Help: "PeerConnections currently in the connected state.",
		}),
	}
	for i, name := range suppressReasonNames {
		m.resendsSuppressed[i] = m.resendsSuppressedVec.WithLabelValues(name)
	}
	if err := m.register(reg); err != nil {
		return nil, err
	}
	return m, nil
}

// register adds the series to reg; a nil reg keeps them private to the SFU.
func (m *metrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{
		m.forwardedPackets, m.forwardedBytes, m.keyframeRequests, m.lossKeyframes,
		m.nacksAnswered, m.fecPackets, m.resendsSuppressedVec, m.roomsOpen, m.standbyOpen, m.peersConnected,
	} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return fmt.Errorf("register media metrics: another SFU already uses this registerer: %w", err)
			}
			return fmt.Errorf("register media metrics: %w", err)
		}
	}
	return nil
}
