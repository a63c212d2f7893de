package securememory_test

// The shared conformance vectors (tests/vectors/*.json): one subtest per
// scenario, named <file stem>/<scenario name>. Scenarios that require a
// capability this runner lacks ("core": internal functions of the C
// library) are skipped with "not applicable: requires core", never passed.
//
// The runner is checked too: every deliberately wrong vector of
// tests/c/vectors/selfcheck/ must fail for the reason its
// expected_failures.txt lists (the same step and wording, except for JSON
// parser messages, whose wording is the C parser's).

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func vectorsDir(t *testing.T) string {
	if d := os.Getenv("SECUREMEMORY_VECTORS_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), "tests", "vectors")
}

func TestVectors(t *testing.T) {
	cases, err := loadCases(vectorsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Fatalf("only %d scenarios in %s", len(cases), vectorsDir(t))
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			if c.err != nil {
				t.Fatal(c.err)
			}
			if reason := notApplicable(c.scenario); reason != "" {
				t.Skip(reason)
			}
			if err := runScenario(c.scenario); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// outcome is "failed" with the message, "passed", or "n/a" with the reason.
func outcome(c vcase) (string, string) {
	if c.err != nil {
		return "failed", c.err.Error()
	}
	if reason := notApplicable(c.scenario); reason != "" {
		return "n/a", reason
	}
	if err := runScenario(c.scenario); err != nil {
		return "failed", err.Error()
	}
	return "passed", ""
}

func expectedFailures(t *testing.T, dir string) map[string]string {
	data, err := os.ReadFile(filepath.Join(dir, "expected_failures.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, fragment, _ := strings.Cut(line, " | ")
		out[strings.TrimSpace(name)] = strings.TrimSpace(fragment)
	}
	return out
}

var stepPrefix = regexp.MustCompile(`^step \d+ \([^)]*\): `)

func TestVectorRunnerSelfcheck(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "tests", "c", "vectors", "selfcheck")
	expected := expectedFailures(t, dir)
	if len(expected) < 20 {
		t.Fatalf("only %d entries in the selfcheck list", len(expected))
	}
	cases, err := loadCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]vcase{}
	for _, c := range cases {
		byID[c.id] = c
		if _, listed := expected[c.id]; !listed {
			t.Errorf("%s is a selfcheck vector missing from expected_failures.txt", c.id)
		}
	}
	names := make([]string, 0, len(expected))
	for n := range expected {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		fragment := expected[name]
		t.Run(name, func(t *testing.T) {
			c, ok := byID[name]
			if !ok {
				t.Fatalf("%s was never run", name)
			}
			state, msg := outcome(c)
			switch {
			case state == "n/a":
				t.Skip(msg)
			case state != "failed":
				t.Fatalf("%s passed: the runner accepted a wrong vector", name)
			case strings.HasSuffix(name, "/(file)") && strings.HasPrefix(fragment, "JSON error"):
				if !strings.HasPrefix(msg, "JSON error") {
					t.Fatalf("failed with %q, expected a JSON error", msg)
				}
			default:
				if p := stepPrefix.FindString(fragment); p != "" && !strings.HasPrefix(msg, p) {
					t.Fatalf("failed with %q, expected it to start with %q", msg, p)
				}
				if !strings.Contains(msg, fragment) {
					t.Fatalf("failed with %q, expected %q in it", msg, fragment)
				}
			}
		})
	}
}
