// The depthwise forward of depthwise_f32.inc for scalar (flags in scripts/build-native.sh).
#define NNC_DEPTHWISE_SUFFIX scalar
#include "depthwise_f32.inc"
