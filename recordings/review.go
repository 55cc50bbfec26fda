package recordings

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cloudwindow/calls"
	"cloudwindow/store"
)

// Errors the review API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("recording not found")
	ErrDeleted  = errors.New("recording was deleted by retention")
	ErrInvalid  = errors.New("invalid request")
)

// Session is one call's recording in the review list.
type Session struct {
	CallID      string    `json:"call_id"`
	StationID   string    `json:"station_id"`
	StationName string    `json:"station_name"`
	Island      bool      `json:"island"`
	AgentID     string    `json:"agent_id"`
	AgentName   string    `json:"agent_name"`
	ItemID      string    `json:"item_id"`
	ItemName    string    `json:"item_name"`
	Category    string    `json:"category"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	DurationMs  int64     `json:"duration_ms"`
	Status      Status    `json:"status"`
	Error       string    `json:"error,omitempty"`
	LegalHold   bool      `json:"legal_hold"`
	HoldBy      string    `json:"hold_by,omitempty"`
	HoldAt      time.Time `json:"hold_at,omitzero"`
	DeletedAt   time.Time `json:"deleted_at,omitzero"`
	Rating      *Rating   `json:"rating"` // nil until the resident rates the call
}

// Rating is the resident's rating of the call (1 very unsatisfied to 5
// very satisfied); 1 and 2 are the bad ratings (差评) supervisors follow up.
type Rating struct {
	Score   int       `json:"score"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// Bad reports whether the rating is one supervisors must follow up.
func (r *Rating) Bad() bool { return r != nil && r.Score <= BadRatingMax }

// Rating bounds: scores run from MinScore to MaxScore, and a score up to
// BadRatingMax is a bad rating.
const (
	MinScore     = 1
	MaxScore     = 5
	BadRatingMax = 2
)

// SessionDetail is what the session page shows.
type SessionDetail struct {
	Session
	Call   *calls.Call   `json:"call"` // nil if signaling has no row for it
	Files  []File        `json:"files"`
	Events []calls.Event `json:"events"`
	Notes  []Note        `json:"notes"`
	// The station's link during the call, sampled from the media server.
	Link []calls.LinkSample `json:"link"`
}

// Note is a supervisor's remark pinned to a time in the recording.
type Note struct {
	ID         string    `json:"id"`
	CallID     string    `json:"call_id"`
	AtMs       int64     `json:"at_ms"`
	Text       string    `json:"text"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	CreatedAt  time.Time `json:"created_at"`
}

// ListFilter narrows the session list; zero fields match everything.
type ListFilter struct {
	From, To    time.Time // on the start time, From inclusive, To exclusive
	StationID   string
	AgentID     string
	ItemID      string
	Category    string
	Status      Status
	Island      *bool
	MinDuration time.Duration
	MaxDuration time.Duration
	MinRating   int    // 1–5; with MaxRating, leaves out sessions nobody rated
	MaxRating   int    // 1–5
	Unrated     bool   // only sessions nobody rated yet
	Limit       int    // default 50, at most 200
	Cursor      string // Page.NextCursor of the previous page
}

// Page is one page of sessions, newest first.
type Page struct {
	Sessions   []Session `json:"sessions"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// A session is its recordings row with the call's rating, if any. The
// rating is joined on its primary key, so the list still walks one of the
// recordings indexes in order and looks up the rating of each row it keeps.
const (
	sessionColumns = `r.call_id, r.station_id, r.station_name, r.island, r.agent_id, r.agent_name, r.item_id, r.item_name,
	r.category, r.started_at, r.ended_at, r.duration_ms, r.status, r.error, r.legal_hold, r.hold_by, r.hold_at, r.deleted_at,
	g.score, g.comment, g.at`
	sessionTables = `recordings r LEFT JOIN ratings g ON g.call_id = r.call_id`
)

type scanner interface{ Scan(dest ...any) error }

func scanSession(row scanner) (Session, error) {
	var s Session
	var started, ended, holdAt, deletedAt int64
	var status string
	var score, ratedAt sql.NullInt64
	var comment sql.NullString
	err := row.Scan(&s.CallID, &s.StationID, &s.StationName, &s.Island, &s.AgentID, &s.AgentName, &s.ItemID, &s.ItemName,
		&s.Category, &started, &ended, &s.DurationMs, &status, &s.Error, &s.LegalHold, &s.HoldBy, &holdAt, &deletedAt,
		&score, &comment, &ratedAt)
	s.StartedAt, s.EndedAt, s.HoldAt, s.DeletedAt = store.Time(started), store.Time(ended), store.Time(holdAt), store.Time(deletedAt)
	s.Status = Status(status)
	if score.Valid {
		s.Rating = &Rating{Score: int(score.Int64), Comment: comment.String, At: store.Time(ratedAt.Int64)}
	}
	return s, err
}

// List returns a page of sessions. Paging is by keyset on (start, call id),
// so deep pages cost the same as the first; every filter combination is
// served by one of the recordings indexes.
func (rec *Recorder) List(ctx context.Context, f ListFilter) (Page, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q, args, err := f.query(limit + 1)
	if err != nil {
		return Page{}, err
	}
	rows, err := rec.db.Query(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list recordings: %w", err)
	}
	defer rows.Close()
	page := Page{Sessions: []Session{}}
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return Page{}, fmt.Errorf("scan recording: %w", err)
		}
		page.Sessions = append(page.Sessions, s)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list recordings: %w", err)
	}
	if len(page.Sessions) > limit {
		page.Sessions = page.Sessions[:limit]
		last := page.Sessions[limit-1]
		page.NextCursor = encodeCursor(store.Millis(last.StartedAt), last.CallID)
	}
	return page, nil
}

