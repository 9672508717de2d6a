// The data-movement routines of moves_s8.inc for scalar (flags in scripts/build-native.sh).
#define NNC_MOVES_SUFFIX scalar
#include "moves_s8.inc"
