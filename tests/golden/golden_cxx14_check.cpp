// Compiled as C++14 (Vitis HLS's default dialect): instantiates every golden
// entry point with a generated preset configuration, so a C++17/20 construct in
// hls/include/spatten fails the build.
#include "spatten/config/spatten-1-8.h"
#include "spatten/golden.h"

namespace spatten {
namespace golden {
using Cfg = config::spatten_1_8;
template struct Numerics<Cfg>;
template HeadResult attend_head<Cfg>(const std::int32_t*, const KvPlanes&, const int*, const HeadJob&,
                                     std::int32_t*, HeadScratch<Cfg>&);
template void cascade_layer<Cfg, 16, 16>(CascadeState<Cfg, 16, 16>&, const CascadePolicy<16>&, const LayerShape&,
                                          int, const std::int32_t*, const ScoreScale*, const KvPlanes*,
                                          std::int32_t*, CascadeScratch<Cfg, 16>&,
                                          LayerReport<Cfg::max_query_heads>&);
template int topk_select<std::uint32_t, 1024>(const std::uint32_t*, int, int, int*);
template int prune_tokens<1024, int, const std::uint64_t*>(const int*, int, const std::uint64_t* const&,
                                                           const TokenPruneParams&, int*, TokenPruneScratch<1024>&,
                                                           TopkStats*);
template int prune_tokens<1024, std::uint32_t, ImportanceMemory>(const std::uint32_t*, int, const ImportanceMemory&,
                                                                 const TokenPruneParams&, std::uint32_t*,
                                                                 TokenPruneScratch<1024>&, TopkStats*);
template void accumulate_token_importance<1024, std::uint32_t>(ImportanceMemory, const std::uint32_t*,
                                                               const std::uint32_t*, int);
}  // namespace golden
}  // namespace spatten
