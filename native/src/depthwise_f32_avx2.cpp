// The depthwise forward of depthwise_f32.inc for avx2 (flags in scripts/build-native.sh).
#define NNC_DEPTHWISE_SUFFIX avx2
#include "depthwise_f32.inc"
