package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v2"
)

// composeSamples stand in for the variables docker-compose.yml asks the
// operator for.
var composeSamples = map[string]string{"PUBLIC_IP": "203.0.113.10", "TURN_SECRET": "s3cret", "TICKET_SECRET": "t1cket"}

// TestComposeSetsOnlyRealFlags checks that every CLOUDWINDOW_ variable
// docker-compose.yml gives a node is a flag of cloudwindow, with a value
// the flag accepts: a misspelt one would be ignored without a word.
func TestComposeSetsOnlyRealFlags(t *testing.T) {
	env := composeEnvironment(t, "../../docker-compose.yml")
	if len(env) == 0 {
		t.Fatal("docker-compose.yml sets no CLOUDWINDOW_ variables")
	}
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "CLOUDWINDOW_")), "_", "-")
		if _, _, err := parseConfig([]string{"--" + flag + "=" + env[name]}); err != nil {
			t.Errorf("%s=%s in docker-compose.yml: %v", name, env[name], err)
		}
	}
}

// composeEnvironment returns the CLOUDWINDOW_ variables every service of
// the compose file sets, with ${…} filled in from composeSamples.
func composeEnvironment(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read compose file: %v", err)
	}
	var doc struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse compose file: %v", err)
	}
	subst := regexp.MustCompile(`\$\{([A-Z_]+)[^}]*\}`)
	env := map[string]string{}
	for _, svc := range doc.Services {
		for name, value := range svc.Environment {
			if strings.HasPrefix(name, "CLOUDWINDOW_") {
				env[name] = subst.ReplaceAllStringFunc(value, func(m string) string {
					return composeSamples[subst.FindStringSubmatch(m)[1]]
				})
			}
		}
	}
	return env
}
