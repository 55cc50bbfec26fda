package signaling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudwindow/appointments"
	"cloudwindow/queue"
)

// Appointments checks the booking a station's call request names (the
// appointments service).
type Appointments interface {
	// Arrive checks that the booking exists, is this station's and this
	// item's and is due now, marks it arrived and returns its slot time.
	Arrive(ctx context.Context, id, stationID, itemID, requestID string) (time.Time, error)
}

// checkAppointment verifies the booking a call request names instead of
// trusting the station, and gives the request its slot time, from which
// the queue puts it ahead of plain requests.
func (s *Server) checkAppointment(ctx context.Context, req *queue.Request) error {
	if req.AppointmentID == "" {
		return nil
	}
	if s.deps.Appointments == nil {
		return protoErr(CodeNotFound, "bookings are not kept on this server")
	}
	at, err := s.deps.Appointments.Arrive(ctx, req.AppointmentID, req.StationID, req.ItemID, req.ID)
	switch {
	case errors.Is(err, appointments.ErrNotFound):
		return protoErr(CodeNotFound, "no booking %s", req.AppointmentID)
	case errors.Is(err, appointments.ErrForbidden):
		return protoErr(CodeForbidden, "%s", err.Error())
	case errors.Is(err, appointments.ErrInvalid), errors.Is(err, appointments.ErrConflict):
		return protoErr(CodeInvalidState, "%s", err.Error())
	case err != nil:
		return fmt.Errorf("check booking %s: %w", req.AppointmentID, err)
	}
	req.AppointmentAt = at
	return nil
}
