// hls/kernels/spatten_attention.cpp — the extern "C" HLS tops, one per preset.
//
// Each top is spatten_attention_<preset ident> (SPATTEN_KERNEL_TOP), with the
// argument list, m_axi bundles and s_axilite order generated from
// models/kernel/spatten-kernel.yaml (SPATTEN_KERNEL_DEFINE_TOP in
// spatten/kernel/interface.h), and instantiates the templated kernel for the
// preset's generated CONFIG_T. The HLS flow (scripts/hls) picks one as top.
#include "spatten_attention.h"

#include "spatten/config/alveo-u280.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/config/spatten-paper.h"

SPATTEN_KERNEL_DEFINE_TOP(spatten_1_8, ::spatten::kernel::attention_top< ::spatten::config::spatten_1_8>)
SPATTEN_KERNEL_DEFINE_TOP(spatten_paper, ::spatten::kernel::attention_top< ::spatten::config::spatten_paper>)
SPATTEN_KERNEL_DEFINE_TOP(alveo_u280, ::spatten::kernel::attention_top< ::spatten::config::alveo_u280>)
SPATTEN_KERNEL_DEFINE_TOP(alveo_u55c, ::spatten::kernel::attention_top< ::spatten::config::alveo_u55c>)
