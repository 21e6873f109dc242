// hls/kernels/spatten_attention_tops.h — declarations of the extern "C" tops
// defined in spatten_attention.cpp (signature generated from the kernel
// interface), for C-simulation test benches and hosts that call the kernel
// through the same pointer/argument list the xclbin exposes.
#ifndef SPATTEN_KERNELS_SPATTEN_ATTENTION_TOPS_H
#define SPATTEN_KERNELS_SPATTEN_ATTENTION_TOPS_H

#include "spatten/kernel/interface.h"

SPATTEN_KERNEL_DECLARE_TOP(spatten_1_8)
SPATTEN_KERNEL_DECLARE_TOP(spatten_paper)
SPATTEN_KERNEL_DECLARE_TOP(alveo_u280)
SPATTEN_KERNEL_DECLARE_TOP(alveo_u55c)

#endif  // SPATTEN_KERNELS_SPATTEN_ATTENTION_TOPS_H
