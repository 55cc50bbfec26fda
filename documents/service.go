package documents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// Defaults for Config.
const (
	DefaultMaxSize   = 20 << 20
	DefaultChunkSize = 256 << 10
	maxChunkSize     = 4 << 20
	// DefaultChunkTimeout is how long one chunk may take to arrive: a
	// 4 MiB chunk over a weak island 4G link, where the HTTP server's read
	// timeout is much shorter.
	DefaultChunkTimeout = 2 * time.Minute
)

// Cases is what accepting a scan needs from the case service
// (*cases.Service provides it).
type Cases interface {
	ForCall(ctx context.Context, callID string) (cases.Case, error)
	AttachMaterial(ctx context.Context, caseID, documentID, materialName string, actor identity.Identity) ([]cases.Material, error)
}

// Config wires a Service.
type Config struct {
	DataDir string // scans go under DataDir/documents
	DB      *store.DB
	Calls   *calls.Store
	Cases   Cases
	Audit   *audit.Log

	MaxSize   int64 // bytes per file; default DefaultMaxSize
	ChunkSize int   // bytes per chunk for new uploads; default DefaultChunkSize
	// ChunkTimeout is the read deadline of one chunk request; default DefaultChunkTimeout.
	ChunkTimeout time.Duration
	Limits       Limits
	Space        Space // the disk reserve; nil: not checked

	// OnDocument is told of a new scan and of every change of its status,
	// after it is stored, on the request's goroutine: it must not block.
	// Signaling uses it to show a scan to the agent at once and to ask
	// the station for a re-scan.
	OnDocument func(Document)

	Logger *slog.Logger // nil: logs nowhere
	Now    func() time.Time
}

// Service stores scans and serves them.
type Service struct {
	cfg     Config
	db      *store.DB
	dataDir string
	log     *slog.Logger
	now     func() time.Time
}

// New checks cfg and prepares the documents directory.
func New(cfg Config) (*Service, error) {
	if cfg.DataDir == "" || cfg.DB == nil || cfg.Calls == nil || cfg.Cases == nil || cfg.Audit == nil {
		return nil, errors.New("documents: DataDir, DB, Calls, Cases and Audit are required")
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ChunkTimeout <= 0 {
		cfg.ChunkTimeout = DefaultChunkTimeout
	}
	if cfg.ChunkSize > maxChunkSize {
		return nil, fmt.Errorf("documents: chunk size %d is over the limit of %d", cfg.ChunkSize, maxChunkSize)
	}
	cfg.Limits.setDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, db: cfg.DB, dataDir: cfg.DataDir, log: cfg.Logger, now: cfg.Now}
	if err := os.MkdirAll(s.uploadsDir(), 0o750); err != nil {
		return nil, fmt.Errorf("create documents directory: %w", err)
	}
	return s, nil
}

func (s *Service) uploadsDir() string { return filepath.Join(s.dataDir, "documents", "uploads") }

// call returns the call a document or upload belongs to.
func (s *Service) call(ctx context.Context, callID string) (calls.Call, error) {
	c, err := s.cfg.Calls.Get(ctx, callID)
	if errors.Is(err, calls.ErrNotFound) {
		return calls.Call{}, fmt.Errorf("call %s: %w", callID, ErrNotFound)
	}
	return c, err
}

// isCallAgent reports whether id is the agent of call c.
func isCallAgent(id identity.Identity, c calls.Call) bool {
	return id.Role == identity.RoleAgent && id.AccountID != "" && id.AccountID == c.AgentID
}

// isCallStation reports whether id is the station of call c.
func isCallStation(id identity.Identity, c calls.Call) bool {
	return id.Role == identity.RoleStation && id.AccountID != "" && id.AccountID == c.StationID
}

// mayView reports whether id may see the content of c's documents: any
// agent who is or was in the call (its first agent, the agent a transfer
// went to, the back office consulted), supervisors and admins. Stations
// never read scans back.
func (s *Service) mayView(ctx context.Context, id identity.Identity, c calls.Call) (bool, error) {
	switch {
	case id.Role == identity.RoleSupervisor || id.Role == identity.RoleAdmin || isCallAgent(id, c):
		return true, nil
	case id.Role != identity.RoleAgent:
		return false, nil
	}
	return s.cfg.Calls.Participated(ctx, c.ID, id.AccountID)
}

// mayList adds the call's own station to mayView: it sees what it sent
// and whether the agent wants a re-scan.
func (s *Service) mayList(ctx context.Context, id identity.Identity, c calls.Call) (bool, error) {
	if isCallStation(id, c) {
		return true, nil
	}
	return s.mayView(ctx, id, c)
}
