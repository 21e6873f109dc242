// Shared harness of the HLS kernel tests (test_kernel_csim.cpp,
// test_kernel_vs_cmodel.cpp): the extern "C" top of a preset is called with
// device-memory buffers (one per m_axi argument) and descriptors packed with
// the generated layout (spatten/kernel/interface.h). The harness lays out two
// (layer, KV head) slices of random plane words at non-zero offsets with
// garbage around them, makes jobs (random or peaked queries, score scales, live
// lists), writes their descriptors, live lists and queries into the meta
// buffer, leaves guard words around every output and status block, and calls
// the top. Each test supplies its own jobs and its own checks.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "spatten/attention.h"
#include "spatten/config/alveo-u280.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/config/spatten-paper.h"
#include "spatten/kernel/interface.h"
#include "spatten/quant.h"
#include "spatten_attention_tops.h"
#include "spatten_test_seed.h"

namespace spatten::test::hls {

using TopFn = void (*)(const kernel_if::k_msb_t*, const kernel_if::k_lsb_t*, const kernel_if::v_msb_t*,
                       const kernel_if::v_lsb_t*, const kernel_if::meta_t*, kernel_if::out_t*, kernel_if::num_jobs_t,
                       kernel_if::desc_offset_t);

/// The extern "C" top compiled for preset C.
template <class C>
TopFn kernel_top() {
  if constexpr (std::is_same_v<C, config::spatten_1_8>) {
    return &SPATTEN_KERNEL_TOP(spatten_1_8);
  } else if constexpr (std::is_same_v<C, config::spatten_paper>) {
    return &SPATTEN_KERNEL_TOP(spatten_paper);
  } else if constexpr (std::is_same_v<C, config::alveo_u55c>) {
    return &SPATTEN_KERNEL_TOP(alveo_u55c);
  } else {
    static_assert(std::is_same_v<C, config::alveo_u280>, "no kernel top is compiled for this preset");
    return &SPATTEN_KERNEL_TOP(alveo_u280);
  }
}

/// Every out word starts as this; words the kernel must not write keep it.
inline constexpr std::int32_t kSentinel = 0x5A5A5A5A;

/// Device memory as the host lays it out: one buffer per m_axi argument.
struct DeviceMemory {
  std::vector<kernel_if::k_msb_t> k_msb;
  std::vector<kernel_if::k_lsb_t> k_lsb;
  std::vector<kernel_if::v_msb_t> v_msb;
  std::vector<kernel_if::v_lsb_t> v_lsb;
  std::vector<kernel_if::meta_t> meta;
  std::vector<kernel_if::out_t> out;
};

/// One (layer, KV head) slice of the cache.
struct Slice {
  std::uint32_t k_msb_off, k_lsb_off, v_msb_off, v_lsb_off;
  int tokens;
};

struct JobSpec {
  std::string kind;
  int slice = 0;
  std::vector<int> live;
  std::vector<std::int32_t> q;
  golden::HeadJob job;
  int expect_refetch = -1;  ///< progressive jobs: 1 / 0 the case the job is meant to cover, -1 unset
  bool rejected = false;    ///< written with head_dim 0: the kernel must reject the descriptor
  std::uint16_t extra_flags = 0;  ///< accumulate / decide / clear_importance (kif::kFlags*)
  int context_len = 0, sink_tokens = 0, recent_tokens = 0;  ///< decision jobs
  std::uint32_t live_off = 0, query_off = 0, out_off = 0, status_off = 0;
};

/// Tokens of the two slices; slice 0's depend on the head dimension.
struct SliceTokens {
  int slice0_d64;    ///< slice 0 at head_dim 64
  int slice0_other;  ///< slice 0 at any other head_dim
  int slice1;
};

/// Garbage words in front of slice 0 (`first`) and after each slice's last
/// plane (`tail`), and where each plane of a slice starts relative to the slice.
struct PlaneSkew {
  std::uint32_t first, k_msb, k_lsb, v_msb, v_lsb, tail;
};

/// Garbage plane words around the slices.
struct PlaneFill {
  kernel_if::k_msb_t k_msb;
  kernel_if::k_lsb_t k_lsb;
  kernel_if::v_msb_t v_msb;
  kernel_if::v_lsb_t v_lsb;
};

/// Meta and out buffers: the first descriptor's meta word, the first job's
/// output word, guard words after each status block and after the last one.
struct IoLayout {
  std::uint32_t desc_offset, out_start, status_gap, out_tail;
};

/// Where a test puts things in device memory (each test its own, so that
/// offsets matter).
struct Layout {
  SliceTokens tokens;
  PlaneSkew planes;
  PlaneFill fill;
  IoLayout io;
};

inline std::int32_t random_word(std::mt19937_64& rng, int bits) {
  const auto mx = static_cast<std::int32_t>(golden::signed_max(bits));
  return std::uniform_int_distribution<std::int32_t>(-mx, mx)(rng);
}

/// Calls `run_one(head_dim, seed)` for head dimensions 64 and 128 and three
/// consecutive seeds from SPATTEN_SEED; stops (returning false) at the first
/// fatal failure.
template <class C, class F>
bool for_each_case(F&& run_one) {
  const std::string name = C::name();
  const std::uint64_t base = spatten::test::test_seed();
  for (int head_dim : {64, 128}) {
    for (std::uint64_t i = 0; i < 3; ++i) {
      SCOPED_TRACE(name + " head_dim " + std::to_string(head_dim) + " seed " + std::to_string(base + i));
      run_one(head_dim, base + i);
      if (::testing::Test::HasFatalFailure()) return false;
    }
  }
  return true;
}

template <class C>
class KernelHarness {
 public:
  /// Preset C's kernel top, at `head_dim`, with random data from `seed`.
  KernelHarness(int head_dim, std::uint64_t seed, const Layout& layout)
      : top_(kernel_top<C>()), preset_(C::name()), head_dim_(head_dim), seed_(seed), layout_(layout), rng_(seed) {}

