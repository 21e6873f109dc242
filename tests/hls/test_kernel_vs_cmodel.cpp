// The HLS kernel's C simulation against the cycle model (issue 5): the extern
// "C" top of a preset is called with device-memory buffers (one per m_axi
// argument) and descriptors packed with the generated layout, exactly as in
// test_kernel_csim.cpp; the same jobs run on cmodel::Accelerator built from the
// same preset (params_from_preset), with golden::KvPlanes pointing at the same
// planes (row t at t * head_dim) and the same live lists. Every output word
// must equal the cycle model's `out`, and every status word its HeadResult
// (flags / lsb_refetched, max_prob, msb_max_prob, values_kept).
//
// Jobs per call: dense, pruned (live subset), progressive with threshold 65536
// (forces the LSB refetch), progressive with threshold 0 (never refetches),
// value-pruned. Presets spatten-1-8, spatten-paper, alveo-u55c; head
// dimensions 64 and 128; seeds from SPATTEN_SEED (three consecutive).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "spatten/attention.h"
#include "spatten/cmodel/accelerator.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/config/spatten-paper.h"
#include "spatten/kernel/interface.h"
#include "spatten/models/presets.h"
#include "spatten/quant.h"
#include "spatten_attention_tops.h"
#include "spatten_test_seed.h"

namespace {

namespace c = spatten::cmodel;
namespace g = spatten::golden;
namespace kif = spatten::kernel_if;
namespace m = spatten::models;

using TopFn = void (*)(const kif::k_msb_t*, const kif::k_lsb_t*, const kif::v_msb_t*, const kif::v_lsb_t*,
                       const kif::meta_t*, kif::out_t*, kif::num_jobs_t, kif::desc_offset_t);

constexpr std::int32_t kSentinel = 0x5A5A5A5A;

/// The kernel preset computes with the cycle model's numerics (the cycle model
/// is compiled for one set; params_from_preset rejects any other).
template <class C>
constexpr bool same_numerics() {
  using V = c::ValueConfig;
  return C::q_bits == V::q_bits && C::k_msb_bits == V::k_msb_bits && C::k_lsb_bits == V::k_lsb_bits &&
         C::v_msb_bits == V::v_msb_bits && C::v_lsb_bits == V::v_lsb_bits &&
         C::logit_frac_bits == V::logit_frac_bits && C::prob_frac_bits == V::prob_frac_bits &&
         C::out_frac_bits == V::out_frac_bits;
}

/// Device memory as the host lays it out: one buffer per m_axi argument.
struct DeviceMemory {
  std::vector<kif::k_msb_t> k_msb;
  std::vector<kif::k_lsb_t> k_lsb;
  std::vector<kif::v_msb_t> v_msb;
  std::vector<kif::v_lsb_t> v_lsb;
  std::vector<kif::meta_t> meta;
  std::vector<kif::out_t> out;
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
  int n = 0;
  g::ScoreScale scale{0, 0};
  bool progressive = false;
  std::uint32_t threshold_q16 = 0;
  int value_keep = 0;
  int expect_refetch = -1;  ///< progressive jobs: 1 / 0 the case the job is meant to cover
  std::uint32_t live_off = 0, query_off = 0, out_off = 0, status_off = 0;
};

std::int32_t random_word(std::mt19937_64& rng, int bits) {
  const auto mx = static_cast<std::int32_t>(g::signed_max(bits));
  return std::uniform_int_distribution<std::int32_t>(-mx, mx)(rng);
}

template <class C>
class KernelVsCmodel {
 public:
  KernelVsCmodel(TopFn top, std::string preset, const c::AccelParams& params, int head_dim, std::uint64_t seed)
      : top_(top), preset_(std::move(preset)), params_(params), head_dim_(head_dim), seed_(seed), rng_(seed) {}

  void run() {
    build_cache();
    build_jobs();
    write_meta();
    mem_.out.assign(out_words_, kSentinel);
    top_(mem_.k_msb.data(), mem_.k_lsb.data(), mem_.v_msb.data(), mem_.v_lsb.data(), mem_.meta.data(),
         mem_.out.data(), static_cast<kif::num_jobs_t>(jobs_.size()), desc_offset_);
    check();
  }