// query is the list's SELECT for at most limit rows.
func (f ListFilter) query(limit int) (string, []any, error) {
	where, args, err := f.conditions()
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + sessionColumns + ` FROM ` + sessionTables + ` WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY r.started_at DESC, r.call_id DESC LIMIT %d`, limit), args, nil
}

func (f ListFilter) conditions() ([]string, []any, error) {
	where := []string{"1=1"}
	var args []any
	add := func(cond string, vs ...any) { where = append(where, cond); args = append(args, vs...) }
	for _, eq := range []struct{ col, v string }{{"r.station_id", f.StationID}, {"r.agent_id", f.AgentID},
		{"r.item_id", f.ItemID}, {"r.category", f.Category}, {"r.status", string(f.Status)}} {
		if eq.v != "" {
			add(eq.col+" = ?", eq.v)
		}
	}
	if !f.From.IsZero() {
		add("r.started_at >= ?", store.Millis(f.From))
	}
	if !f.To.IsZero() {
		add("r.started_at < ?", store.Millis(f.To))
	}
	if f.Island != nil {
		add("r.island = ?", *f.Island)
	}
	if f.MinDuration > 0 {
		add("r.duration_ms >= ?", f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		add("r.duration_ms <= ?", f.MaxDuration.Milliseconds())
	}
	if err := f.ratingConditions(add); err != nil {
		return nil, nil, err
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, nil, err
		}
		// The plain bound lets the index seek straight to the cursor.
		add("r.started_at <= ? AND (r.started_at < ? OR r.call_id < ?)", at, at, id)
	}
	return where, args, nil
}

// ratingConditions filters on the rating. A bound on the score is an
// EXISTS on the rating's primary key rather than a condition on the joined
// row: given the latter, SQLite starts from the ratings score index and
// sorts the result, while this keeps both planners walking a recordings
// index in list order.
func (f ListFilter) ratingConditions(add func(string, ...any)) error {
	for _, v := range []int{f.MinRating, f.MaxRating} {
		if v != 0 && (v < MinScore || v > MaxScore) {
			return fmt.Errorf("%w: a rating is %d to %d", ErrInvalid, MinScore, MaxScore)
		}
	}
	switch {
	case f.Unrated && (f.MinRating != 0 || f.MaxRating != 0):
		return fmt.Errorf("%w: unrated sessions have no rating to bound", ErrInvalid)
	case f.MaxRating != 0 && f.MinRating > f.MaxRating:
		return fmt.Errorf("%w: min_rating %d is above max_rating %d", ErrInvalid, f.MinRating, f.MaxRating)
	case f.Unrated:
		add("g.call_id IS NULL")
	case f.MinRating != 0 || f.MaxRating != 0:
		hi := f.MaxRating
		if hi == 0 {
			hi = MaxScore
		}
		add("EXISTS (SELECT 1 FROM ratings x WHERE x.call_id = r.call_id AND x.score BETWEEN ? AND ?)", max(f.MinRating, MinScore), hi)
	}
	return nil
}

