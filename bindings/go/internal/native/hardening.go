//go:build linux && (amd64 || arm64)

package native

/*
#include <string.h>

// What the compiler saw, from the same flags as every C file here.
static int sm_go_fortify_level(void) {
#if defined(__USE_FORTIFY_LEVEL)
	return __USE_FORTIFY_LEVEL;
#else
	return 0;
#endif
}

static int sm_go_stack_protector(void) {
#if defined(__SSP_STRONG__)
	return 2;
#elif defined(__SSP_ALL__)
	return 3;
#elif defined(__SSP__)
	return 1;
#else
	return 0;
#endif
}
*/
import "C"

// FortifyLevel is the _FORTIFY_SOURCE level in force in the package's C
// code (glibc's __USE_FORTIFY_LEVEL: 0 when off or without optimisation).
func FortifyLevel() int { return int(C.sm_go_fortify_level()) }

// StackProtector is the stack protector the package's C code was compiled
// with: 0 none, 1 -fstack-protector, 2 -fstack-protector-strong,
// 3 -fstack-protector-all.
func StackProtector() int { return int(C.sm_go_stack_protector()) }
