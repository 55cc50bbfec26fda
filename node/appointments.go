package node

import (
	"context"
	"fmt"

	"cloudwindow/appointments"
	"cloudwindow/cases"
	"cloudwindow/stats"
)

// openAppointments starts bookings on the working-day calendar cases use.
func (n *Node) openAppointments() error {
	cal, err := cases.NewCalendar(n.cfg.Holidays, n.cfg.ExtraWorkdays)
	if err != nil {
		return fmt.Errorf("holiday calendar: %w", err)
	}
	n.Bookings = appointments.NewService(n.db, n.Catalog, n.Auth, n.Cases, n.Audit, appointments.Options{
		Calendar: cal, Location: n.cfg.Location, Logger: n.log,
		GroupName: stats.CategoryNames(n.Catalog.Categories()),
	})
	return nil
}

// runAppointments lapses no-shows until the node stops. Every node does it:
// the update is idempotent.
func (n *Node) runAppointments() {
	ctx, cancel := context.WithCancel(context.Background())
	prev := n.cancel
	n.cancel = func() {
		cancel()
		if prev != nil {
			prev()
		}
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.Bookings.Run(ctx, appointments.LapseInterval)
	}()
}
