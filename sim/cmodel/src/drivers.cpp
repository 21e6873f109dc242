#include "spatten/cmodel/drivers.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "spatten/cmodel/accelerator.h"
#include "spatten/models/golden_policy.h"

namespace spatten::cmodel {

namespace {

using Cfg = ValueConfig;
using N = golden::Numerics<Cfg>;

std::string numerics_text(const models::Numerics& n) {
  return std::to_string(n.q_bits) + "-bit Q, K " + std::to_string(n.k_msb_bits) + "+" + std::to_string(n.k_lsb_bits) +
         ", V " + std::to_string(n.v_msb_bits) + "+" + std::to_string(n.v_lsb_bits) + ", logit/prob/out fraction " +
         std::to_string(n.logit_frac_bits) + "/" + std::to_string(n.prob_frac_bits) + "/" +
         std::to_string(n.out_frac_bits);
}

/// Device memory: a bump allocator of 4 KiB-aligned regions.
class DeviceMemory {
 public:
  std::uint64_t alloc(std::uint64_t bytes) {
    const std::uint64_t at = next_;
    next_ += (bytes + 4095) / 4096 * 4096;
    return at;
  }

 private:
  std::uint64_t next_ = 0x1000'0000;
};

/// One (layer, KV head) cache of synthetic data: K/V planes of `tokens` rows,
/// quantized with one scale per plane set, and its device addresses.
struct SyntheticCache {
  int tokens = 0, head_dim = 0;
  std::vector<std::int16_t> k_msb, v_msb;
  std::vector<std::uint16_t> k_lsb, v_lsb;
  std::vector<double> kf;  // float keys, to build peaked queries
  double sk = 1.0;
  std::uint64_t k_msb_base = 0, k_lsb_base = 0, v_msb_base = 0, v_lsb_base = 0;

  /// Uniform words over the full plane ranges: cheap, for trace-driven runs
  /// whose decisions come from the trace (no float copy, no peaked queries).
  void build_uniform(int n_tokens, int dim, std::uint64_t seed, DeviceMemory& mem, int tb) {
    tokens = n_tokens;
    head_dim = dim;
    const auto words = static_cast<std::size_t>(n_tokens) * static_cast<std::size_t>(dim);
    k_msb.resize(words);
    k_lsb.resize(words);
    v_msb.resize(words);
    v_lsb.resize(words);
    std::uint64_t x = seed;
    auto next = [&x] {  // splitmix64
      x += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      return z ^ (z >> 31);
    };
    auto msb = [](std::uint64_t r, int bits) {
      return static_cast<std::int16_t>(static_cast<std::int64_t>(r & golden::unsigned_max(bits)) + golden::signed_min(bits));
    };
    for (std::size_t i = 0; i < words; ++i) {
      const std::uint64_t r = next();
      k_msb[i] = msb(r, Cfg::k_msb_bits);
      k_lsb[i] = static_cast<std::uint16_t>((r >> 16) & golden::unsigned_max(Cfg::k_lsb_bits));
      v_msb[i] = msb(r >> 32, Cfg::v_msb_bits);
      v_lsb[i] = static_cast<std::uint16_t>((r >> 48) & golden::unsigned_max(Cfg::v_lsb_bits));
    }
    allocate(n_tokens, dim, mem, tb);
  }

  void allocate(int n_tokens, int dim, DeviceMemory& mem, int tb) {
    // regions sized for the widest row format (16 bits per word)
    const std::uint64_t plane = static_cast<std::uint64_t>(n_tokens) * row_bytes(dim, 16, tb);
    k_msb_base = mem.alloc(plane);
    k_lsb_base = mem.alloc(plane);
    v_msb_base = mem.alloc(plane);
    v_lsb_base = mem.alloc(plane);
  }

