package securememory

import "strconv"

// Kind is how a secret is kept at rest (sm_kind). The zero value is
// Protected.
type Kind int

const (
	// Protected keeps the bytes in guarded, locked pages with no access at
	// rest, read-only while accessed (SM_KIND_PROTECTED).
	Protected Kind = 0
	// KindEnclave keeps the bytes encrypted at rest and decrypts them into
	// a guarded, locked, read-only page only while accessed; no locked
	// memory at rest (SM_KIND_ENCLAVE). (The name for it, Enclave,
	// is the enclave type of this package.)
	KindEnclave Kind = 1
	// KindProtected is Protected, named like KindEnclave.
	KindProtected = Protected
)

func (k Kind) valid() bool { return k == Protected || k == KindEnclave }

// String is "PROTECTED" or "ENCLAVE" (the names the conformance vectors
// use), or "Kind(n)".
func (k Kind) String() string {
	switch k {
	case Protected:
		return "PROTECTED"
	case KindEnclave:
		return "ENCLAVE"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Prot is a buffer's page protection (sm_prot).
type Prot int

const (
	// ProtNone: no access; any touch of Bytes() kills the process.
	ProtNone Prot = 0
	// ProtRead: read-only; a write kills the process.
	ProtRead Prot = 1
	// ProtReadWrite: read and write.
	ProtReadWrite Prot = 2
)

// String is "NONE", "READ" or "READWRITE", or "Prot(n)".
func (p Prot) String() string {
	switch p {
	case ProtNone:
		return "NONE"
	case ProtRead:
		return "READ"
	case ProtReadWrite:
		return "READWRITE"
	}
	return "Prot(" + strconv.Itoa(int(p)) + ")"
}

// Backend is where the library takes the pages that hold plaintext
// (sm_backend).
type Backend int

const (
	// Pages: anonymous private pages, guarded, locked and excluded from
	// core dumps (SM_BACKEND_PAGES, the default).
	Pages Backend = 0
	// Secretmem: memfd_secret(2) pages (Linux >= 5.14), also removed from
	// the kernel's direct map (SM_BACKEND_SECRETMEM). Init reports
	// ErrUnsupported where the kernel or this build lacks it.
	Secretmem Backend = 1
	// Auto: Secretmem where available, else Pages (SM_BACKEND_AUTO). Only
	// a setting: ActiveBackend reports what it resolved to.
	Auto Backend = 2
)

// String is "PAGES", "SECRETMEM" or "AUTO", or "Backend(n)".
func (b Backend) String() string {
	switch b {
	case Pages:
		return "PAGES"
	case Secretmem:
		return "SECRETMEM"
	case Auto:
		return "AUTO"
	}
	return "Backend(" + strconv.Itoa(int(b)) + ")"
}

// LockPolicy is what to do when memory cannot be locked against swapping
// (sm_lock_policy).
type LockPolicy int

const (
	// LockStrict fails the allocation with ErrMlock (the default).
	LockStrict LockPolicy = 0
	// LockBestEffort continues unlocked and counts it in
	// Stats.LockFailures.
	LockBestEffort LockPolicy = 1
	// LockOff never locks.
	LockOff LockPolicy = 2
)

// ForkPolicy is what a child created by fork sees of secret memory
// (sm_fork_policy).
type ForkPolicy int

const (
	// ForkWipe: the child sees zeros (MADV_WIPEONFORK; the default).
	ForkWipe ForkPolicy = 0
	// ForkKeep: the child inherits a copy.
	ForkKeep ForkPolicy = 1
)
