// C simulation of the HLS kernel through the interface the xclbin exposes: the
// extern "C" top of a preset is called with device-memory buffers (one per
// m_axi argument) and descriptors packed with the generated layout, and every
// output word and status word must equal spatten::golden::attend_head's.
//
// Jobs per call: dense, pruned (live subset), progressive with a threshold that
// forces the LSB refetch and one that never refetches, value-pruned, a tie-heavy
// value-pruned row, and a rejected descriptor; two (layer, KV head) slices at
// non-zero offsets in each plane. Presets spatten-1-8, spatten-paper,
// alveo-u55c, alveo-u280; head dimensions 64 and 128; three seeds each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "spatten/attention.h"
#include "spatten/config/alveo-u280.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/config/spatten-paper.h"
#include "spatten/dot.h"
#include "spatten/kernel/interface.h"
#include "spatten/quant.h"
#include "spatten_attention_tops.h"
#include "spatten_test_seed.h"

#if __has_include(<hls_stream.h>)
#include <hls_stream.h>
#endif

namespace {

namespace g = spatten::golden;
namespace kif = spatten::kernel_if;

using TopFn = void (*)(const kif::k_msb_t*, const kif::k_lsb_t*, const kif::v_msb_t*, const kif::v_lsb_t*,
                       const kif::meta_t*, kif::out_t*, kif::num_jobs_t, kif::desc_offset_t);

constexpr std::int32_t kSentinel = 0x5A5A5A5A;

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
  g::HeadJob job;
  bool expect_refetch = false;  ///< for progressive jobs: the case this job is meant to cover
  bool rejected = false;
  std::uint32_t out_off = 0, status_off = 0;
};

template <class C>
std::int32_t random_word(std::mt19937_64& rng, int bits) {
  const std::int32_t m = static_cast<std::int32_t>(g::signed_max(bits));
  return std::uniform_int_distribution<std::int32_t>(-m, m)(rng);
}

template <class C>
class KernelCsim {
 public:
  KernelCsim(TopFn top, std::string preset, int head_dim, std::uint64_t seed)
      : top_(top), preset_(std::move(preset)), head_dim_(head_dim), seed_(seed), rng_(seed) {}

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
  std::string where(const JobSpec& j, std::size_t index) const {
    std::ostringstream s;
    s << "preset " << preset_ << ", head_dim " << head_dim_ << ", SPATTEN_SEED=" << seed_ << ", job '" << j.kind
      << "' (n " << j.job.n << ", value_keep " << j.job.value_keep << ", progressive " << j.job.progressive
      << ", threshold_q16 " << j.job.requant_threshold_q16 << "), word " << index;
    return s.str();
  }

  void build_cache() {
    constexpr int KM = C::k_msb_bits, KL = C::k_lsb_bits, VM = C::v_msb_bits, VL = C::v_lsb_bits;
    const int tokens[2] = {head_dim_ == 64 ? 192 : 120, 77};
    // garbage in front of and between the slices, so offsets matter
    std::uint32_t off = 13;
    for (int s = 0; s < 2; ++s) {
      const std::size_t words = static_cast<std::size_t>(tokens[s]) * static_cast<std::size_t>(head_dim_);
      slices_.push_back(Slice{off, off + 5, off + 11, off + 3, tokens[s]});
      const std::size_t end = off + 11 + words + 29;
      mem_.k_msb.resize(end, static_cast<kif::k_msb_t>(-7));
      mem_.k_lsb.resize(end, 9);
      mem_.v_msb.resize(end, static_cast<kif::v_msb_t>(-5));
      mem_.v_lsb.resize(end, 3);
      // a token whose key follows the query direction gives peaked rows
      for (std::size_t e = 0; e < words; ++e) {
        const g::PlaneWord k = g::split_planes<KM, KL>(random_word<C>(rng_, KM + KL));
        const g::PlaneWord v = g::split_planes<VM, VL>(random_word<C>(rng_, VM + VL));
        mem_.k_msb[slices_[static_cast<std::size_t>(s)].k_msb_off + e] = k.msb;
        mem_.k_lsb[slices_[static_cast<std::size_t>(s)].k_lsb_off + e] = k.lsb;
        mem_.v_msb[slices_[static_cast<std::size_t>(s)].v_msb_off + e] = v.msb;
        mem_.v_lsb[slices_[static_cast<std::size_t>(s)].v_lsb_off + e] = v.lsb;
      }
      off = static_cast<std::uint32_t>(end);
    }
  }

