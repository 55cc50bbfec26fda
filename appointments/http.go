package appointments

import (
	"net/http"
	"time"

	"cloudwindow/cases"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Routes serves the booking API:
//
//	GET    /api/v1/appointments/open                 whether the center is open now and takes bookings (stations)
//	GET    /api/v1/appointments/slots?item_id=       the coming days' slots of an item's group (stations, agents, supervisors, admins)
//	POST   /api/v1/appointments                      book; answers the booking and its printable slip (stations, agents)
//	GET    /api/v1/appointments/due                  this station's bookings due now (stations)
//	POST   /api/v1/appointments/lookup               a booking by code and phone's last 4 digits (stations, supervisors, admins)
//	POST   /api/v1/appointments/cancel               cancel by code (same)
//	POST   /api/v1/appointments/reschedule           move by code to another slot (same)
//	GET    /api/v1/appointments/day?date=            a day's bookings per group and station (supervisors, admins)
//	GET    /api/v1/appointments/schedules            the agents' schedules (supervisors, admins)
//	POST   /api/v1/appointments/schedules            add a schedule block (supervisors, admins)
//	DELETE /api/v1/appointments/schedules/{id}       remove one (supervisors, admins)
//
// Changes and supervisors' views are audited; names and phones are masked.
func (s *Service) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	station, staff := identity.RoleStation, []identity.Role{identity.RoleSupervisor, identity.RoleAdmin}
	h := &handlers{s}
	mux.HandleFunc("GET /api/v1/appointments/open", httpapi.Require(v, h.open, station))
	mux.HandleFunc("GET /api/v1/appointments/slots", httpapi.Require(v, h.slots, station, identity.RoleAgent, staff[0], staff[1]))
	mux.HandleFunc("POST /api/v1/appointments", httpapi.Require(v, h.book, station, identity.RoleAgent))
	mux.HandleFunc("GET /api/v1/appointments/due", httpapi.Require(v, h.due, station))
	mux.HandleFunc("POST /api/v1/appointments/lookup", httpapi.Require(v, h.lookup, station, staff[0], staff[1]))
	mux.HandleFunc("POST /api/v1/appointments/cancel", httpapi.Require(v, h.cancel, station, staff[0], staff[1]))
	mux.HandleFunc("POST /api/v1/appointments/reschedule", httpapi.Require(v, h.reschedule, station, staff[0], staff[1]))
	mux.HandleFunc("GET /api/v1/appointments/day", httpapi.Require(v, h.day, staff...))
	mux.HandleFunc("GET /api/v1/appointments/schedules", httpapi.Require(v, h.schedules, staff...))
	mux.HandleFunc("POST /api/v1/appointments/schedules", httpapi.Require(v, h.addSchedule, staff...))
	mux.HandleFunc("DELETE /api/v1/appointments/schedules/{id}", httpapi.Require(v, h.deleteSchedule, staff...))
}

type handlers struct{ s *Service }

var errorCodes = []httpapi.ErrorCode{
	{Err: ErrInvalid, Status: http.StatusBadRequest, Code: "invalid"},
	{Err: ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: ErrForbidden, Status: http.StatusForbidden, Code: "forbidden"},
	{Err: ErrFull, Status: http.StatusConflict, Code: "slot_full"},
	{Err: ErrConflict, Status: http.StatusConflict, Code: "conflict"},
}

func (h *handlers) fail(w http.ResponseWriter, err error, what string) {
	httpapi.WriteErrorFrom(w, h.s.log, err, errorCodes, what)
}

// record audits an action before it happens: one that can't be audited
// must not happen.
func (h *handlers) record(w http.ResponseWriter, r *http.Request, action, objectType, id, detail string) bool {
	actor, _ := httpapi.IdentityFrom(r.Context())
	if err := h.s.audit.Record(r.Context(), actor, action, objectType, id, httpapi.RemoteAddr(r), detail); err != nil {
		h.s.log.Error("audit booking action", "action", action, "object", id, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the action could not be audited and was not done")
		return false
	}
	return true
}

func (h *handlers) open(w http.ResponseWriter, r *http.Request) {
	open, inUse, err := h.s.Open(r.Context())
	if err != nil {
		h.fail(w, err, "opening check")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]bool{"open": open, "bookable": inUse})
}

func (h *handlers) slots(w http.ResponseWriter, r *http.Request) {
	it, err := h.s.cat.Item(r.Context(), r.URL.Query().Get("item_id"))
	if err != nil || !it.Enabled {
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such service item")
		return
	}
	days, err := h.s.Days(r.Context(), it.SkillGroup)
	if err != nil {
		h.fail(w, err, "list slots")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"item_id": it.ID, "skill_group": it.SkillGroup, "days": days})
}