 private:
  std::string where(const JobSpec& j, int word) const {
    std::ostringstream s;
    s << "preset " << preset_ << ", head_dim " << head_dim_ << ", SPATTEN_SEED=" << seed_ << ", job '" << j.kind
      << "' (n " << j.n << ", value_keep " << j.value_keep << ", progressive " << j.progressive
      << ", threshold_q16 " << j.threshold_q16 << "), word " << word;
    return s.str();
  }

  void build_cache() {
    constexpr int KM = C::k_msb_bits, KL = C::k_lsb_bits, VM = C::v_msb_bits, VL = C::v_lsb_bits;
    const int tokens[2] = {head_dim_ == 64 ? 160 : 112, 71};
    std::uint32_t off = 17;  // garbage before and between the slices: offsets matter
    for (int s = 0; s < 2; ++s) {
      const std::size_t words = static_cast<std::size_t>(tokens[s]) * static_cast<std::size_t>(head_dim_);
      slices_.push_back(Slice{off, off + 7, off + 2, off + 9, tokens[s]});
      const std::size_t end = off + 9 + words + 23;
      mem_.k_msb.resize(end, static_cast<kif::k_msb_t>(-3));
      mem_.k_lsb.resize(end, 5);
      mem_.v_msb.resize(end, static_cast<kif::v_msb_t>(-9));
      mem_.v_lsb.resize(end, 1);
      const Slice& sl = slices_.back();
      for (std::size_t e = 0; e < words; ++e) {
        const g::PlaneWord k = g::split_planes<KM, KL>(random_word(rng_, KM + KL));
        const g::PlaneWord v = g::split_planes<VM, VL>(random_word(rng_, VM + VL));
        mem_.k_msb[sl.k_msb_off + e] = k.msb;
        mem_.k_lsb[sl.k_lsb_off + e] = k.lsb;
        mem_.v_msb[sl.v_msb_off + e] = v.msb;
        mem_.v_lsb[sl.v_lsb_off + e] = v.lsb;
      }
      off = static_cast<std::uint32_t>(end);
    }
  }

  /// K/V planes of a slice indexed by token id, as the cycle model takes them.
  g::KvPlanes planes(int slice) const {
    const Slice& s = slices_[static_cast<std::size_t>(slice)];
    return g::KvPlanes{mem_.k_msb.data() + s.k_msb_off, mem_.k_lsb.data() + s.k_lsb_off,
                       mem_.v_msb.data() + s.v_msb_off, mem_.v_lsb.data() + s.v_lsb_off};
  }

  std::vector<std::int32_t> random_query(int slice, int peak_token) {
    std::vector<std::int32_t> q(static_cast<std::size_t>(head_dim_));
    for (auto& w : q) w = random_word(rng_, C::q_bits);
    if (peak_token >= 0) {  // align q with one key: that token's logit stands out
      const Slice& s = slices_[static_cast<std::size_t>(slice)];
      for (int d = 0; d < head_dim_; ++d) {
        const std::size_t e = static_cast<std::size_t>(peak_token) * static_cast<std::size_t>(head_dim_) +
                              static_cast<std::size_t>(d);
        const std::int32_t k = mem_.k_msb[s.k_msb_off + e];
        q[static_cast<std::size_t>(d)] = static_cast<std::int32_t>(g::signed_max(C::q_bits) / 2) * (k >= 0 ? 1 : -1);
      }
    }
    return q;
  }

  g::ScoreScale scale_for(double logit_spread) const {
    const double typical = g::signed_max(C::q_bits) * g::signed_max(C::k_msb_bits + C::k_lsb_bits) / 3.0 *
                           std::sqrt(static_cast<double>(head_dim_));
    return g::make_score_scale(logit_spread / typical * std::ldexp(1.0, C::logit_frac_bits));
  }

  JobSpec make(const std::string& kind, int slice, std::vector<int> live, bool progressive, std::uint32_t thr,
               int value_keep, double spread, int peak) {
    JobSpec j;
    j.kind = kind;
    j.slice = slice;
    j.live = std::move(live);
    j.q = random_query(slice, peak);
    j.n = static_cast<int>(j.live.size());
    j.scale = scale_for(spread);
    j.progressive = progressive;
    j.threshold_q16 = thr;
    j.value_keep = value_keep;
    return j;
  }

  std::vector<int> all_tokens(int slice) const {
    std::vector<int> v(static_cast<std::size_t>(slices_[static_cast<std::size_t>(slice)].tokens));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
    return v;
  }

