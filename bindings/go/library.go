package securememory

import (
	"time"

	"github.com/securememory/securememory-go/internal/native"
)

// Config holds the library settings for Init. The zero value is the
// core's defaults: strict locking, wipe on fork, core dumps left alone,
// re-key every 500 ms, the Pages backend.
type Config struct {
	// LockPolicy: what to do when memory cannot be locked (default
	// LockStrict: fail with ErrMlock).
	LockPolicy LockPolicy
	// ForkPolicy: what a forked child sees (default ForkWipe: zeros).
	ForkPolicy ForkPolicy
	// DisableCoreDumps lowers the soft RLIMIT_CORE of the process to 0.
	DisableCoreDumps bool
	// RekeyInterval is how often a background thread re-keys the coffer
	// (the key that seals enclaves): 0 means the default (500 ms), a
	// negative value never. It is rounded down to whole milliseconds.
	RekeyInterval time.Duration
	// Backend is where plaintext pages come from (default Pages). It can
	// change only until the library first takes memory for plaintext;
	// after that, asking for another backend fails with ErrInvalid.
	Backend Backend
}

// Init applies cfg (sm_init). Calling it is optional: the library
// initialises itself with the defaults on first use. It may be called
// again; new settings apply to allocations made afterwards.
//
// Errors: ErrInvalid (a field out of range, a rekey interval above
// 2^32-1 ms, or a backend other than the one in force once memory was
// taken), ErrUnsupported (libsodium failed, core dumps could not be
// disabled, or Secretmem without memfd_secret). Safe for concurrent use.
func Init(cfg Config) error {
	for _, v := range []int{int(cfg.LockPolicy), int(cfg.ForkPolicy), int(cfg.Backend)} {
		if !fitsCInt(v) {
			return ErrInvalid // the core would see a truncated value
		}
	}
	c := native.NewSm_config()
	defer native.DeleteSm_config(c)
	native.Sm_config_default(c)
	c.SetLock_policy(native.Sm_lock_policy(cfg.LockPolicy))
	c.SetFork_policy(native.Sm_fork_policy(cfg.ForkPolicy))
	if cfg.DisableCoreDumps {
		c.SetDisable_core_dumps(1)
	}
	switch ms := cfg.RekeyInterval.Milliseconds(); {
	case cfg.RekeyInterval < 0:
		c.SetRekey_interval_ms(0)
	case cfg.RekeyInterval == 0:
		// the default from sm_config_default
	case ms > 1<<32-1:
		return ErrInvalid
	default:
		c.SetRekey_interval_ms(uint(ms))
	}
	c.SetBackend(native.Sm_backend(cfg.Backend))
	return statusError(native.Sm_init(c))
}

// fitsCInt reports whether v survives the conversion to a C int (the
// C enums).
func fitsCInt(v int) bool { return v >= -1<<31 && v <= 1<<31-1 }

// ActiveBackend is the backend in force: Pages or Secretmem, never Auto
// (sm_backend_active). Safe for concurrent use.
func ActiveBackend() Backend { return Backend(native.Sm_backend_active()) }

// Version is the C library's version string, e.g. "0.1.0" (sm_version).
func Version() string { return native.Sm_version() }

// PageSize is the system page size in bytes.
func PageSize() int { return int(native.Sm_page_size()) }

// Purge wipes and releases every live Buffer and closes every live Secret
// (their objects stay valid and report not alive / closed), and destroys
// the key that seals enclaves, so enclaves sealed before the purge can no
// longer be opened (ErrAuth). A stream that held data loses it for good.
//
// It waits for accesses in flight (WithBytes on other goroutines) to end.
// Calling it from inside a WithBytes action deadlocks: return first. Safe
// for concurrent use; may be called any number of times.
func Purge() { native.Sm_purge() }

// Exit purges (see Purge), then ends the process with code through the C
// library's exit(3) (sm_exit): deferred functions do not run. It never
// returns.
func Exit(code int) {
	native.Sm_exit(code)
	panic("unreachable: sm_exit returned")
}

// Wipe overwrites b with zeros in a way the compiler cannot remove
// (sm_wipe). Use it on copies you make of secret bytes (CopyTo, the
// secret's reader, Stream.Read).
func Wipe(b []byte) {
	if len(b) > 0 {
		native.Sm_wipe(b)
	}
}

// Stats are counters about the library's memory (sm_stats). All counts
// cover the whole process, including objects of other bindings or C code
// in the same process.
type Stats struct {
	LiveBuffers          uint64 // guarded buffers alive (public and internal ones)
	BytesInUse           uint64 // data bytes held by live buffers
	BytesLocked          uint64 // bytes mlocked by the library
	PeakBytesLocked      uint64 // highest BytesLocked seen
	LockFailures         uint64 // allocations left unlocked under LockBestEffort
	LiveSecretsProtected uint64 // open secrets of kind Protected
	LiveSecretsEnclave   uint64 // open secrets of kind KindEnclave
	LiveEnclaves         uint64 // enclaves alive, including those inside streams and secrets
	MappedBytes          uint64 // address space held by live guarded buffers, guards included
	BytesLockedCached    uint64 // bytes still locked by released pool slots kept for reuse
}

// GetStats reads the current counters (sm_stats_get). Safe for concurrent
// use; each counter is read atomically, not the set as a whole.
func GetStats() Stats {
	s := native.NewSm_stats()
	defer native.DeleteSm_stats(s)
	s.SetSize(int64(native.Sm_go_stats_size()))
	if native.Sm_stats_get(s) != native.SM_OK {
		return Stats{} // only for a size the core refuses: not reachable
	}
	return Stats{
		LiveBuffers:          s.GetLive_buffers(),
		BytesInUse:           s.GetBytes_in_use(),
		BytesLocked:          s.GetBytes_locked(),
		PeakBytesLocked:      s.GetPeak_bytes_locked(),
		LockFailures:         s.GetLock_failures(),
		LiveSecretsProtected: s.GetLive_secrets_protected(),
		LiveSecretsEnclave:   s.GetLive_secrets_enclave(),
		LiveEnclaves:         s.GetLive_enclaves(),
		MappedBytes:          s.GetMapped_bytes(),
		BytesLockedCached:    s.GetBytes_locked_cached(),
	}
}