  void build(int n_tokens, int dim, std::mt19937_64& rng, DeviceMemory& mem, int tb) {
    tokens = n_tokens;
    head_dim = dim;
    std::normal_distribution<double> n01(0.0, 1.0);
    const auto words = static_cast<std::size_t>(n_tokens) * static_cast<std::size_t>(dim);
    kf.resize(words);
    std::vector<double> vf(words);
    double kmax = 0, vmax = 0;
    for (std::size_t i = 0; i < words; ++i) {
      kf[i] = n01(rng);
      vf[i] = n01(rng);
      kmax = std::max(kmax, std::fabs(kf[i]));
      vmax = std::max(vmax, std::fabs(vf[i]));
    }
    sk = golden::symmetric_scale(kmax, N::k_bits);
    const double sv = golden::symmetric_scale(vmax, N::v_bits);
    k_msb.resize(words);
    k_lsb.resize(words);
    v_msb.resize(words);
    v_lsb.resize(words);
    for (std::size_t i = 0; i < words; ++i) {
      const auto kp = golden::split_planes<Cfg::k_msb_bits, Cfg::k_lsb_bits>(golden::quantize(kf[i], sk, N::k_bits));
      const auto vp = golden::split_planes<Cfg::v_msb_bits, Cfg::v_lsb_bits>(golden::quantize(vf[i], sv, N::v_bits));
      k_msb[i] = kp.msb;
      k_lsb[i] = kp.lsb;
      v_msb[i] = vp.msb;
      v_lsb[i] = vp.lsb;
    }
    allocate(n_tokens, dim, mem, tb);
  }
  golden::KvPlanes planes() const { return {k_msb.data(), k_lsb.data(), v_msb.data(), v_lsb.data()}; }
};

/// A query leaning towards a few tokens of the cache (peaked attention), its
/// words and score scale.
struct Query {
  std::vector<std::int32_t> words;
  golden::ScoreScale scale{0, 0};

  /// Uniform query words with a score scale that gives logits of a few units
  /// against uniform key words (trace-driven runs).
  void make_uniform(int dim, std::mt19937_64& rng) {
    const std::int64_t qmax = golden::signed_max(N::q_bits);
    words.resize(static_cast<std::size_t>(dim));
    for (auto& w : words)
      w = static_cast<std::int32_t>(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * qmax + 1)) - qmax);
    // std of a uniform word over +-m is m/sqrt(3); a dot product of D of them
    const double sq = static_cast<double>(qmax) / std::sqrt(3.0);
    const double sk = std::ldexp(1.0, N::k_bits - 1) / std::sqrt(3.0);
    const double dot_std = std::sqrt(static_cast<double>(dim)) * sq * sk;
    scale = golden::make_score_scale(2.0 / dot_std * std::ldexp(1.0, N::logit_frac_bits));
  }

  void make(const SyntheticCache& c, const std::vector<int>& heavy, std::mt19937_64& rng) {
    const int D = c.head_dim;
    std::normal_distribution<double> n01(0.0, 1.0);
    std::vector<double> q(static_cast<std::size_t>(D), 0.0);
    const double alpha = 5.0 * static_cast<double>(heavy.size()) / std::sqrt(static_cast<double>(D));
    for (int t : heavy)
      for (int d = 0; d < D; ++d)
        q[static_cast<std::size_t>(d)] +=
            alpha * c.kf[static_cast<std::size_t>(t) * static_cast<std::size_t>(D) + static_cast<std::size_t>(d)] /
            static_cast<double>(heavy.size());
    double qmax = 0;
    for (double& x : q) {
      x += 0.5 * n01(rng);
      qmax = std::max(qmax, std::fabs(x));
    }
    const double sq = golden::symmetric_scale(qmax, N::q_bits);
    words.resize(q.size());
    for (std::size_t d = 0; d < q.size(); ++d) words[d] = golden::quantize(q[d], sq, N::q_bits);
    scale = golden::make_score_scale(sq * c.sk / std::sqrt(static_cast<double>(D)) *
                                     std::ldexp(1.0, N::logit_frac_bits));
  }
};

std::string row_where(const trace::Trace& t, const trace::TraceRow& r, const std::string& column) {
  return t.origin + ":" + std::to_string(r.line) + ": column '" + column + "'";
}

}  // namespace

