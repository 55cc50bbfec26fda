package queue

import "time"

// appointmentTimer wakes the queue when the next appointment falls due, since
// that reorders the queue without anyone calling it.
type appointmentTimer struct {
	at    time.Time
	timer Timer
}

func (t *appointmentTimer) stop() {
	if t.timer != nil {
		t.timer.Stop()
	}
	*t = appointmentTimer{}
}

func (q *Local) scheduleAppointment(now, next time.Time) {
	if next.Equal(q.due.at) {
		return
	}
	q.due.stop()
	if next.IsZero() {
		return
	}
	q.due.at = next
	q.due.timer = q.clock.AfterFunc(next.Sub(now), func() { q.appointmentDue(next) })
}

func (q *Local) appointmentDue(at time.Time) {
	q.onTimer(func(time.Time) bool {
		if !q.due.at.Equal(at) {
			return false // rescheduled meanwhile
		}
		q.due = appointmentTimer{}
		return true
	})
}