  /// Builds the cache, lets `add_jobs(*this)` add the jobs, writes the meta
  /// buffer, calls the top and then `check(*this)`.
  template <class AddJobs, class Check>
  void run(AddJobs&& add_jobs, Check&& check) {
    build_cache();
    add_jobs(*this);
    write_meta();
    mem_.out.assign(out_words_, kSentinel);
    top_(mem_.k_msb.data(), mem_.k_lsb.data(), mem_.v_msb.data(), mem_.v_lsb.data(), mem_.meta.data(), mem_.out.data(),
         static_cast<kernel_if::num_jobs_t>(jobs_.size()), desc_offset_);
    check(*this);
  }

  const std::string& preset() const { return preset_; }
  int head_dim() const { return head_dim_; }
  const DeviceMemory& mem() const { return mem_; }
  const Slice& slice(int s) const { return slices_[static_cast<std::size_t>(s)]; }
  const std::vector<JobSpec>& jobs() const { return jobs_; }
  std::uint32_t desc_offset() const { return desc_offset_; }
  std::size_t out_words() const { return out_words_; }

  template <class I>
  std::string where(const JobSpec& j, I word) const {
    std::ostringstream s;
    s << "preset " << preset_ << ", head_dim " << head_dim_ << ", SPATTEN_SEED=" << seed_ << ", job '" << j.kind
      << "' (n " << j.job.n << ", value_keep " << j.job.value_keep << ", progressive " << j.job.progressive
      << ", threshold_q16 " << j.job.requant_threshold_q16 << "), word " << word;
    return s.str();
  }

  /// K/V planes of a slice indexed by token id (row t at t * head_dim).
  golden::KvPlanes planes(int s) const {
    const Slice& sl = slice(s);
    return golden::KvPlanes{mem_.k_msb.data() + sl.k_msb_off, mem_.k_lsb.data() + sl.k_lsb_off,
                            mem_.v_msb.data() + sl.v_msb_off, mem_.v_lsb.data() + sl.v_lsb_off};
  }

  JobSpec make(const std::string& kind, int s, std::vector<int> live, bool progressive, std::uint32_t thr,
               int value_keep, double spread, int peak) {
    JobSpec j;
    j.kind = kind;
    j.slice = s;
    j.live = std::move(live);
    j.q = random_query(s, peak);
    j.job.n = static_cast<int>(j.live.size());
    j.job.head_dim = head_dim_;
    j.job.scale = scale_for(spread);
    j.job.progressive = progressive;
    j.job.requant_threshold_q16 = thr;
    j.job.value_keep = value_keep;
    return j;
  }

