package main

// The whole-process scan, in C so that it can run from an atexit(3) hook,
// after the binding's purge and at the very end of the process (the Go
// side never calls back into C callbacks; C never calls into Go).
//
// It reads every mapping of the process through /proc/self/mem (which
// also reads pages kept PROT_NONE) and counts the places where any 16-byte
// window of a secret appears. It holds no plaintext to compare with: Go
// hands it two polynomial hashes of every window (computed inside
// WithBytes), a rolling hash finds candidates, the second hash confirms.
// Its read buffer is wiped after each scan.

/*
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define W 16
#define SLOTS 4096
#define CHUNK (1 << 20)

static uint64_t b1 = 1099511628211ULL, b2 = 6364136223846793005ULL;
static uint64_t want1[SLOTS], want2[SLOTS]; // open addressing on want1
static int report_fd = -1;
static unsigned char buf[CHUNK + W];

void scan_add(uint64_t h1, uint64_t h2) {
	unsigned i = (unsigned)(h1 % SLOTS);
	while (want1[i] != 0 || want2[i] != 0) i = (i + 1) % SLOTS;
	want1[i] = h1;
	want2[i] = h2;
}

static int wanted(uint64_t h1, const unsigned char *p) {
	for (unsigned i = (unsigned)(h1 % SLOTS); want1[i] != 0 || want2[i] != 0; i = (i + 1) % SLOTS) {
		if (want1[i] != h1) continue;
		uint64_t h2 = 0;
		for (int k = 0; k < W; k++) h2 = h2 * b2 + p[k];
		if (h2 == want2[i]) return 1;
	}
	return 0;
}

// Counts the windows found in [lo, hi), a run of pages that hold data.
static long scan_run(int mem, uint64_t lo, uint64_t hi) {
	uint64_t pw = 1;
	for (int k = 0; k < W - 1; k++) pw *= b1;
	long found = 0;
	for (uint64_t at = lo; at < hi; at += CHUNK) {
		size_t want = (size_t)((hi - at) < CHUNK + W - 1 ? (hi - at) : CHUNK + W - 1);
		ssize_t n = pread(mem, buf, want, (off_t)at);
		if (n < W) continue; // unreadable (or too short): nothing to find
		uint64_t h = 0;
		for (int k = 0; k < W; k++) h = h * b1 + buf[k];
		for (ssize_t i = 0;; i++) {
			if (wanted(h, buf + i)) found++;
			if (i + W >= n || i + 1 >= CHUNK) break;
			h = (h - buf[i] * pw) * b1 + buf[i + W];
		}
	}
	return found;
}

// Counts the windows found in the mapping [lo, hi). Only pages that hold
// data are read (present in RAM or swapped out, per /proc/self/pagemap):
// the others read as zeros and hold nothing, and the Go runtime and malloc
// reserve gigabytes of them.
static long scan_mapping(int mem, int pagemap, uint64_t lo, uint64_t hi) {
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t entries[512];
	uint64_t run = 0; // start of the current run of data pages, 0 for none
	long found = 0;
	for (uint64_t at = lo; at < hi;) {
		uint64_t count = (hi - at) / page;
		if (count > 512) count = 512;
		ssize_t n = pread(pagemap, entries, count * 8, (off_t)(at / page * 8));
		if (n <= 0) { // no page map: read it all
			return found + scan_run(mem, run ? run : at, hi);
		}
		for (ssize_t i = 0; i < n / 8; i++, at += page) {
			int data = (entries[i] >> 63) & 1 || (entries[i] >> 62) & 1;
			if (data && run == 0) run = at;
			if (!data && run != 0) {
				found += scan_run(mem, run, at);
				run = 0;
			}
		}
	}
	if (run != 0) found += scan_run(mem, run, hi);
	return found;
}

// Counts the windows found anywhere in the process; -1 when /proc is
// unreadable.
long scan_process(void) {
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY);
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (maps == NULL || mem < 0 || pagemap < 0) return -1;
	long found = 0;
	char line[512];
	while (fgets(line, sizeof line, maps) != NULL) {
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2) continue;
		if (strstr(line, "[vvar") != NULL || strstr(line, "[vsyscall]") != NULL) continue;
		found += scan_mapping(mem, pagemap, lo, hi);
	}
	fclose(maps);
	close(mem);
	close(pagemap);
	explicit_bzero(buf, sizeof buf);
	return found;
}

static void report(const char *text) {
	if (report_fd >= 0) (void)!write(report_fd, text, strlen(text));
}

// At exit(3): after the purge, the last thing the process does.
static void scan_at_exit(void) {
	char line[64];
	snprintf(line, sizeof line, "exit-scan %ld\n", scan_process());
	report(line);
}

void scan_setup(int fd) {
	report_fd = fd;
	atexit(scan_at_exit);
}
*/
import "C"

const window = 16

// hashWindows registers every 16-byte window of b with the scanner. It
// runs inside WithBytes and keeps nothing of b but the hashes.
func hashWindows(b []byte) {
	const b1, b2 = 1099511628211, 6364136223846793005
	for i := 0; i+window <= len(b); i++ {
		var h1, h2 uint64
		for _, c := range b[i : i+window] {
			h1 = h1*b1 + uint64(c)
			h2 = h2*b2 + uint64(c)
		}
		C.scan_add(C.uint64_t(h1), C.uint64_t(h2))
	}
}

func scanProcess() int64 { return int64(C.scan_process()) }

func scanSetup(fd int) { C.scan_setup(C.int(fd)) }
