package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"cloudwindow/auth"
	"cloudwindow/identity"
	"cloudwindow/stationlink"
)

// cliStationLink shows a station's link profile and last pre-call check, or
// with --profile sets the profile.
func cliStationLink(ctx context.Context, s *auth.Service, links *stationlink.Store, args []string, out io.Writer) error {
	fs := newFlags("station-link", out)
	username := fs.String("username", "", "station (device id)")
	profile := fs.String("profile", "", "standard, or low_bandwidth for an island or thin link; empty shows the link")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return errors.New("station-link: --username is required")
	}
	a, err := s.AccountByUsername(ctx, *username)
	if err != nil {
		return err
	}
	if a.Role != identity.RoleStation {
		return fmt.Errorf("station-link: %s is not a station", a.Username)
	}
	if *profile != "" {
		if err := links.SetProfile(ctx, a.ID, *profile); err != nil {
			return err
		}
	}
	l, err := links.Get(ctx, a.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s\n", a.Username, l.Profile)
	if c := l.LastCheck; c != nil {
		fmt.Fprintf(out, "last check %s: %d ms, %.1f %% loss, %d kbit/s down, %d kbit/s up (%s)\n",
			c.At.Format("2006-01-02 15:04"), c.RTTMs, c.LossPct, c.DownKbps, c.UpKbps, c.Quality())
	}
	return nil
}