  /// `keep` random live tokens, ascending; `must` (if >= 0) is one of them.
  std::vector<int> random_subset(int slice, int keep, int must = -1) {
    std::vector<int> v = all_tokens(slice);
    std::shuffle(v.begin(), v.end(), rng_);
    v.resize(static_cast<std::size_t>(keep));
    if (must >= 0 && std::find(v.begin(), v.end(), must) == v.end()) v[0] = must;
    std::sort(v.begin(), v.end());
    return v;
  }

  void build_jobs() {
    const int n0 = slices_[0].tokens, n1 = slices_[1].tokens;
    jobs_.push_back(make("dense", 0, all_tokens(0), false, 0, n0, 6.0, -1));
    jobs_.push_back(make("pruned", 1, random_subset(1, n1 / 2 + 3, 4), false, 0, n1 / 2 + 3, 6.0, 4));
    // 65536 (1.0): every row whose maximum is below 1.0 refetches the LSB planes
    JobSpec refetch = make("progressive-refetch", 0, random_subset(0, n0 - 19), true, 65536, n0, 2.0, -1);
    refetch.expect_refetch = 1;
    jobs_.push_back(refetch);
    // 0: no row's maximum is below 0, so nothing is refetched
    JobSpec no_refetch = make("progressive-no-refetch", 1, all_tokens(1), true, 0, n1, 6.0, 3);
    no_refetch.expect_refetch = 0;
    jobs_.push_back(no_refetch);
    const int live_vp = n1 - 8;
    jobs_.push_back(make("value-pruned", 1, random_subset(1, live_vp), false, 0, live_vp / 4, 6.0, -1));
    // value-pruned on top of a forced refetch: exact V for the kept rows
    JobSpec both = make("value-pruned-refetch", 0, random_subset(0, n0 / 2), true, 65536, n0 / 7, 2.0, -1);
    both.expect_refetch = 1;
    jobs_.push_back(both);
  }