AccelParams params_from_preset(const models::AcceleratorPreset& preset) {
  const models::Numerics& n = preset.numerics;
  const bool same = n.q_bits == Cfg::q_bits && n.k_msb_bits == Cfg::k_msb_bits && n.k_lsb_bits == Cfg::k_lsb_bits &&
                    n.v_msb_bits == Cfg::v_msb_bits && n.v_lsb_bits == Cfg::v_lsb_bits &&
                    n.logit_frac_bits == Cfg::logit_frac_bits && n.prob_frac_bits == Cfg::prob_frac_bits &&
                    n.out_frac_bits == Cfg::out_frac_bits;
  if (!same) {
    models::Numerics compiled{Cfg::q_bits,          Cfg::k_msb_bits,      Cfg::k_lsb_bits,     Cfg::v_msb_bits,
                              Cfg::v_lsb_bits,      Cfg::logit_frac_bits, Cfg::prob_frac_bits, Cfg::out_frac_bits};
    throw models::PresetError(preset.origin + ": numerics (" + numerics_text(n) +
                              ") differ from the ones the cycle model is compiled for (" + numerics_text(compiled) +
                              ")");
  }
  if (preset.capacity.max_context > Cfg::max_context || preset.capacity.max_head_dim > Cfg::max_head_dim)
    throw models::PresetError(preset.origin + ": capacity exceeds the cycle model's (max_context " +
                              std::to_string(Cfg::max_context) + ", max_head_dim " +
                              std::to_string(Cfg::max_head_dim) + ")");
  const models::Hardware& h = preset.hardware;
  AccelParams p;
  p.preset = preset.name;
  p.clock_mhz = h.clock_mhz;
  p.qk_multipliers = h.qk_multipliers;
  p.pv_multipliers = h.pv_multipliers;
  p.qk_adder_tree_latency = h.qk_adder_tree_latency;
  p.topk_parallelism = h.topk_parallelism;
  p.key_buffer_lines = h.key_buffer_lines;
  p.key_sram_bytes = h.key_sram_bytes;
  p.value_sram_bytes = h.value_sram_bytes;
  p.hbm.channels = h.hbm_channels_used;
  p.hbm.bytes_per_cycle = h.hbm_bytes_per_cycle_per_channel;
  p.hbm.latency_cycles = static_cast<Cycle>(h.hbm_latency_cycles);
  p.hbm.max_outstanding = h.hbm_max_outstanding;
  p.hbm.transaction_bytes = h.hbm_transaction_bytes;
  p.hbm.interleave_bytes = h.hbm_transaction_bytes;
  return p;
}