  void add(JobSpec j) { jobs_.push_back(std::move(j)); }

  std::vector<int> all_tokens(int s) const {
    std::vector<int> v(static_cast<std::size_t>(slice(s).tokens));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
    return v;
  }

  /// `keep` random live tokens, ascending; `must` (if >= 0) is one of them.
  std::vector<int> random_subset(int s, int keep, int must = -1) {
    std::vector<int> v = all_tokens(s);
    std::shuffle(v.begin(), v.end(), rng_);
    v.resize(static_cast<std::size_t>(keep));
    if (must >= 0 && std::find(v.begin(), v.end(), must) == v.end()) v[0] = must;
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  void build_cache() {
    constexpr int KM = C::k_msb_bits, KL = C::k_lsb_bits, VM = C::v_msb_bits, VL = C::v_lsb_bits;
    const SliceTokens& n = layout_.tokens;
    const PlaneSkew& p = layout_.planes;
    const PlaneFill& f = layout_.fill;
    const int tokens[2] = {head_dim_ == 64 ? n.slice0_d64 : n.slice0_other, n.slice1};
    const std::uint32_t span = std::max({p.k_msb, p.k_lsb, p.v_msb, p.v_lsb});
    std::uint32_t off = p.first;  // garbage before and between the slices: offsets matter
    for (int s = 0; s < 2; ++s) {
      const std::size_t words = static_cast<std::size_t>(tokens[s]) * static_cast<std::size_t>(head_dim_);
      slices_.push_back(Slice{off + p.k_msb, off + p.k_lsb, off + p.v_msb, off + p.v_lsb, tokens[s]});
      const std::size_t end = off + span + words + p.tail;
      mem_.k_msb.resize(end, f.k_msb);
      mem_.k_lsb.resize(end, f.k_lsb);
      mem_.v_msb.resize(end, f.v_msb);
      mem_.v_lsb.resize(end, f.v_lsb);
      const Slice& sl = slices_.back();
      for (std::size_t e = 0; e < words; ++e) {
        const golden::PlaneWord k = golden::split_planes<KM, KL>(random_word(rng_, KM + KL));
        const golden::PlaneWord v = golden::split_planes<VM, VL>(random_word(rng_, VM + VL));
        mem_.k_msb[sl.k_msb_off + e] = k.msb;
        mem_.k_lsb[sl.k_lsb_off + e] = k.lsb;
        mem_.v_msb[sl.v_msb_off + e] = v.msb;
        mem_.v_lsb[sl.v_lsb_off + e] = v.lsb;
      }
      off = static_cast<std::uint32_t>(end);
    }
  }

  std::vector<std::int32_t> random_query(int s, int peak_token) {
    std::vector<std::int32_t> q(static_cast<std::size_t>(head_dim_));
    for (auto& w : q) w = random_word(rng_, C::q_bits);
    if (peak_token >= 0) {  // align q with one key: that token's logit stands out
      const Slice& sl = slice(s);
      for (int d = 0; d < head_dim_; ++d) {
        const std::size_t e =
            static_cast<std::size_t>(peak_token) * static_cast<std::size_t>(head_dim_) + static_cast<std::size_t>(d);
        const std::int32_t k = mem_.k_msb[sl.k_msb_off + e];
        q[static_cast<std::size_t>(d)] =
            static_cast<std::int32_t>(golden::signed_max(C::q_bits) / 2) * (k >= 0 ? 1 : -1);
      }
    }
    return q;
  }

  golden::ScoreScale scale_for(double logit_spread) const {
    // logit = score * s_q s_k / sqrt(D) in the real model; here a factor that puts
    // a typical random score at +-logit_spread (in logit units), so rows are neither
    // all flat nor all one-hot.
    const double typical = golden::signed_max(C::q_bits) * golden::signed_max(C::k_msb_bits + C::k_lsb_bits) / 3.0 *
                           std::sqrt(static_cast<double>(head_dim_));
    return golden::make_score_scale(logit_spread / typical * std::ldexp(1.0, C::logit_frac_bits));
  }

  void write_meta() {
    namespace kif = kernel_if;
    desc_offset_ = layout_.io.desc_offset;
    const std::size_t desc_words = jobs_.size() * static_cast<std::size_t>(kif::kDescriptorWords);
    mem_.meta.assign(desc_offset_ + desc_words, 0xDEADBEEFu);
    std::uint32_t out_pos = layout_.io.out_start;
    std::vector<kif::JobDescriptor> descs;
    for (auto& j : jobs_) {
      const Slice& s = slice(j.slice);
      kif::JobDescriptor d;
      d.n_live = static_cast<std::uint32_t>(j.job.n);
      d.head_dim = static_cast<std::uint16_t>(j.rejected ? 0 : head_dim_);
      d.flags = static_cast<std::uint16_t>((j.job.progressive ? kif::kFlagsProgressive : 0u) | j.extra_flags);
      d.context_len = static_cast<std::uint32_t>(j.context_len);
      d.sink_tokens = static_cast<std::uint32_t>(j.sink_tokens);
      d.recent_tokens = static_cast<std::uint32_t>(j.recent_tokens);
      d.value_keep = static_cast<std::uint32_t>(j.job.value_keep);
      d.requant_threshold_q16 = j.job.requant_threshold_q16;
      d.score_mult = static_cast<std::uint16_t>(j.job.scale.mult);
      d.score_shift = static_cast<std::uint8_t>(j.job.scale.shift);
      d.k_msb_offset = s.k_msb_off;
      d.k_lsb_offset = s.k_lsb_off;
      d.v_msb_offset = s.v_msb_off;
      d.v_lsb_offset = s.v_lsb_off;
      d.live_offset = static_cast<std::uint32_t>(mem_.meta.size());
      j.live_off = d.live_offset;
      for (int t : j.live) mem_.meta.push_back(static_cast<std::uint32_t>(t));
      mem_.meta.push_back(0xFEEDFACEu);  // the kernel must stop at n_live
      d.query_offset = static_cast<std::uint32_t>(mem_.meta.size());
      j.query_off = d.query_offset;
      for (std::int32_t w : j.q) mem_.meta.push_back(static_cast<std::uint32_t>(w));
      j.out_off = out_pos;
      d.out_offset = out_pos;
      // the output, or a decision's kept ids (at most n), and one guard word
      out_pos += static_cast<std::uint32_t>((j.extra_flags & kif::kFlagsDecide) != 0 ? j.job.n : head_dim_) + 1;
      j.status_off = out_pos;
      d.status_offset = out_pos;
      out_pos += kif::kStatusWords + layout_.io.status_gap;
      EXPECT_EQ(kif::descriptor_field_overflow(d), nullptr) << j.kind;
      descs.push_back(d);
    }
    // descriptors as little-endian bytes, as the host writes device memory
    for (std::size_t i = 0; i < descs.size(); ++i) {
      std::uint8_t bytes[kif::kDescriptorBytes];
      kif::descriptor_to_bytes(descs[i], bytes);
      for (int w = 0; w < kif::kDescriptorWords; ++w) {
        std::uint32_t word = 0;
        for (int b = 0; b < 4; ++b) word |= static_cast<std::uint32_t>(bytes[4 * w + b]) << (8 * b);
        mem_.meta[desc_offset_ + i * kif::kDescriptorWords + static_cast<std::size_t>(w)] = word;
      }
    }
    out_words_ = out_pos + layout_.io.out_tail;
  }

  TopFn top_;
  std::string preset_;
  int head_dim_;
  std::uint64_t seed_;
  Layout layout_;
  std::mt19937_64 rng_;
  DeviceMemory mem_;
  std::vector<Slice> slices_;
  std::vector<JobSpec> jobs_;
  std::uint32_t desc_offset_ = 0;
  std::size_t out_words_ = 0;
};

/// Every out word no job owns (written[i] false) still holds the sentinel.
template <class C>
void expect_no_stray_writes(const KernelHarness<C>& h, const std::vector<bool>& written) {
  const std::vector<kernel_if::out_t>& out = h.mem().out;
  for (std::size_t i = 0; i < h.out_words(); ++i) {
    if (!written[i]) {
      ASSERT_EQ(out[i], kSentinel) << "stray write at out[" << i << "], " << h.preset();
    }
  }
}

}  // namespace spatten::test::hls
