// The data-movement routines of moves_s8.inc for avx2 (flags in scripts/build-native.sh).
#define NNC_MOVES_SUFFIX avx2
#include "moves_s8.inc"