RunResult run_trace(const AccelParams& params, const models::AcceleratorPreset& preset, const trace::Trace& t,
                    const TraceRunOptions& options, const ProgressFn& progress) {
  const std::size_t rows = options.max_rows == 0 ? t.rows.size() : std::min(options.max_rows, t.rows.size());
  // validate every row against the preset first: nothing runs on a bad trace
  int max_tokens = 1, max_dim = 1;
  for (std::size_t i = 0; i < rows; ++i) {
    const trace::TraceRow& r = t.rows[i];
    if (static_cast<int>(r.embedding_length_D) > preset.capacity.max_head_dim)
      throw std::invalid_argument(row_where(t, r, "embedding_length_D") + ": head dimension " +
                                  std::to_string(r.embedding_length_D) + " exceeds max_head_dim " +
                                  std::to_string(preset.capacity.max_head_dim) + " of preset " + preset.name);
    if (static_cast<int>(r.sentence_length_L) > preset.capacity.max_context)
      throw std::invalid_argument(row_where(t, r, "sentence_length_L") + ": context " +
                                  std::to_string(r.sentence_length_L) + " exceeds max_context " +
                                  std::to_string(preset.capacity.max_context) + " of preset " + preset.name);
    max_tokens = std::max(max_tokens, static_cast<int>(r.sentence_length_L));
    max_dim = std::max(max_dim, static_cast<int>(r.embedding_length_D));
  }
  Accelerator acc(params, options.skip_idle);
  DeviceMemory mem;
  std::mt19937_64 rng(options.seed);
  const int tb = params.hbm.transaction_bytes;
  // one synthetic cache per (layer, head) seen in the trace, built on first use
  std::vector<std::unique_ptr<SyntheticCache>> caches;
  auto cache_for = [&](std::uint32_t layer, std::uint32_t head) -> SyntheticCache& {
    const std::size_t idx = static_cast<std::size_t>(layer) * 1024 + head;
    if (caches.size() <= idx) caches.resize(idx + 1);
    if (!caches[idx]) {
      caches[idx] = std::make_unique<SyntheticCache>();
      caches[idx]->build_uniform(max_tokens, max_dim, rng(), mem, tb);
    }
    return *caches[idx];
  };
  const std::uint64_t live_addr = mem.alloc(static_cast<std::uint64_t>(max_tokens) * kLiveIdBytes);
  const std::uint64_t desc_addr = mem.alloc(kDescriptorBytes);
  const std::uint64_t q_addr = mem.alloc(static_cast<std::uint64_t>(max_dim) * 4);
  const std::uint64_t out_addr = mem.alloc(static_cast<std::uint64_t>(max_dim) * kOutputWordBytes);
  std::vector<int> ids(static_cast<std::size_t>(max_tokens));
  std::vector<int> live;
  Query q;
  auto scratch = std::make_unique<golden::TopkScratch<std::uint64_t, Cfg::max_context>>();
  std::vector<std::uint64_t> importance;
  std::vector<int> sel(static_cast<std::size_t>(max_tokens));

  for (std::size_t i = 0; i < rows; ++i) {
    const trace::TraceRow& r = t.rows[i];
    const int L = static_cast<int>(r.sentence_length_L);
    const int n = static_cast<int>(r.key_fetch_num);
    const int D = static_cast<int>(r.embedding_length_D);
    SyntheticCache& c = cache_for(r.layer_id, r.head_id);
    // live tokens: the newest plus a seeded random subset of the others
    std::iota(ids.begin(), ids.begin() + L, 0);
    live.assign(1, L - 1);
    for (int j = 0; j < n - 1; ++j) {
      const auto pick = static_cast<std::size_t>(j) + static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(L - 1 - j));
      std::swap(ids[static_cast<std::size_t>(j)], ids[pick]);
      live.push_back(ids[static_cast<std::size_t>(j)]);
    }
    std::sort(live.begin(), live.end());
    q.make_uniform(D, rng);

    HeadJobSpec job;
    job.n = n;
    job.head_dim = D;
    job.scale = q.scale;
    job.progressive = r.quant_key_bit.has_value() && r.auto_requant_thres.has_value();
    job.requant_threshold_q16 = job.progressive ? models::to_q16(*r.auto_requant_thres) : 0;
    job.forced_requant = job.progressive ? std::optional<bool>(r.if_requant) : std::nullopt;
    job.value_keep = static_cast<int>(r.value_fetch_num);
    job.q_bits = r.quant_query_bit.value_or(Cfg::q_bits);
    job.k_msb_bits = r.quant_key_bit.value_or(Cfg::k_msb_bits + Cfg::k_lsb_bits);
    job.k_lsb_bits = job.progressive ? r.auto_requant_incre.value_or(Cfg::k_lsb_bits) : 0;
    job.v_msb_bits = r.quant_value_bit.value_or(Cfg::v_msb_bits + Cfg::v_lsb_bits);
    job.v_lsb_bits = 0;
    job.q = q.words.data();
    job.kv = c.planes();
    job.live = live.data();
    job.desc_addr = desc_addr;
    job.q_addr = q_addr;
    job.live_addr = live_addr;
    job.out_addr = out_addr;
    job.k_msb_base = c.k_msb_base;
    job.k_lsb_base = c.k_lsb_base;
    job.v_msb_base = c.v_msb_base;
    job.v_lsb_base = c.v_lsb_base;
    acc.run_head(job);

    if (r.if_topk && r.topk) {
      // the cascade token top-k over the context, on synthetic importance
      importance.resize(static_cast<std::size_t>(L));
      for (auto& v : importance) v = rng() >> 40;
      golden::TopkStats st;
      st.lanes = params.topk_parallelism;
      golden::topk_quickselect<std::uint64_t, Cfg::max_context>(importance.data(), L, static_cast<int>(*r.topk),
                                                                 sel.data(), *scratch, &st);
      acc.run_cascade_topk(TopkJobSpec{st, static_cast<int>(std::min<std::uint32_t>(*r.topk, r.sentence_length_L)),
                                       live_addr});
    }
    if (progress && (i % 64 == 63 || i + 1 == rows)) progress(i + 1, rows);
  }
  RunResult result;
  acc.fill(result);
  return result;
}

