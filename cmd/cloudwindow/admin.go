package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"cloudwindow/auth"
	"cloudwindow/identity"
)

const adminUsage = `usage: cloudwindow admin <command> [flags]

commands:
  create-station    --username DEVICE-ID --name NAME --region REGION [--island]
  create-agent      --username NAME --name DISPLAY-NAME [--skills a,b] [--generalist]
  create-supervisor --username NAME --name DISPLAY-NAME
  list              [--role station|agent|supervisor|admin]
  disable           --username NAME
  enable            --username NAME
  reset-password    --username NAME
  station-link      --username DEVICE-ID [--profile standard|low_bandwidth]   show or set a station's link profile
  seed-calls        [--count 100000] [--month YYYY-MM]   synthetic calls for benchmarks (never on a real center)
  stats-rollup      [--from YYYY-MM-DD --to YYYY-MM-DD]     compute the statistics' daily roll-up again (default: every day)

Generated passwords and device secrets are printed once; note them.`

// runAdmin runs one `cloudwindow admin …` command, writing its result to
// out. args starts with the command name.
func runAdmin(ctx context.Context, s *auth.Service, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("missing command\n%s", adminUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "create-station":
		return cliCreateStation(ctx, s, rest, out)
	case "create-agent":
		return cliCreatePerson(ctx, s, identity.RoleAgent, rest, out)
	case "create-supervisor":
		return cliCreatePerson(ctx, s, identity.RoleSupervisor, rest, out)
	case "list":
		return cliList(ctx, s, rest, out)
	case "disable", "enable":
		return cliSetDisabled(ctx, s, cmd, rest, out)
	case "reset-password":
		return cliResetPassword(ctx, s, rest, out)
	case "help", "-h", "--help":
		fmt.Fprintln(out, adminUsage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, adminUsage)
}

func newFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudwindow admin "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func cliCreateStation(ctx context.Context, s *auth.Service, args []string, out io.Writer) error {
	fs := newFlags("create-station", out)
	n := auth.NewStation{Password: auth.GenerateDeviceSecret()}
	fs.StringVar(&n.Username, "username", "", "device id the kiosk logs in with")
	fs.StringVar(&n.Name, "name", "", "site name, e.g. 东海社区远程帮办点")
	fs.StringVar(&n.Region, "region", "", "street or town, e.g. 沈家门街道")
	fs.BoolVar(&n.Island, "island", false, "the site is on an island (weak link)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := s.CreateStation(ctx, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created station %s (%s, id %s)\ndevice secret: %s\n", a.Username, a.DisplayName, a.ID, n.Password)
	return nil
}

func cliCreatePerson(ctx context.Context, s *auth.Service, role identity.Role, args []string, out io.Writer) error {
	fs := newFlags("create-"+string(role), out)
	n := auth.NewAccount{Role: role, Password: auth.GeneratePassword()}
	var skills string
	fs.StringVar(&n.Username, "username", "", "login name")
	fs.StringVar(&n.DisplayName, "name", "", "name shown to residents and colleagues")
	if role == identity.RoleAgent {
		fs.StringVar(&skills, "skills", "", "comma-separated skill groups: "+strings.Join(auth.SkillGroups(), ","))
		fs.BoolVar(&n.Generalist, "generalist", false, "may take calls for any item")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	n.Skills = skillList(skills)
	a, err := s.CreateAccount(ctx, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s %s (%s, id %s)\npassword: %s\n", a.Role, a.Username, a.DisplayName, a.ID, n.Password)
	return nil
}

// skillList splits a comma-separated list, dropping blanks.
func skillList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func cliList(ctx context.Context, s *auth.Service, args []string, out io.Writer) error {
	fs := newFlags("list", out)
	role := fs.String("role", "", "only accounts of this role")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	accounts, err := s.Accounts(ctx, identity.Role(*role))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLE\tNAME\tSTATUS\tDETAIL")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, a.Role, a.DisplayName, status(a), detail(a))
	}
	return tw.Flush()
}

func status(a auth.Account) string {
	if a.Disabled {
		return "disabled"
	}
	return "enabled"
}

func detail(a auth.Account) string {
	switch {
	case a.Role == identity.RoleStation && a.Island:
		return a.Region + " (island)"
	case a.Role == identity.RoleStation:
		return a.Region
	case a.Generalist:
		return strings.Join(append([]string{"generalist"}, a.Skills...), ",")
	}
	return strings.Join(a.Skills, ",")
}

func usernameFlag(name string, args []string, out io.Writer) (string, error) {
	fs := newFlags(name, out)
	username := fs.String("username", "", "account to change")
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if *username == "" {
		return "", errors.New(name + ": --username is required")
	}
	return *username, nil
}

// cliSetDisabled runs "disable" or "enable", named by cmd.
func cliSetDisabled(ctx context.Context, s *auth.Service, cmd string, args []string, out io.Writer) error {
	username, err := usernameFlag(cmd, args, out)
	if err != nil {
		return err
	}
	a, err := s.AccountByUsername(ctx, username)
	if err != nil {
		return err
	}
	if err := s.SetDisabled(ctx, a.ID, cmd == "disable"); err != nil {
		return err
	}
	fmt.Fprintf(out, "%sd %s\n", cmd, a.Username)
	return nil
}

func cliResetPassword(ctx context.Context, s *auth.Service, args []string, out io.Writer) error {
	username, err := usernameFlag("reset-password", args, out)
	if err != nil {
		return err
	}
	a, err := s.AccountByUsername(ctx, username)
	if err != nil {
		return err
	}
	password := auth.GeneratePassword()
	if a.Role == identity.RoleStation {
		password = auth.GenerateDeviceSecret()
	}
	if err := s.SetPassword(ctx, a.ID, password); err != nil {
		return err
	}
	fmt.Fprintf(out, "new password for %s: %s\n", a.Username, password)
	return nil
}
