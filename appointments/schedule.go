package appointments

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"cloudwindow/auth"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// Schedule is one block of an agent's week given to one skill group.
type Schedule struct {
	ID         string `json:"id"`
	AgentID    string `json:"agent_id"`
	AgentName  string `json:"agent_name"`
	SkillGroup string `json:"skill_group"`
	Weekday    int    `json:"weekday"` // 1 Monday … 7 Sunday
	Start      string `json:"start"`   // "08:30"
	End        string `json:"end"`     // "11:30"
	Capacity   int    `json:"capacity"`
}

// MaxCapacity bounds the bookings one agent takes in one slot.
const MaxCapacity = 20

// scheduleRow is a Schedule as stored, in minutes after midnight.
type scheduleRow struct {
	agentID, group      string
	weekday, start, end int
	capacity            int
}

// Schedules lists every schedule block by weekday and start.
func (s *Service) Schedules(ctx context.Context) ([]Schedule, error) {
	rows, err := s.db.Query(ctx, `SELECT sc.id, sc.agent_id, COALESCE(a.display_name, ''), sc.skill_group, sc.weekday, sc.start_min, sc.end_min, sc.capacity
		FROM appointment_schedules sc LEFT JOIN accounts a ON a.id = sc.agent_id ORDER BY sc.weekday, sc.start_min, sc.skill_group, sc.id`)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	defer rows.Close()
	out := []Schedule{}
	for rows.Next() {
		var sc Schedule
		var start, end int
		if err := rows.Scan(&sc.ID, &sc.AgentID, &sc.AgentName, &sc.SkillGroup, &sc.Weekday, &start, &end, &sc.Capacity); err != nil {
			return nil, fmt.Errorf("scan schedule: %w", err)
		}
		sc.Start, sc.End = hhmm(start), hhmm(end)
		out = append(out, sc)
	}
	return out, rows.Err()
}

// Agent is an agent a schedule may name, with the groups they serve.
type Agent struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Groups []string `json:"groups"` // all of them for a generalist
}

// agents lists the enabled agents and the groups each may be scheduled for.
func (s *Service) agents(ctx context.Context) ([]Agent, error) {
	list, err := s.accounts.Accounts(ctx, identity.RoleAgent)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	out := []Agent{}
	for _, a := range list {
		if a.Disabled {
			continue
		}
		groups := a.Skills
		if a.Generalist {
			groups = auth.SkillGroups()
		}
		out = append(out, Agent{ID: a.ID, Name: a.DisplayName, Groups: groups})
	}
	return out, nil
}

// AddSchedule adds a block after checking it: a known agent skilled in
// the group, a weekday, a whole number of slots within the day.
func (s *Service) AddSchedule(ctx context.Context, actor identity.Identity, sc Schedule) (Schedule, error) {
	start, end, err := s.checkSchedule(ctx, sc)
	if err != nil {
		return Schedule{}, err
	}
	sc.ID = uuid.NewString()
	sc.Start, sc.End = hhmm(start), hhmm(end)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO appointment_schedules (id, agent_id, skill_group, weekday, start_min, end_min, capacity, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, sc.ID, sc.AgentID, sc.SkillGroup, sc.Weekday, start, end, sc.Capacity, actor.AccountID, store.Millis(s.now()))
		return err
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("add schedule for %s: %w", sc.AgentID, err)
	}
	return sc, nil
}

// DeleteSchedule removes a block. Bookings already made stay.
func (s *Service) DeleteSchedule(ctx context.Context, id string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM appointment_schedules WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("schedule %s: %w", id, ErrNotFound)
	}
	return nil
}

func (s *Service) checkSchedule(ctx context.Context, sc Schedule) (start, end int, err error) {
	if sc.Weekday < 1 || sc.Weekday > 7 {
		return 0, 0, fmt.Errorf("%w: weekday must be 1 (Monday) to 7 (Sunday)", ErrInvalid)
	}
	if sc.Capacity < 1 || sc.Capacity > MaxCapacity {
		return 0, 0, fmt.Errorf("%w: capacity must be 1 to %d bookings per slot", ErrInvalid, MaxCapacity)
	}
	start, okStart := parseClock(sc.Start)
	end, okEnd := parseClock(sc.End)
	slot := int(SlotLength.Minutes())
	if !okStart || !okEnd || end <= start || (end-start)%slot != 0 {
		return 0, 0, fmt.Errorf("%w: start and end must be HH:MM, end after start, a whole number of %d-minute slots apart", ErrInvalid, slot)
	}
	if !auth.ValidSkill(sc.SkillGroup) {
		return 0, 0, fmt.Errorf("%w: unknown skill group %q", ErrInvalid, sc.SkillGroup)
	}
	a, err := s.accounts.Account(ctx, sc.AgentID)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && a.Role != identity.RoleAgent) {
		return 0, 0, fmt.Errorf("%w: no agent %q", ErrInvalid, sc.AgentID)
	} else if err != nil {
		return 0, 0, fmt.Errorf("look up agent %s: %w", sc.AgentID, err)
	}
	if !a.Generalist && !slices.Contains(a.Skills, sc.SkillGroup) {
		return 0, 0, fmt.Errorf("%w: agent %s does not serve %s", ErrInvalid, a.Username, sc.SkillGroup)
	}
	return start, end, nil
}

// loadSchedules reads the blocks of one weekday.
func (s *Service) loadSchedules(ctx context.Context, weekday int) ([]scheduleRow, error) {
	rows, err := s.db.Query(ctx, `SELECT agent_id, skill_group, weekday, start_min, end_min, capacity
		FROM appointment_schedules WHERE weekday = ?`, weekday)
	if err != nil {
		return nil, fmt.Errorf("read schedules of weekday %d: %w", weekday, err)
	}
	defer rows.Close()
	var out []scheduleRow
	for rows.Next() {
		var r scheduleRow
		if err := rows.Scan(&r.agentID, &r.group, &r.weekday, &r.start, &r.end, &r.capacity); err != nil {
			return nil, fmt.Errorf("scan schedule: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

func parseClock(s string) (int, bool) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); n != 2 || err != nil || len(s) != 5 {
		return 0, false
	}
	if h < 0 || h > 24 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, false
	}
	return h*60 + m, true
}