func encodeCursor(at int64, callID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + callID))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	at, id, ok := strings.Cut(string(b), ":")
	n, perr := strconv.ParseInt(at, 10, 64)
	if err != nil || !ok || perr != nil {
		return 0, "", fmt.Errorf("%w: bad cursor", ErrInvalid)
	}
	return n, id, nil
}

// Session returns a session with its files, call events and notes.
func (rec *Recorder) Session(ctx context.Context, callID string) (SessionDetail, error) {
	s, err := rec.sessionRow(ctx, callID)
	if err != nil {
		return SessionDetail{}, err
	}
	d := SessionDetail{Session: s, Events: []calls.Event{}}
	if d.Files, err = rec.files(ctx, callID); err != nil {
		return SessionDetail{}, err
	}
	if d.Notes, err = rec.notes(ctx, callID); err != nil {
		return SessionDetail{}, err
	}
	cs := calls.NewStore(rec.db)
	c, err := cs.Get(ctx, callID)
	switch {
	case err == nil:
		d.Call = &c
	case !errors.Is(err, calls.ErrNotFound):
		return SessionDetail{}, err
	}
	events, err := cs.Events(ctx, callID)
	if err != nil {
		return SessionDetail{}, err
	}
	d.Events = append(d.Events, events...)
	if d.Link, err = cs.LinkSamples(ctx, callID); err != nil {
		return SessionDetail{}, err
	}
	return d, nil
}

func (rec *Recorder) sessionRow(ctx context.Context, callID string) (Session, error) {
	s, err := scanSession(rec.db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM `+sessionTables+` WHERE r.call_id = ?`, callID))
	if isNoRows(err) {
		return Session{}, fmt.Errorf("recording of call %s: %w", callID, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("get recording of call %s: %w", callID, err)
	}
	return s, nil
}

const fileColumns = `id, call_id, party, part, path, content_type, tracks, node, started_at, ended_at, duration_ms,
	size_bytes, sha256, status, error, storage, object_key`

func scanFile(row scanner) (File, error) {
	var f File
	var started, ended int64
	var status string
	err := row.Scan(&f.ID, &f.CallID, &f.Party, &f.Part, &f.Path, &f.ContentType, &f.Tracks, &f.Node, &started, &ended,
		&f.DurationMs, &f.SizeBytes, &f.SHA256, &status, &f.Error, &f.Storage, &f.ObjectKey)
	f.StartedAt, f.EndedAt, f.Status = store.Time(started), store.Time(ended), Status(status)
	return f, err
}

func (rec *Recorder) files(ctx context.Context, callID string) ([]File, error) {
	rows, err := rec.db.Query(ctx, `SELECT `+fileColumns+` FROM recording_files WHERE call_id = ? ORDER BY party, part`, callID)
	if err != nil {
		return nil, fmt.Errorf("list files of call %s: %w", callID, err)
	}
	defer rows.Close()
	out := []File{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("scan file of call %s: %w", callID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (rec *Recorder) file(ctx context.Context, callID, fileID string) (File, error) {
	f, err := scanFile(rec.db.QueryRow(ctx, `SELECT `+fileColumns+` FROM recording_files WHERE id = ? AND call_id = ?`, fileID, callID))
	if isNoRows(err) {
		return File{}, fmt.Errorf("file %s of call %s: %w", fileID, callID, ErrNotFound)
	}
	if err != nil {
		return File{}, fmt.Errorf("get file %s of call %s: %w", fileID, callID, err)
	}
	return f, nil
}
