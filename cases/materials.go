package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// AttachMaterial attaches an accepted scan to the case as one of its item's
// materials, named in Chinese or English as the catalog lists it, and
// returns the materials list with what is now ticked. Attaching the same
// document under the same name again changes nothing.
func (s *Service) AttachMaterial(ctx context.Context, caseID, documentID, materialName string, actor identity.Identity) ([]Material, error) {
	if documentID == "" {
		return nil, fmt.Errorf("attach material to case %s: no document: %w", caseID, ErrInvalid)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if !c.HandledBy(actor) {
		return nil, fmt.Errorf("attach material to case %s: %w", c.Number, ErrForbidden)
	}
	it, err := s.cat.Item(ctx, c.ItemID)
	if err != nil {
		return nil, fmt.Errorf("materials of item %s: %w", c.ItemID, err)
	}
	m, ok := materialNamed(it, materialName)
	if !ok {
		return nil, fmt.Errorf("%q is not a material of %s (one of: %s): %w",
			materialName, it.NameZh, strings.Join(materialNames(it), ", "), ErrInvalid)
	}
	ev := s.newEvent(c, "material_attached", actor, c.State, m.NameZh)
	added := false
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO case_materials (case_id, name, document_id, attached_by, attached_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, c.ID, m.NameZh, documentID, actor.AccountID, store.Millis(ev.At))
		if err != nil {
			return fmt.Errorf("attach %s to case %s: %w", m.NameZh, c.Number, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		return insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	if added {
		s.emit(ev)
	}
	return s.Materials(ctx, c)
}

// materialNamed finds the item's material called name (Chinese exactly,
// English in any case).
func materialNamed(it catalog.Item, name string) (catalog.Material, bool) {
	name = strings.TrimSpace(name)
	for _, m := range it.Materials {
		if name != "" && (m.NameZh == name || strings.EqualFold(m.NameEn, name)) {
			return m, true
		}
	}
	return catalog.Material{}, false
}

func materialNames(it catalog.Item) []string {
	names := make([]string, len(it.Materials))
	for i, m := range it.Materials {
		names[i] = m.NameZh
	}
	return names
}

// Materials returns the item's materials list, each ticked when a document
// is attached under its name. Documents attached under a name the catalog
// no longer lists are kept at the end.
func (s *Service) Materials(ctx context.Context, c Case) ([]Material, error) {
	attached, order, err := s.attached(ctx, c)
	if err != nil {
		return nil, err
	}
	it, err := s.cat.Item(ctx, c.ItemID)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return nil, fmt.Errorf("materials of item %s: %w", c.ItemID, err)
	}
	out := []Material{}
	listed := map[string]bool{}
	for _, m := range it.Materials {
		docs := attached[m.NameZh]
		out = append(out, Material{NameZh: m.NameZh, NameEn: m.NameEn, Required: m.Required, Received: len(docs) > 0, DocumentIDs: docs})
		listed[m.NameZh] = true
	}
	for _, name := range order {
		if !listed[name] {
			out = append(out, Material{NameZh: name, Received: true, DocumentIDs: attached[name]})
		}
	}
	for i := range out {
		if out[i].DocumentIDs == nil {
			out[i].DocumentIDs = []string{}
		}
	}
	return out, nil
}

// attached maps material names to their documents, in attachment order.
func (s *Service) attached(ctx context.Context, c Case) (map[string][]string, []string, error) {
	rows, err := s.db.Query(ctx, `SELECT name, document_id FROM case_materials WHERE case_id = ?
		ORDER BY attached_at, document_id`, c.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("list materials of case %s: %w", c.Number, err)
	}
	defer rows.Close()
	byName := map[string][]string{}
	var order []string
	for rows.Next() {
		var name, doc string
		if err := rows.Scan(&name, &doc); err != nil {
			return nil, nil, fmt.Errorf("scan material of case %s: %w", c.Number, err)
		}
		if _, seen := byName[name]; !seen {
			order = append(order, name)
		}
		byName[name] = append(byName[name], doc)
	}
	return byName, order, rows.Err()
}