  void write_meta() {
    desc_offset_ = 3;
    const std::size_t desc_words = jobs_.size() * static_cast<std::size_t>(kif::kDescriptorWords);
    mem_.meta.assign(desc_offset_ + desc_words, 0xDEADBEEFu);
    std::uint32_t out_pos = 5;
    std::vector<kif::JobDescriptor> descs;
    for (auto& j : jobs_) {
      const Slice& s = slices_[static_cast<std::size_t>(j.slice)];
      kif::JobDescriptor d;
      d.n_live = static_cast<std::uint32_t>(j.n);
      d.head_dim = static_cast<std::uint16_t>(head_dim_);
      d.flags = j.progressive ? static_cast<std::uint16_t>(kif::kFlagsProgressive) : std::uint16_t{0};
      d.value_keep = static_cast<std::uint32_t>(j.value_keep);
      d.requant_threshold_q16 = j.threshold_q16;
      d.score_mult = static_cast<std::uint16_t>(j.scale.mult);
      d.score_shift = static_cast<std::uint8_t>(j.scale.shift);
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
      out_pos += static_cast<std::uint32_t>(head_dim_) + 1;  // one guard word
      j.status_off = out_pos;
      d.status_offset = out_pos;
      out_pos += kif::kStatusWords + 1;
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
    out_words_ = out_pos + 3;
  }

  c::HeadJobSpec cmodel_spec(const JobSpec& j, std::size_t index) const {
    const Slice& s = slices_[static_cast<std::size_t>(j.slice)];
    c::HeadJobSpec h;
    h.n = j.n;
    h.head_dim = head_dim_;
    h.scale = j.scale;
    h.progressive = j.progressive;
    h.requant_threshold_q16 = j.threshold_q16;
    h.value_keep = j.value_keep;
    h.q = j.q.data();
    h.kv = planes(j.slice);
    h.live = j.live.data();
    // byte addresses of the same device-memory layout (they only affect timing)
    constexpr std::uint64_t kMeta = 0x1000000, kOut = 0x2000000;
    h.desc_addr = kMeta + 4 * (desc_offset_ + index * static_cast<std::uint64_t>(kif::kDescriptorWords));
    h.live_addr = kMeta + 4 * static_cast<std::uint64_t>(j.live_off);
    h.q_addr = kMeta + 4 * static_cast<std::uint64_t>(j.query_off);
    h.out_addr = kOut + 4 * static_cast<std::uint64_t>(j.out_off);
    h.k_msb_base = 0x10000000 + 2 * static_cast<std::uint64_t>(s.k_msb_off);
    h.k_lsb_base = 0x20000000 + 2 * static_cast<std::uint64_t>(s.k_lsb_off);
    h.v_msb_base = 0x30000000 + 2 * static_cast<std::uint64_t>(s.v_msb_off);
    h.v_lsb_base = 0x40000000 + 2 * static_cast<std::uint64_t>(s.v_lsb_off);
    return h;
  }

  void check() {
    c::Accelerator acc(params_, /*skip_idle=*/true);
    bool saw_refetch = false, saw_no_refetch = false;
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      const JobSpec& j = jobs_[i];
      const c::HeadJobOutcome cm = acc.run_head(cmodel_spec(j, i));
      ASSERT_EQ(cm.out.size(), static_cast<std::size_t>(head_dim_)) << where(j, 0);
      if (j.expect_refetch >= 0) {
        EXPECT_EQ(cm.result.lsb_refetched, j.expect_refetch == 1)
            << "test data does not cover its case: " << where(j, 0);
      }
      if (j.progressive) (cm.result.lsb_refetched ? saw_refetch : saw_no_refetch) = true;
      EXPECT_EQ(cm.value_sel.size(), static_cast<std::size_t>(cm.result.values_kept)) << where(j, 0);
      EXPECT_LE(cm.result.values_kept, std::min(j.n, j.value_keep)) << where(j, 0);

      for (int d = 0; d < head_dim_; ++d) {
        ASSERT_EQ(mem_.out[j.out_off + static_cast<std::size_t>(d)], cm.out[static_cast<std::size_t>(d)])
            << "kernel output differs from the cycle model: " << where(j, d);
      }
      EXPECT_EQ(mem_.out[j.out_off + static_cast<std::size_t>(head_dim_)], kSentinel)
          << "guard word after the output overwritten: " << where(j, head_dim_);
      const std::int32_t* st = mem_.out.data() + j.status_off;
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]),
                cm.result.lsb_refetched ? kif::kStatusLsbRefetched : 0u)
          << "status flags vs cycle model lsb_refetched: " << where(j, 0);
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::max_prob]), cm.result.max_prob)
          << "status max_prob: " << where(j, 1);
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::msb_max_prob]), cm.result.msb_max_prob)
          << "status msb_max_prob: " << where(j, 2);
      EXPECT_EQ(st[kif::StatusIndex::values_kept], cm.result.values_kept) << "status values_kept: " << where(j, 3);
      if (!cm.prob.empty()) {
        EXPECT_EQ(*std::max_element(cm.prob.begin(), cm.prob.end()), cm.result.max_prob) << where(j, 1);
      }
    }
    EXPECT_TRUE(saw_refetch && saw_no_refetch) << "progressive jobs must cover both requant outcomes";
  }

  TopFn top_;
  std::string preset_;
  c::AccelParams params_;
  int head_dim_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  DeviceMemory mem_;
  std::vector<Slice> slices_;
  std::vector<JobSpec> jobs_;
  std::uint32_t desc_offset_ = 0;
  std::size_t out_words_ = 0;
};

template <class C>
void run_preset(TopFn top, const char* name) {
  static_assert(same_numerics<C>(), "the kernel preset's numerics differ from the cycle model's ValueConfig");
  const c::AccelParams params = c::params_from_preset(m::load_accelerator(m::find_preset(m::PresetKind::accel, name)));
  const std::uint64_t base = spatten::test::test_seed();
  for (int head_dim : {64, 128}) {
    for (std::uint64_t i = 0; i < 3; ++i) {
      SCOPED_TRACE(std::string(name) + " head_dim " + std::to_string(head_dim) + " seed " + std::to_string(base + i));
      KernelVsCmodel<C>(top, name, params, head_dim, base + i).run();
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(HlsKernelVsCmodel, Spatten18) {
  run_preset<spatten::config::spatten_1_8>(&SPATTEN_KERNEL_TOP(spatten_1_8), "spatten-1-8");
}
TEST(HlsKernelVsCmodel, SpattenPaper) {
  run_preset<spatten::config::spatten_paper>(&SPATTEN_KERNEL_TOP(spatten_paper), "spatten-paper");
}
TEST(HlsKernelVsCmodel, AlveoU55c) {
  run_preset<spatten::config::alveo_u55c>(&SPATTEN_KERNEL_TOP(alveo_u55c), "alveo-u55c");
}

}  // namespace
