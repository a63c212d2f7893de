package securememory

import (
	"testing"

	"github.com/securememory/securememory-go/internal/native"
)

// The Go constants are the C enum values (the SWIG layer reads those from
// the compiled header).
func TestConstantsMatchTheHeader(t *testing.T) {
	for name, pair := range map[string][2]int{
		"SM_KIND_PROTECTED":    {int(Protected), int(native.SM_KIND_PROTECTED)},
		"SM_KIND_ENCLAVE":      {int(KindEnclave), int(native.SM_KIND_ENCLAVE)},
		"SM_PROT_NONE":         {int(ProtNone), int(native.SM_PROT_NONE)},
		"SM_PROT_READ":         {int(ProtRead), int(native.SM_PROT_READ)},
		"SM_PROT_READWRITE":    {int(ProtReadWrite), int(native.SM_PROT_READWRITE)},
		"SM_BACKEND_PAGES":     {int(Pages), int(native.SM_BACKEND_PAGES)},
		"SM_BACKEND_SECRETMEM": {int(Secretmem), int(native.SM_BACKEND_SECRETMEM)},
		"SM_BACKEND_AUTO":      {int(Auto), int(native.SM_BACKEND_AUTO)},
		"SM_LOCK_STRICT":       {int(LockStrict), int(native.SM_LOCK_STRICT)},
		"SM_LOCK_BEST_EFFORT":  {int(LockBestEffort), int(native.SM_LOCK_BEST_EFFORT)},
		"SM_LOCK_OFF":          {int(LockOff), int(native.SM_LOCK_OFF)},
		"SM_FORK_WIPE":         {int(ForkWipe), int(native.SM_FORK_WIPE)},
		"SM_FORK_KEEP":         {int(ForkKeep), int(native.SM_FORK_KEEP)},
		"SM_EXIT_RERAISE":      {ExitReraise, native.SM_EXIT_RERAISE},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s: Go %d, C %d", name, pair[0], pair[1])
		}
	}
	if len(byStatus) != native.SM_STATUS_COUNT {
		t.Fatalf("%d statuses mapped, the header has %d", len(byStatus), native.SM_STATUS_COUNT)
	}
	for st := 1; st < native.SM_STATUS_COUNT; st++ {
		if byStatus[st] == nil {
			t.Errorf("status %d (%s) has no error", st, native.Sm_status_name(native.Sm_status(st)))
		}
	}
	if Version() != native.SM_VERSION_STRING {
		t.Fatalf("the library is %s, the header %s", Version(), native.SM_VERSION_STRING)
	}
}

func TestStringers(t *testing.T) {
	for got, want := range map[string]string{
		Protected.String(): "PROTECTED", KindEnclave.String(): "ENCLAVE", Kind(5).String(): "Kind(5)",
		ProtNone.String(): "NONE", ProtRead.String(): "READ", ProtReadWrite.String(): "READWRITE",
		Prot(-1).String(): "Prot(-1)", Pages.String(): "PAGES", Secretmem.String(): "SECRETMEM",
		Auto.String(): "AUTO", Backend(4).String(): "Backend(4)",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
