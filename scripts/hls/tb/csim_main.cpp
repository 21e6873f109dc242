// scripts/hls/tb/csim_main.cpp — test bench for Vitis HLS csim_design / cosim_design.
//
// Runs one bit-exact job mix of tests/hls/test_kernel_csim.cpp's kind against
// spatten::golden::attend_head for the preset the flow synthesizes, through the
// extern "C" top (the RTL under co-simulation). Returns 0 on a match, 1 otherwise,
// as Vitis expects. The preset is the one whose top the flow set: SPATTEN_TB_TOP /
// SPATTEN_TB_CONFIG default to alveo-u55c.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "spatten/attention.h"
#include "spatten/config/alveo-u280.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/kernel/interface.h"
#include "spatten/quant.h"
#include "spatten_attention_tops.h"

#ifndef SPATTEN_TB_IDENT
#define SPATTEN_TB_IDENT alveo_u55c
#endif
// one level of indirection so SPATTEN_TB_IDENT is expanded before ## pastes it
#define SPATTEN_TB_TOP(ident) SPATTEN_KERNEL_TOP(ident)
#define SPATTEN_TB_CONFIG(ident) ::spatten::config::ident

namespace g = spatten::golden;
namespace kif = spatten::kernel_if;
typedef SPATTEN_TB_CONFIG(SPATTEN_TB_IDENT) C;

int main() {
  const int D = 64, T = 96;
  std::uint64_t x = 88172645463325252ull;  // xorshift, fixed: the bench must be reproducible in cosim
  auto rnd = [&x](int bits) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::int64_t m = g::signed_max(bits);
    return static_cast<std::int32_t>(static_cast<std::int64_t>(x % static_cast<std::uint64_t>(2 * m + 1)) - m);
  };
  const std::size_t words = static_cast<std::size_t>(T * D);
  std::vector<kif::k_msb_t> km(words), vm(words);
  std::vector<kif::k_lsb_t> kl(words), vl(words);
  for (std::size_t e = 0; e < words; ++e) {
    const g::PlaneWord k = g::split_planes<C::k_msb_bits, C::k_lsb_bits>(rnd(C::k_msb_bits + C::k_lsb_bits));
    const g::PlaneWord v = g::split_planes<C::v_msb_bits, C::v_lsb_bits>(rnd(C::v_msb_bits + C::v_lsb_bits));
    km[e] = k.msb;
    kl[e] = k.lsb;
    vm[e] = v.msb;
    vl[e] = v.lsb;
  }
  const int jobs = 3;
  std::vector<kif::meta_t> meta(static_cast<std::size_t>(jobs * kif::kDescriptorWords));
  std::vector<int> live[jobs];
  std::vector<std::int32_t> q[jobs];
  g::HeadJob hj[jobs];
  for (int j = 0; j < jobs; ++j) {
    for (int t = 0; t < T; t += 1 + j) live[j].push_back(t);
    for (int d = 0; d < D; ++d) q[j].push_back(rnd(C::q_bits));
    hj[j].n = static_cast<int>(live[j].size());
    hj[j].head_dim = D;
    hj[j].scale = g::ScoreScale{40000u, 30 + j};
    hj[j].progressive = j > 0;
    hj[j].requant_threshold_q16 = j == 1 ? 65536u : 0u;
    hj[j].value_keep = j == 2 ? hj[j].n / 4 : hj[j].n;
  }
  std::vector<kif::out_t> out(static_cast<std::size_t>(jobs * (D + kif::kStatusWords)), 0);
  for (int j = 0; j < jobs; ++j) {
    kif::JobDescriptor d;
    d.n_live = static_cast<std::uint32_t>(hj[j].n);
    d.head_dim = D;
    d.flags = hj[j].progressive ? static_cast<std::uint16_t>(kif::kFlagsProgressive) : std::uint16_t{0};
    d.value_keep = static_cast<std::uint32_t>(hj[j].value_keep);
    d.requant_threshold_q16 = hj[j].requant_threshold_q16;
    d.score_mult = static_cast<std::uint16_t>(hj[j].scale.mult);
    d.score_shift = static_cast<std::uint8_t>(hj[j].scale.shift);
    d.live_offset = static_cast<std::uint32_t>(meta.size());
    for (int t : live[j]) meta.push_back(static_cast<std::uint32_t>(t));
    d.query_offset = static_cast<std::uint32_t>(meta.size());
    for (std::int32_t w : q[j]) meta.push_back(static_cast<std::uint32_t>(w));
    d.out_offset = static_cast<std::uint32_t>(j * (D + kif::kStatusWords));
    d.status_offset = d.out_offset + D;
    kif::pack_descriptor(d, &meta[static_cast<std::size_t>(j * kif::kDescriptorWords)]);
  }
  SPATTEN_TB_TOP(SPATTEN_TB_IDENT)(km.data(), kl.data(), vm.data(), vl.data(), meta.data(), out.data(), jobs, 0);
  static g::HeadScratch<C> scratch;
  int errors = 0;
  for (int j = 0; j < jobs; ++j) {
    std::int32_t expect[D];
    const g::KvPlanes kv{km.data(), kl.data(), vm.data(), vl.data()};
    const g::HeadResult r = g::attend_head<C>(q[j].data(), kv, live[j].data(), hj[j], expect, scratch);
    for (int d = 0; d < D; ++d) {
      if (out[static_cast<std::size_t>(j * (D + kif::kStatusWords) + d)] != expect[d]) {
        if (errors++ < 10) std::printf("job %d word %d: kernel %d golden %d\n", j, d,
                                       out[static_cast<std::size_t>(j * (D + kif::kStatusWords) + d)], expect[d]);
      }
    }
    if (out[static_cast<std::size_t>(j * (D + kif::kStatusWords) + D + kif::StatusIndex::values_kept)] !=
        r.values_kept) {
      ++errors;
    }
  }
  std::printf("spatten csim bench (%s): %s\n", C::name(), errors == 0 ? "PASS" : "FAIL");
  return errors == 0 ? 0 : 1;
}
