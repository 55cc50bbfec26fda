package node

import (
	"math"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"cloudwindow/diskspace"
	"cloudwindow/httpapi"
)

// openDisk watches the data directory's volume: uploads keep out of the
// reserve, /readyz fails below it and /metrics shows the free bytes.
func (n *Node) openDisk() error {
	n.disk = diskspace.New(n.cfg.DataDir, uint64(max(0, n.cfg.DiskReserve)))
	free := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "cloudwindow", Name: "disk_free_bytes",
		Help: "Bytes free to the node on the data directory's volume (NaN if it cannot be measured).",
	}, func() float64 {
		b, err := n.disk.Available()
		if err != nil {
			n.log.Warn("measure free disk space", "err", err)
			return math.NaN()
		}
		return float64(b)
	})
	reserve := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "cloudwindow", Name: "disk_reserve_bytes",
		Help: "Free space kept for recordings and the store; uploads stop and /readyz fails below it.",
	})
	reserve.Set(float64(n.disk.Reserve))
	return registerAll(n.registry, free, reserve)
}

func registerAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// diskReady checks the reserve for /readyz; on false it has answered.
func (n *Node) diskReady(w http.ResponseWriter) (free uint64, ok bool) {
	free, err := n.disk.Available()
	if err != nil {
		n.log.Error("readiness: measure free disk space", "err", err)
		httpapi.WriteError(w, http.StatusServiceUnavailable, "disk_unreadable", "the free space of the data directory cannot be measured")
		return 0, false
	}
	if free < n.disk.Reserve {
		n.log.Warn("readiness: free disk space below the reserve", "free_bytes", free, "reserve_bytes", n.disk.Reserve)
		httpapi.WriteJSON(w, http.StatusServiceUnavailable, notReady{
			Error:         httpapi.Error{Code: "disk_low", Message: "free disk space is below the reserve"},
			DiskFreeBytes: free, DiskReserveBytes: n.disk.Reserve,
		})
		return free, false
	}
	return free, true
}

type notReady struct {
	Error            httpapi.Error `json:"error"`
	DiskFreeBytes    uint64        `json:"disk_free_bytes"`
	DiskReserveBytes uint64        `json:"disk_reserve_bytes"`
}
