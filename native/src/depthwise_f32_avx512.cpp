// The depthwise forward of depthwise_f32.inc for avx512 (flags in scripts/build-native.sh).
#define NNC_DEPTHWISE_SUFFIX avx512
#include "depthwise_f32.inc"