RunResult run_decode(const AccelParams& params, const models::AcceleratorPreset& preset,
                     const DecodeRunOptions& o, const ProgressFn& progress) {
  constexpr int kMaxLayers = 64, kMaxKvHeads = 64;
  const models::LlmShape& m = o.model;
  const golden::LayerShape shape{m.layers, m.query_heads, m.kv_heads, m.head_dim};
  const int ctx = o.prompt + o.steps;
  if (o.prompt < 1 || o.steps < 1) throw std::invalid_argument("context and steps must be at least 1");
  if (ctx > preset.capacity.max_context)
    throw std::invalid_argument("context + steps = " + std::to_string(ctx) + " exceeds max_context " +
                                std::to_string(preset.capacity.max_context) + " of preset " + preset.name);
  if (m.head_dim > preset.capacity.max_head_dim)
    throw std::invalid_argument("model " + m.name + " has head dimension " + std::to_string(m.head_dim) +
                                ", preset " + preset.name + " supports " + std::to_string(preset.capacity.max_head_dim));
  if (!golden::cascade_shape_fits<Cfg, kMaxLayers, kMaxKvHeads>(shape, o.prompt))
    throw std::invalid_argument("model " + m.name + " (" + std::to_string(m.layers) + " layers, " +
                                std::to_string(m.query_heads) + "/" + std::to_string(m.kv_heads) +
                                " heads) does not fit the cycle model (64 layers, 64 KV heads)");
  using State = golden::CascadeState<Cfg, kMaxLayers, kMaxKvHeads>;
  auto st = std::make_unique<State>();
  auto scratch = std::make_unique<golden::CascadeScratch<Cfg, kMaxKvHeads>>();
  auto report = std::make_unique<golden::LayerReport<Cfg::max_query_heads>>();
  golden::cascade_init(*st, shape, o.prompt);
  auto policy = models::to_cascade_policy<kMaxLayers>(o.policy, m.layers);
  policy.topk_lanes = params.topk_parallelism;

  Accelerator acc(params, o.skip_idle);
  DeviceMemory mem;
  std::mt19937_64 rng(o.seed);
  const int tb = params.hbm.transaction_bytes;
  std::vector<SyntheticCache> caches(static_cast<std::size_t>(m.layers) * static_cast<std::size_t>(m.kv_heads));
  for (auto& c : caches) c.build(ctx, m.head_dim, rng, mem, tb);
  // heavy hitters per query head: token 0 and 8 random prompt tokens
  std::vector<std::vector<int>> heavy(static_cast<std::size_t>(m.layers) * static_cast<std::size_t>(m.query_heads));
  for (auto& h : heavy) {
    h.push_back(0);
    for (int j = 0; j < 8; ++j) h.push_back(static_cast<int>(rng() % static_cast<std::uint64_t>(o.prompt)));
  }
  const std::uint64_t live_addr = mem.alloc(static_cast<std::uint64_t>(ctx) * kLiveIdBytes * kMaxLayers);
  const std::uint64_t desc_addr = mem.alloc(kDescriptorBytes * static_cast<std::uint64_t>(m.query_heads));
  const std::uint64_t q_addr = mem.alloc(static_cast<std::uint64_t>(m.query_heads) * static_cast<std::uint64_t>(m.head_dim) * 4);
  const std::uint64_t out_addr = mem.alloc(static_cast<std::uint64_t>(m.query_heads) * static_cast<std::uint64_t>(m.head_dim) * kOutputWordBytes);

  const int H = m.query_heads, D = m.head_dim, group = m.query_heads / m.kv_heads;
  std::vector<Query> queries(static_cast<std::size_t>(H));
  std::vector<std::int32_t> qwords(static_cast<std::size_t>(H) * static_cast<std::size_t>(D));
  std::vector<golden::ScoreScale> scales(static_cast<std::size_t>(H));
  std::vector<std::int32_t> out(qwords.size());
  std::vector<golden::KvPlanes> planes(static_cast<std::size_t>(m.kv_heads));
  const std::uint64_t total = static_cast<std::uint64_t>(o.steps) * static_cast<std::uint64_t>(m.layers);
  for (int s = 0; s < o.steps; ++s) {
    golden::cascade_begin_step(*st, shape);
    const int newest = st->context_len - 1;
    for (int l = 0; l < m.layers; ++l) {
      for (int h = 0; h < H; ++h) {
        const SyntheticCache& c = caches[static_cast<std::size_t>(l * m.kv_heads + h / group)];
        std::vector<int> hv = heavy[static_cast<std::size_t>(l * H + h)];
        hv.push_back(newest);
        queries[static_cast<std::size_t>(h)].make(c, hv, rng);
        std::copy(queries[static_cast<std::size_t>(h)].words.begin(), queries[static_cast<std::size_t>(h)].words.end(),
                  qwords.begin() + static_cast<long>(h) * D);
        scales[static_cast<std::size_t>(h)] = queries[static_cast<std::size_t>(h)].scale;
      }
      for (int g = 0; g < m.kv_heads; ++g) planes[static_cast<std::size_t>(g)] = caches[static_cast<std::size_t>(l * m.kv_heads + g)].planes();
      // the golden cascade decides; the accelerator times every decision and job
      golden::cascade_layer(*st, policy, shape, l, qwords.data(), scales.data(), planes.data(), out.data(), *scratch,
                            *report);
      const std::uint64_t layer_live = live_addr + static_cast<std::uint64_t>(l) * static_cast<std::uint64_t>(ctx) * kLiveIdBytes;
      if (report->token_topk.passes > 0) acc.run_cascade_topk(TopkJobSpec{report->token_topk, report->tokens_attended, layer_live});
      if (report->head_topk.passes > 0) acc.run_cascade_topk(TopkJobSpec{report->head_topk, report->kv_heads_live, layer_live});
      const int n = report->tokens_attended;
      for (int h = 0; h < H; ++h) {
        if (!report->head_ran[h]) continue;
        const SyntheticCache& c = caches[static_cast<std::size_t>(l * m.kv_heads + h / group)];
        HeadJobSpec job;
        job.n = n;
        job.head_dim = D;
        job.scale = scales[static_cast<std::size_t>(h)];
        job.progressive = policy.progressive;
        job.requant_threshold_q16 = policy.requant_threshold_q16;
        job.value_keep = golden::value_keep_count(policy.value_keep, n);
        job.q = qwords.data() + static_cast<long>(h) * D;
        job.kv = c.planes();
        job.live = st->live_tokens[l];
        job.desc_addr = desc_addr + static_cast<std::uint64_t>(h) * kDescriptorBytes;
        job.q_addr = q_addr + static_cast<std::uint64_t>(h) * static_cast<std::uint64_t>(D) * 4;
        job.live_addr = layer_live;
        job.out_addr = out_addr + static_cast<std::uint64_t>(h) * static_cast<std::uint64_t>(D) * kOutputWordBytes;
        job.k_msb_base = c.k_msb_base;
        job.k_lsb_base = c.k_lsb_base;
        job.v_msb_base = c.v_msb_base;
        job.v_lsb_base = c.v_lsb_base;
        const HeadJobOutcome r = acc.run_head(job);
        // the cycle model's values are the golden cascade's, bit for bit
        if (!std::equal(r.out.begin(), r.out.end(), out.begin() + static_cast<long>(h) * D) ||
            r.result.lsb_refetched != report->head[h].lsb_refetched ||
            r.result.values_kept != report->head[h].values_kept)
          throw std::logic_error("cycle model diverged from the golden cascade at step " + std::to_string(s) +
                                 " layer " + std::to_string(l) + " head " + std::to_string(h));
      }
      if (progress) progress(static_cast<std::uint64_t>(s) * static_cast<std::uint64_t>(m.layers) + static_cast<std::uint64_t>(l) + 1, total);
    }
  }
  RunResult result;
  acc.fill(result);
  return result;
}

}  // namespace spatten::cmodel