// bookingReply is a booking with its printable slip.
type bookingReply struct {
	Booking Booking `json:"booking"`
	Slip    string  `json:"slip_html"`
}

func (h *handlers) reply(w http.ResponseWriter, status int, b Booking) {
	slip, err := Slip(b)
	if err != nil {
		h.s.log.Error("render booking slip", "code", b.Code, "err", err)
	}
	httpapi.WriteJSON(w, status, bookingReply{Booking: b, Slip: slip})
}

func (h *handlers) book(w http.ResponseWriter, r *http.Request) {
	var nb NewBooking
	if !httpapi.DecodeJSON(w, r, &nb, 0) {
		return
	}
	if !h.record(w, r, "appointment.book", "appointment", nb.CaseID, "item "+nb.ItemID+" at "+nb.At.Format(time.RFC3339)) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	b, err := h.s.Book(r.Context(), actor, nb)
	if err != nil {
		h.fail(w, err, "book")
		return
	}
	h.reply(w, http.StatusCreated, b)
}

func (h *handlers) due(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	list, err := h.s.Due(r.Context(), actor.AccountID)
	if err != nil {
		h.fail(w, err, "due bookings")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"bookings": list})
}

// codeRequest names a booking by its code, with the phone's last 4 digits
// at a station; At is the new slot of a reschedule.
type codeRequest struct {
	Code       string    `json:"code"`
	PhoneLast4 string    `json:"phone_last4"`
	At         time.Time `json:"at"`
}

func (h *handlers) byCode(w http.ResponseWriter, r *http.Request, action string, fn func(identity.Identity, codeRequest) (Booking, error)) {
	var c codeRequest
	if !httpapi.DecodeJSON(w, r, &c, 0) {
		return
	}
	if !h.record(w, r, action, "appointment", c.Code, "") {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	b, err := fn(actor, c)
	if err != nil {
		h.fail(w, err, action)
		return
	}
	h.reply(w, http.StatusOK, b)
}

func (h *handlers) lookup(w http.ResponseWriter, r *http.Request) {
	h.byCode(w, r, "appointment.view", func(a identity.Identity, c codeRequest) (Booking, error) {
		return h.s.ByCode(r.Context(), a, c.Code, c.PhoneLast4)
	})
}

func (h *handlers) cancel(w http.ResponseWriter, r *http.Request) {
	h.byCode(w, r, "appointment.cancel", func(a identity.Identity, c codeRequest) (Booking, error) {
		return h.s.Cancel(r.Context(), a, c.Code, c.PhoneLast4)
	})
}

func (h *handlers) reschedule(w http.ResponseWriter, r *http.Request) {
	h.byCode(w, r, "appointment.reschedule", func(a identity.Identity, c codeRequest) (Booking, error) {
		return h.s.Reschedule(r.Context(), a, c.Code, c.PhoneLast4, c.At)
	})
}

func (h *handlers) day(w http.ResponseWriter, r *http.Request) {
	day := h.s.now()
	if d := r.URL.Query().Get("date"); d != "" {
		t, err := time.ParseInLocation(cases.DateLayout, d, h.s.opts.Location)
		if err != nil {
			httpapi.WriteError(w, http.StatusBadRequest, "invalid", "date must be YYYY-MM-DD")
			return
		}
		day = t
	}
	if !h.record(w, r, "appointment.list", "appointment_day", day.Format(cases.DateLayout), "") {
		return
	}
	v, err := h.s.Day(r.Context(), day)
	if err != nil {
		h.fail(w, err, "day's bookings")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

func (h *handlers) schedules(w http.ResponseWriter, r *http.Request) {
	list, err := h.s.Schedules(r.Context())
	if err != nil {
		h.fail(w, err, "list schedules")
		return
	}
	agents, err := h.s.agents(r.Context())
	if err != nil {
		h.fail(w, err, "list agents")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"schedules": list, "agents": agents, "slot_minutes": int(SlotLength.Minutes())})
}

func (h *handlers) addSchedule(w http.ResponseWriter, r *http.Request) {
	var sc Schedule
	if !httpapi.DecodeJSON(w, r, &sc, 0) {
		return
	}
	if !h.record(w, r, "appointment.schedule_add", "agent", sc.AgentID, sc.SkillGroup+" "+sc.Start+"-"+sc.End) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	out, err := h.s.AddSchedule(r.Context(), actor, sc)
	if err != nil {
		h.fail(w, err, "add schedule")
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, out)
}

func (h *handlers) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !h.record(w, r, "appointment.schedule_delete", "appointment_schedule", id, "") {
		return
	}
	if err := h.s.DeleteSchedule(r.Context(), id); err != nil {
		h.fail(w, err, "delete schedule")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]bool{"deleted": true})
}
