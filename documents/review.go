package documents

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/identity"
)

// forAgent loads a document and checks that actor is the agent of its call.
func (s *Service) forAgent(ctx context.Context, id string, actor identity.Identity) (Document, calls.Call, error) {
	d, err := s.Get(ctx, id)
	if err != nil {
		return Document{}, calls.Call{}, err
	}
	c, err := s.call(ctx, d.CallID)
	if err != nil {
		return Document{}, calls.Call{}, err
	}
	if !isCallAgent(actor, c) {
		return Document{}, calls.Call{}, fmt.Errorf("document %s: not the call's agent: %w", id, ErrForbidden)
	}
	return d, c, nil
}

// RequestRescan marks a scan as not good enough; the OnDocument hook tells
// the station to take it again. An accepted scan cannot be sent back.
func (s *Service) RequestRescan(ctx context.Context, id string, actor identity.Identity) (Document, error) {
	d, _, err := s.forAgent(ctx, id, actor)
	if err != nil {
		return Document{}, err
	}
	switch d.Status {
	case StatusRescanRequested:
		return d, nil
	case StatusAccepted:
		return Document{}, fmt.Errorf("document %s is already accepted as %s: %w", id, d.Material, ErrConflict)
	}
	return s.setStatus(ctx, d, StatusRescanRequested, "", "")
}

// Accept attaches a scan to its call's case as the named material (one of
// the item's materials list) and returns the case's materials, ticked.
func (s *Service) Accept(ctx context.Context, id string, actor identity.Identity, material string) (Document, []cases.Material, error) {
	d, c, err := s.forAgent(ctx, id, actor)
	if err != nil {
		return Document{}, nil, err
	}
	cs, err := s.cfg.Cases.ForCall(ctx, c.ID)
	if err != nil {
		return Document{}, nil, fmt.Errorf("accept document %s: %w", id, caseError(err))
	}
	materials, err := s.cfg.Cases.AttachMaterial(ctx, cs.ID, d.ID, material, actor)
	if err != nil {
		return Document{}, nil, fmt.Errorf("accept document %s: %w", id, caseError(err))
	}
	for _, m := range materials {
		if strings.TrimSpace(material) == m.NameZh || strings.EqualFold(strings.TrimSpace(material), m.NameEn) {
			material = m.NameZh // the catalog's name, whatever language the agent used
		}
	}
	d, err = s.setStatus(ctx, d, StatusAccepted, cs.ID, material)
	if err != nil {
		return Document{}, nil, err
	}
	return d, materials, nil
}

// caseError carries a case refusal over to this package's errors, so the
// HTTP layer answers it the same way.
func caseError(err error) error {
	switch {
	case errors.Is(err, cases.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, cases.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, cases.ErrForbidden):
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	case errors.Is(err, cases.ErrConflict):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// open returns the stored bytes of d.
func (s *Service) open(d Document) (*os.File, error) {
	f, err := os.Open(filepath.Join(s.dataDir, d.path))
	if err != nil {
		return nil, fmt.Errorf("open document %s: %w", d.ID, err)
	}
	return f, nil
}
