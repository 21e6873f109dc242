// Test configurations for the golden model: the defaults of the shipped presets
// and variations that sweep every width the hardware may be built with.
#pragma once

namespace spatten::test {

template <int Q, int KM, int KL, int VM, int VL, int LF = 10, int PF = 16, int OF = 4, int CTX = 32768, int DIM = 128,
          int HEADS = 64>
struct Cfg {
  static constexpr int q_bits = Q;
  static constexpr int k_msb_bits = KM;
  static constexpr int k_lsb_bits = KL;
  static constexpr int v_msb_bits = VM;
  static constexpr int v_lsb_bits = VL;
  static constexpr int logit_frac_bits = LF;
  static constexpr int prob_frac_bits = PF;
  static constexpr int out_frac_bits = OF;
  static constexpr int max_context = CTX;
  static constexpr int max_head_dim = DIM;
  static constexpr int max_query_heads = HEADS;
};

/// The shipped presets' numerics: 12-bit Q, 8+4 K and V planes.
using Default = Cfg<12, 8, 4, 8, 4>;
/// The official per8 trace's format: 6+4 K/V, 16-bit query.
using Per8 = Cfg<16, 6, 4, 6, 4>;
/// Unquantized 12-bit words, no LSB planes.
using Plain12 = Cfg<12, 12, 0, 12, 0>;
/// Widest words the golden model accepts.
using Widest = Cfg<16, 12, 4, 12, 4, 16, 24, 8, 32768, 256>;
/// Narrowest useful words.
using Narrow = Cfg<4, 3, 1, 4, 0, 6, 8, 0, 4096, 64>;
/// Small context for cascade tests.
using Small = Cfg<12, 8, 4, 8, 4, 10, 16, 4, 2048, 64, 16>;

}  // namespace spatten::test
