//go:build linux && (amd64 || arm64)

package native

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Elsewhere than linux/amd64 and linux/arm64, or without cgo, the build
// stops with an error that names the reason.
func TestUnsupportedBuildsFailClearly(t *testing.T) {
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=1"}, "securememory_builds_only_on_linux_amd64_and_linux_arm64"},
		{[]string{"GOOS=linux", "GOARCH=386", "CGO_ENABLED=1"}, "securememory_builds_only_on_linux_amd64_and_linux_arm64"},
		{[]string{"GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=1"}, "securememory_builds_only_on_linux_amd64_and_linux_arm64"},
		{[]string{"CGO_ENABLED=0"}, "securememory_needs_cgo_set_CGO_ENABLED_1_and_install_a_C_compiler"},
	} {
		cmd := exec.Command(gocmd, "build", ".")
		cmd.Env = append(append(os.Environ(), "GOFLAGS=-buildvcs=false"), tt.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "undefined: "+tt.want) {
			t.Errorf("%v: err %v, output:\n%s", tt.env, err, out)
		}
	}
}