  std::vector<std::int32_t> random_query(int slice, int peak_token) {
    std::vector<std::int32_t> q(static_cast<std::size_t>(head_dim_));
    for (auto& w : q) w = random_word<C>(rng_, C::q_bits);
    if (peak_token >= 0) {
      // align q with one key: that token's logit stands out
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
    // logit = score * s_q s_k / sqrt(D) in the real model; here a factor that puts
    // a typical random score at +-logit_spread (in logit units), so rows are neither
    // all flat nor all one-hot.
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
    j.job.n = static_cast<int>(j.live.size());
    j.job.head_dim = head_dim_;
    j.job.scale = scale_for(spread);
    j.job.progressive = progressive;
    j.job.requant_threshold_q16 = thr;
    j.job.value_keep = value_keep;
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
    jobs_.push_back(make("pruned", 1, random_subset(1, n1 / 2 + 3, 5), false, 0, 1 << 20, 6.0, 5));
    // 65536 (1.0) refetches every row whose maximum is below 1.0: flat rows
    JobSpec refetch = make("progressive-refetch", 0, random_subset(0, n0 - 17), true, 65536, n0, 2.0, -1);
    refetch.expect_refetch = true;
    jobs_.push_back(refetch);
    jobs_.push_back(make("progressive-no-refetch", 1, all_tokens(1), true, 0, n1, 6.0, 3));
    // a realistic threshold (0.05) on a peaked row: no refetch either
    jobs_.push_back(make("progressive-peaked", 0, random_subset(0, n0 / 3, 2), true, 3277, n0, 6.0, 2));
    jobs_.push_back(make("value-pruned", 1, random_subset(1, n1 - 10), false, 0, (n1 - 10) / 4, 6.0, -1));
    JobSpec ties = make("value-pruned-ties", 0, all_tokens(0), true, 65536, n0 / 5, 6.0, -1);
    std::fill(ties.q.begin(), ties.q.end(), 0);  // every logit equal: the top-k tie rule decides
    ties.expect_refetch = true;
    jobs_.push_back(ties);
    jobs_.push_back(make("keep-none", 1, random_subset(1, 9), false, 0, 0, 6.0, -1));
    JobSpec bad = make("rejected", 0, {}, false, 0, 4, 6.0, -1);
    bad.rejected = true;
    jobs_.push_back(bad);
  }

  void write_meta() {
    desc_offset_ = 5;
    const std::size_t desc_words = jobs_.size() * static_cast<std::size_t>(kif::kDescriptorWords);
    mem_.meta.assign(desc_offset_ + desc_words, 0xDEADBEEFu);
    std::uint32_t out_pos = 3;
    std::vector<kif::JobDescriptor> descs;
    for (auto& j : jobs_) {
      const Slice& s = slices_[static_cast<std::size_t>(j.slice)];
      kif::JobDescriptor d;
      d.n_live = static_cast<std::uint32_t>(j.job.n);
      d.head_dim = static_cast<std::uint16_t>(j.rejected ? 0 : head_dim_);
      d.flags = j.job.progressive ? static_cast<std::uint16_t>(kif::kFlagsProgressive) : std::uint16_t{0};
      d.value_keep = static_cast<std::uint32_t>(j.job.value_keep);
      d.requant_threshold_q16 = j.job.requant_threshold_q16;
      d.score_mult = static_cast<std::uint16_t>(j.job.scale.mult);
      d.score_shift = static_cast<std::uint8_t>(j.job.scale.shift);
      d.k_msb_offset = s.k_msb_off;
      d.k_lsb_offset = s.k_lsb_off;
      d.v_msb_offset = s.v_msb_off;
      d.v_lsb_offset = s.v_lsb_off;
      d.live_offset = static_cast<std::uint32_t>(mem_.meta.size());
      for (int t : j.live) mem_.meta.push_back(static_cast<std::uint32_t>(t));
      mem_.meta.push_back(0xFEEDFACEu);  // the kernel must stop at n_live
      d.query_offset = static_cast<std::uint32_t>(mem_.meta.size());
      for (std::int32_t w : j.q) mem_.meta.push_back(static_cast<std::uint32_t>(w));
      j.out_off = out_pos;
      d.out_offset = out_pos;
      out_pos += static_cast<std::uint32_t>(head_dim_) + 1;  // one guard word
      j.status_off = out_pos;
      d.status_offset = out_pos;
      out_pos += kif::kStatusWords + 2;
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
    out_words_ = out_pos + 7;
  }

  void check() {
    auto scratch = std::make_unique<g::HeadScratch<C>>();
    std::vector<bool> written(out_words_, false);
    bool saw_refetch = false, saw_no_refetch = false;
    for (const auto& j : jobs_) {
      const Slice& s = slices_[static_cast<std::size_t>(j.slice)];
      const std::int32_t* st = mem_.out.data() + j.status_off;
      for (int w = 0; w < kif::kStatusWords; ++w) written[j.status_off + static_cast<std::size_t>(w)] = true;
      if (j.rejected) {
        EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]), kif::kStatusRejected) << where(j, 0);
        continue;
      }
      std::vector<std::int32_t> expect(static_cast<std::size_t>(head_dim_));
      const g::KvPlanes kv{mem_.k_msb.data() + s.k_msb_off, mem_.k_lsb.data() + s.k_lsb_off,
                           mem_.v_msb.data() + s.v_msb_off, mem_.v_lsb.data() + s.v_lsb_off};
      const g::HeadResult r = g::attend_head<C>(j.q.data(), kv, j.live.data(), j.job, expect.data(), *scratch);
      if (j.job.progressive) {
        EXPECT_EQ(r.lsb_refetched, j.expect_refetch) << "test data does not cover its case: " << where(j, 0);
        (r.lsb_refetched ? saw_refetch : saw_no_refetch) = true;
      }
      for (int d = 0; d < head_dim_; ++d) {
        written[j.out_off + static_cast<std::size_t>(d)] = true;
        ASSERT_EQ(mem_.out[j.out_off + static_cast<std::size_t>(d)], expect[static_cast<std::size_t>(d)])
            << "output mismatch: " << where(j, static_cast<std::size_t>(d));
      }
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]),
                r.lsb_refetched ? kif::kStatusLsbRefetched : 0u)
          << where(j, 0);
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::max_prob]), r.max_prob) << where(j, 1);
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::msb_max_prob]), r.msb_max_prob) << where(j, 2);
      EXPECT_EQ(st[kif::StatusIndex::values_kept], r.values_kept) << where(j, 3);
    }
    EXPECT_TRUE(saw_refetch && saw_no_refetch) << "progressive jobs must cover both requant outcomes";
    for (std::size_t i = 0; i < out_words_; ++i) {
      if (!written[i]) {
        ASSERT_EQ(mem_.out[i], kSentinel) << "stray write at out[" << i << "], " << preset_;
      }
    }
  }

  TopFn top_;
  std::string preset_;
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
  const std::uint64_t base = spatten::test::test_seed();
  for (int head_dim : {64, 128}) {
    for (std::uint64_t i = 0; i < 3; ++i) {
      SCOPED_TRACE(std::string(name) + " head_dim " + std::to_string(head_dim) + " seed " + std::to_string(base + i));
      KernelCsim<C>(top, name, head_dim, base + i).run();
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
#ifdef SPATTEN_HLS_COMPAT_STREAM
  EXPECT_EQ(spatten_hls_compat::leftover_stream_elements(), 0u) << "a DATAFLOW stage left data in a stream";
#endif
}

TEST(HlsKernelCsim, Spatten18) {
  run_preset<spatten::config::spatten_1_8>(&SPATTEN_KERNEL_TOP(spatten_1_8), "spatten-1-8");
}
TEST(HlsKernelCsim, SpattenPaper) {
  run_preset<spatten::config::spatten_paper>(&SPATTEN_KERNEL_TOP(spatten_paper), "spatten-paper");
}
TEST(HlsKernelCsim, AlveoU55c) {
  run_preset<spatten::config::alveo_u55c>(&SPATTEN_KERNEL_TOP(alveo_u55c), "alveo-u55c");
}
TEST(HlsKernelCsim, AlveoU280) {
  run_preset<spatten::config::alveo_u280>(&SPATTEN_KERNEL_TOP(alveo_u280), "alveo-u280");
}

TEST(HlsKernelCsim, ZeroJobsWritesNothing) {
  std::vector<kif::out_t> out(16, kSentinel);
  const kif::meta_t meta[1] = {0};
  const kif::k_msb_t k[1] = {0};
  const kif::k_lsb_t kl[1] = {0};
  SPATTEN_KERNEL_TOP(spatten_1_8)(k, kl, k, kl, meta, out.data(), 0, 0);
  for (auto w : out) EXPECT_EQ(w, kSentinel);
}

}  // namespace
