// Cascade token/head pruning across layers and decode steps (cascade.h), with
// grouped-query attention.
//
// The main check runs the golden cascade side by side with a shadow model
// written here: its own live lists (std::set_intersection), a brute-force
// std::sort pruning decision, its own importance accumulation from the
// probabilities of attend_head calls it makes itself, and its own head
// importance. Every layer of every step must agree exactly (lists, outputs,
// head results, both importances, top-k costs). On top of that the defining
// properties are checked on the golden state alone: monotone cascade, the
// expected list sizes, protected tokens always present, pruned KV groups output
// zeros, no pruning on the first decode step, a dense policy equals plain
// attention, and each query head reads its own KV group.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <random>
#include <vector>

#include "golden_test_configs.h"
#include "spatten/attention.h"
#include "spatten/cascade.h"
#include "spatten/importance.h"
#include "spatten/pruning.h"
#include "spatten/topk.h"
#include "spatten_test_seed.h"

namespace {

namespace g = spatten::golden;
using g::KeepRule;
using Cfg = spatten::test::Small;
constexpr int kMaxLayers = 8;
constexpr int kMaxKv = 8;
constexpr int kMaxCtx = Cfg::max_context;
using State = g::CascadeState<Cfg, kMaxLayers, kMaxKv>;
using Scratch = g::CascadeScratch<Cfg, kMaxKv>;
using Policy = g::CascadePolicy<kMaxLayers>;
using Report = g::LayerReport<Cfg::max_query_heads>;

constexpr std::int32_t kGarbage = 0x5A5A5A5A;

std::size_t sz(int x) { return static_cast<std::size_t>(x); }
std::size_t sz(long x) { return static_cast<std::size_t>(x); }
/// Iterator offset of row i of width w.
std::ptrdiff_t off(int i, int w) { return static_cast<std::ptrdiff_t>(i) * w; }

std::uint32_t ratio_q16(double r) { return static_cast<std::uint32_t>(std::lround(r * 65536.0)); }

// ---------------------------------------------------------------------------
// A small random model: K/V planes per (layer, KV head), queries per (step,
// layer, query head), one ScoreScale per (layer, query head).
// ---------------------------------------------------------------------------

struct Model {
  g::LayerShape shape{};
  int prompt_len = 0;
  int steps = 0;
  int max_tokens = 0;
  std::vector<std::vector<std::int16_t>> k_msb, v_msb;  // [l * kv + g][t * D + d]
  std::vector<std::vector<std::uint16_t>> k_lsb, v_lsb;
  std::vector<std::int32_t> q;       // [((s * layers + l) * qh + h) * D + d]
  std::vector<g::ScoreScale> scale;  // [l * qh + h]

  std::size_t kv_index(int l, int kvh) const { return sz(l * shape.kv_heads + kvh); }
  std::vector<g::KvPlanes> planes(int l) const {
    std::vector<g::KvPlanes> p;
    for (int kvh = 0; kvh < shape.kv_heads; ++kvh) {
      const std::size_t i = kv_index(l, kvh);
      p.push_back(g::KvPlanes{k_msb[i].data(), k_lsb[i].data(), v_msb[i].data(), v_lsb[i].data()});
    }
    return p;
  }
  const std::int32_t* query(int s, int l) const {
    return q.data() + sz((static_cast<long>(s) * shape.layers + l) * shape.query_heads * shape.head_dim);
  }
  const std::int32_t* query(int s, int l, int h) const { return query(s, l) + sz(h * shape.head_dim); }
  const g::ScoreScale* scales(int l) const { return scale.data() + sz(l * shape.query_heads); }
};

/// Real logit standard deviation per (layer + head) % 4: flat to peaked rows.
constexpr double kLogitSigma[4] = {0.4, 1.0, 2.0, 3.5};

Model make_model(const g::LayerShape& shape, int prompt_len, int steps, std::mt19937_64& rng) {
  Model m;
  m.shape = shape;
  m.prompt_len = prompt_len;
  m.steps = steps;
  m.max_tokens = prompt_len + steps;
  const std::size_t plane = sz(m.max_tokens * shape.head_dim);
  constexpr int KM = Cfg::k_msb_bits, KL = Cfg::k_lsb_bits, VM = Cfg::v_msb_bits, VL = Cfg::v_lsb_bits;
  std::uniform_int_distribution<int> kmsb(-(1 << (KM - 1)), (1 << (KM - 1)) - 1);
  std::uniform_int_distribution<int> klsb(0, (1 << KL) - 1);
  std::uniform_int_distribution<int> vmsb(-(1 << (VM - 1)), (1 << (VM - 1)) - 1);
  std::uniform_int_distribution<int> vlsb(0, (1 << VL) - 1);
  for (int i = 0; i < shape.layers * shape.kv_heads; ++i) {
    std::vector<std::int16_t> a(plane), c(plane);
    std::vector<std::uint16_t> b(plane), d(plane);
    for (std::size_t j = 0; j < plane; ++j) {
      a[j] = static_cast<std::int16_t>(kmsb(rng));
      b[j] = static_cast<std::uint16_t>(klsb(rng));
      c[j] = static_cast<std::int16_t>(vmsb(rng));
      d[j] = static_cast<std::uint16_t>(vlsb(rng));
    }
    m.k_msb.push_back(std::move(a));
    m.k_lsb.push_back(std::move(b));
    m.v_msb.push_back(std::move(c));
    m.v_lsb.push_back(std::move(d));
  }
  const int qmax = (1 << (Cfg::q_bits - 1)) - 1;
  std::uniform_int_distribution<int> qd(-qmax, qmax);
  m.q.resize(sz(static_cast<long>(steps) * shape.layers * shape.query_heads * shape.head_dim));
  for (auto& x : m.q) {
    x = qd(rng);
  }
  // words are ~uniform: std(q) ~ std(k) ~ 2^12 / sqrt(12); the dot product's
  // std is std(q) std(k) sqrt(D). Scale it to a logit of std sigma, in Q.F.
  const double word_std = 4096.0 / std::sqrt(12.0);
  const double dot_std = word_std * word_std * std::sqrt(static_cast<double>(shape.head_dim));
  for (int l = 0; l < shape.layers; ++l) {
    for (int h = 0; h < shape.query_heads; ++h) {
      const double sigma = kLogitSigma[(l + h) % 4];
      m.scale.push_back(g::make_score_scale(sigma / dot_std * std::ldexp(1.0, Cfg::logit_frac_bits)));
    }
  }
  return m;
}

// ---------------------------------------------------------------------------
// Shadow cascade (independent re-implementation of the spec)
// ---------------------------------------------------------------------------

int ref_resolve(KeepRule r, int available, int reference) {
  long keep = available;
  if (r.kind == g::KeepKind::kCount) {
    keep = r.count;
  }
  if (r.kind == g::KeepKind::kRatio) {
    keep =
        static_cast<long>((static_cast<std::uint64_t>(r.ratio_q16) * static_cast<std::uint64_t>(reference)) / 65536u);
  }
  return static_cast<int>(std::clamp<long>(keep, 0, available));
}

bool ref_protected(int t, int context_len, int sinks, int recent) {
  return t < sinks || t >= context_len - recent || t == context_len - 1;
}

bool better(const std::vector<std::uint64_t>& imp, int a, int b) {
  const auto ia = imp[sz(a)];
  const auto ib = imp[sz(b)];
  return ia != ib ? ia > ib : a < b;
}

std::vector<int> intersect(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> r;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(r));
  return r;
}

bool contains(const std::vector<int>& v, int x) { return std::binary_search(v.begin(), v.end(), x); }

struct ShadowLayer {
  std::vector<std::int32_t> out;
  std::vector<g::HeadResult> res;
  std::vector<bool> ran;
  g::TopkStats token_topk;
  g::TopkStats head_topk;
};

class Shadow {
 public:
  Shadow(const g::LayerShape& shape, const Policy& pol, int prompt_len)
      : shape_(shape), pol_(pol), context_len(prompt_len), step(-1) {
    std::vector<int> all(sz(prompt_len));
    for (int t = 0; t < prompt_len; ++t) {
      all[sz(t)] = t;
    }
    std::vector<int> hs(sz(shape.kv_heads));
    for (int h = 0; h < shape.kv_heads; ++h) {
      hs[sz(h)] = h;
    }
    live.assign(sz(shape.layers), all);
    heads.assign(sz(shape.layers), hs);
    timp.assign(sz(kMaxCtx), 0);
    himp.assign(sz(kMaxKv), 0);
  }

  void begin_step() {
    const int id = context_len++;
    ++step;
    for (auto& l : live) {
      l.push_back(id);
    }
  }

  ShadowLayer layer(int l, const Model& m) {
    const int D = shape_.head_dim;
    ShadowLayer r;
    r.out.assign(sz(shape_.query_heads * D), 0);
    r.res.assign(sz(shape_.query_heads), g::HeadResult{});
    r.ran.assign(sz(shape_.query_heads), false);
    std::vector<int>& L = live[sz(l)];
    std::vector<int>& H = heads[sz(l)];
    if (l > 0) {
      L = intersect(L, live[sz(l - 1)]);
      H = intersect(H, heads[sz(l - 1)]);
    }
    if (l >= pol_.token_start_layer && step >= pol_.token_start_step) {
      const int n = static_cast<int>(L.size());
      const int ref = pol_.token_reference_length > 0 ? pol_.token_reference_length : context_len;
      const int keep = ref_resolve(pol_.token_keep[l], n, ref);
      if (keep < n) {
        std::vector<std::uint64_t> cand_imp;
        std::vector<int> prot, cand;
        for (int t : L) {
          if (ref_protected(t, context_len, pol_.sink_tokens, pol_.recent_tokens)) {
            prot.push_back(t);
          } else {
            cand.push_back(t);
            cand_imp.push_back(timp[sz(t)]);
          }
        }
        const int k = std::max(0, keep - static_cast<int>(prot.size()));
        // the engine's cost, for the report
        g::topk_quickselect<std::uint64_t, kMaxCtx>(cand_imp.data(), static_cast<int>(cand.size()), k, sel_.data(),
                                                    *tk_, &r.token_topk);
        std::sort(cand.begin(), cand.end(), [&](int a, int b) { return better(timp, a, b); });
        cand.resize(std::min(cand.size(), sz(k)));
        prot.insert(prot.end(), cand.begin(), cand.end());
        std::sort(prot.begin(), prot.end());
        L = prot;
      }
    }
    if (l >= pol_.head_start_layer && step >= pol_.head_start_step) {
      const int n = static_cast<int>(H.size());
      const int keep = std::max(1, ref_resolve(pol_.head_keep[l], n, shape_.kv_heads));
      std::vector<std::uint64_t> vals;
      for (int kvh : H) {
        vals.push_back(himp[sz(kvh)]);
      }
      g::topk_quickselect<std::uint64_t, kMaxKv>(vals.data(), n, keep, sel_.data(), hk_, &r.head_topk);
      std::vector<int> c = H;
      std::sort(c.begin(), c.end(), [&](int a, int b) { return better(himp, a, b); });
      c.resize(std::min(c.size(), sz(keep)));
      std::sort(c.begin(), c.end());
      H = c;
    }
    g::HeadJob job;
    job.n = static_cast<int>(L.size());
    job.head_dim = D;
    job.progressive = pol_.progressive;
    job.requant_threshold_q16 = pol_.requant_threshold_q16;
    job.value_keep = std::max(1, ref_resolve(pol_.value_keep, job.n, job.n));
    const auto planes = m.planes(l);
    const int group = shape_.query_heads / shape_.kv_heads;
    for (int h = 0; h < shape_.query_heads; ++h) {
      const int kvh = h / group;
      if (!contains(H, kvh)) {
        continue;
      }
      job.scale = m.scales(l)[h];
      std::int32_t* o = r.out.data() + sz(h * D);
      r.res[sz(h)] = g::attend_head<Cfg>(m.query(step, l, h), planes[sz(kvh)], L.data(), job, o, *hs_);
      r.ran[sz(h)] = true;
      for (int i = 0; i < job.n; ++i) {
        timp[sz(L[sz(i)])] += hs_->prob[i];
      }
      for (int d = 0; d < D; ++d) {
        himp[sz(kvh)] += static_cast<std::uint64_t>(std::llabs(o[d]));
      }
    }
    return r;
  }

  g::LayerShape shape_;
  Policy pol_;
  int context_len;
  int step;
  std::vector<std::vector<int>> live, heads;
  std::vector<std::uint64_t> timp, himp;

 private:
  std::unique_ptr<g::HeadScratch<Cfg>> hs_ = std::make_unique<g::HeadScratch<Cfg>>();
  std::unique_ptr<g::TopkScratch<std::uint64_t, kMaxCtx>> tk_ =
      std::make_unique<g::TopkScratch<std::uint64_t, kMaxCtx>>();
  g::TopkScratch<std::uint64_t, kMaxKv> hk_{};
  std::vector<int> sel_ = std::vector<int>(sz(kMaxCtx));
};

std::vector<int> golden_tokens(const State& st, int l) {
  return std::vector<int>(st.live_tokens[l], st.live_tokens[l] + st.n_live_tokens[l]);
}
std::vector<int> golden_heads(const State& st, int l) {
  return std::vector<int>(st.live_heads[l], st.live_heads[l] + st.n_live_heads[l]);
}

void expect_same_result(const g::HeadResult& a, const g::HeadResult& b, int h) {
  EXPECT_EQ(a.lsb_refetched, b.lsb_refetched) << "head " << h;
  EXPECT_EQ(a.max_prob, b.max_prob) << "head " << h;
  EXPECT_EQ(a.msb_max_prob, b.msb_max_prob) << "head " << h;
  EXPECT_EQ(a.values_kept, b.values_kept) << "head " << h;
  EXPECT_EQ(a.value_topk.passes, b.value_topk.passes) << "head " << h;
  EXPECT_EQ(a.value_topk.streamed, b.value_topk.streamed) << "head " << h;
}

/// Called after every layer with the golden state, its report and outputs.
using LayerHook =
    std::function<void(int s, int l, const State& st, const Report& rep, const std::vector<std::int32_t>& out)>;

/// Runs the golden cascade and the shadow over every step and layer and
/// compares them exactly. Stops at the first layer that differs.
void run_against_shadow(const Model& m, const Policy& pol, const LayerHook& hook = nullptr) {
  auto st = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto rep = std::make_unique<Report>();
  Shadow sh(m.shape, pol, m.prompt_len);
  g::cascade_init(*st, m.shape, m.prompt_len);
  const int D = m.shape.head_dim;
  std::vector<std::int32_t> out(sz(m.shape.query_heads * D));
  for (int s = 0; s < m.steps; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*st, m.shape));
    sh.begin_step();
    ASSERT_EQ(st->step, s);
    ASSERT_EQ(st->context_len, m.prompt_len + s + 1);
    for (int l = 0; l < m.shape.layers; ++l) {
      SCOPED_TRACE(::testing::Message() << "step " << s << " layer " << l);
      std::fill(out.begin(), out.end(), kGarbage);
      const auto planes = m.planes(l);
      g::cascade_layer(*st, pol, m.shape, l, m.query(s, l), m.scales(l), planes.data(), out.data(), *sc, *rep);
      const ShadowLayer e = sh.layer(l, m);
      ASSERT_EQ(golden_tokens(*st, l), sh.live[sz(l)]);
      ASSERT_EQ(golden_heads(*st, l), sh.heads[sz(l)]);
      EXPECT_EQ(rep->tokens_attended, static_cast<int>(sh.live[sz(l)].size()));
      EXPECT_EQ(rep->kv_heads_live, static_cast<int>(sh.heads[sz(l)].size()));
      EXPECT_EQ(rep->token_topk.passes, e.token_topk.passes);
      EXPECT_EQ(rep->token_topk.streamed, e.token_topk.streamed);
      EXPECT_EQ(rep->head_topk.passes, e.head_topk.passes);
      EXPECT_EQ(rep->head_topk.streamed, e.head_topk.streamed);
      EXPECT_EQ(out, e.out);
      for (int h = 0; h < m.shape.query_heads; ++h) {
        EXPECT_EQ(rep->head_ran[h], e.ran[sz(h)]) << "head " << h;
        expect_same_result(rep->head[h], e.res[sz(h)], h);
      }
      // (e) token and head importance equal the independent recomputation
      EXPECT_TRUE(std::equal(sh.timp.begin(), sh.timp.end(), st->token_importance));
      for (int kvh = 0; kvh < kMaxKv; ++kvh) {
        EXPECT_EQ(st->head_importance[kvh], sh.himp[sz(kvh)]) << "kv " << kvh;
      }
      if (hook) {
        hook(s, l, *st, *rep, out);
      }
      if (::testing::Test::HasFailure()) {
        return;
      }
    }
  }
}

/// (a) monotone cascade: a token (head) absent from L_l at step s is absent
/// from L_l' for l' >= l at every step s' >= s.
class MonotoneTracker {
 public:
  explicit MonotoneTracker(int layers)
      : gone_tok_(sz(layers), std::vector<char>(sz(kMaxCtx), 0)),
        gone_head_(sz(layers), std::vector<char>(sz(kMaxKv), 0)) {}

  void check(int l, const State& st, int kv_heads) {
    for (int i = 0; i < st.n_live_tokens[l]; ++i) {
      const int t = st.live_tokens[l][i];
      for (int lp = 0; lp <= l; ++lp) {
        EXPECT_FALSE(gone_tok_[sz(lp)][sz(t)])
            << "token " << t << " live at layer " << l << " after it was gone from layer " << lp;
      }
    }
    for (int i = 0; i < st.n_live_heads[l]; ++i) {
      const int h = st.live_heads[l][i];
      for (int lp = 0; lp <= l; ++lp) {
        EXPECT_FALSE(gone_head_[sz(lp)][sz(h)])
            << "KV head " << h << " live at layer " << l << " after it was gone from layer " << lp;
      }
    }
    std::vector<char> present(sz(kMaxCtx), 0);
    for (int i = 0; i < st.n_live_tokens[l]; ++i) {
      present[sz(st.live_tokens[l][i])] = 1;
    }
    for (int t = 0; t < st.context_len; ++t) {
      if (!present[sz(t)]) {
        gone_tok_[sz(l)][sz(t)] = 1;
      }
    }
    std::vector<char> hp(sz(kMaxKv), 0);
    for (int i = 0; i < st.n_live_heads[l]; ++i) {
      hp[sz(st.live_heads[l][i])] = 1;
    }
    for (int h = 0; h < kv_heads; ++h) {
      if (!hp[sz(h)]) {
        gone_head_[sz(l)][sz(h)] = 1;
      }
    }
  }
  int tokens_gone(int l) const {
    return static_cast<int>(std::count(gone_tok_[sz(l)].begin(), gone_tok_[sz(l)].end(), 1));
  }
  int heads_gone(int l) const {
    return static_cast<int>(std::count(gone_head_[sz(l)].begin(), gone_head_[sz(l)].end(), 1));
  }

 private:
  std::vector<std::vector<char>> gone_tok_, gone_head_;
};

/// (b) the size every list must have, worked out from the golden lists alone:
/// n_in = |(L_l of the previous step + newest) ∩ L_{l-1} of this step|; when the
/// rule applies, keep = resolve(rule, n_in, reference) and the list holds n_in
/// when keep >= n_in, else max(keep, #protected among the n_in).
class SizeOracle {
 public:
  SizeOracle(const g::LayerShape& shape, const Policy& pol, int prompt_len) : shape_(shape), pol_(pol) {
    std::vector<int> all;
    for (int t = 0; t < prompt_len; ++t) {
      all.push_back(t);
    }
    std::vector<int> hs;
    for (int h = 0; h < shape.kv_heads; ++h) {
      hs.push_back(h);
    }
    toks_.assign(sz(shape.layers), all);
    heads_.assign(sz(shape.layers), hs);
  }

  void check(int s, int l, const State& st) {
    const int C = st.context_len;
    if (l == 0) {
      for (auto& v : toks_) {
        v.push_back(C - 1);
      }
    }
    std::vector<int> in = toks_[sz(l)];
    std::vector<int> hin = heads_[sz(l)];
    if (l > 0) {
      in = intersect(in, toks_[sz(l - 1)]);
      hin = intersect(hin, heads_[sz(l - 1)]);
    }
    int expect = static_cast<int>(in.size());
    if (l >= pol_.token_start_layer && s >= pol_.token_start_step) {
      const int ref = pol_.token_reference_length > 0 ? pol_.token_reference_length : C;
      const int keep = ref_resolve(pol_.token_keep[l], expect, ref);
      if (keep < expect) {
        int prot = 0;
        for (int t : in) {
          prot += ref_protected(t, C, pol_.sink_tokens, pol_.recent_tokens) ? 1 : 0;
        }
        expect = std::max(keep, prot);
      }
    }
    int hexpect = static_cast<int>(hin.size());
    if (l >= pol_.head_start_layer && s >= pol_.head_start_step) {
      hexpect = std::min(hexpect, std::max(1, ref_resolve(pol_.head_keep[l], hexpect, shape_.kv_heads)));
    }
    EXPECT_EQ(st.n_live_tokens[l], expect) << "step " << s << " layer " << l;
    EXPECT_EQ(st.n_live_heads[l], hexpect) << "step " << s << " layer " << l;
    toks_[sz(l)] = golden_tokens(st, l);
    heads_[sz(l)] = golden_heads(st, l);
  }

 private:
  g::LayerShape shape_;
  Policy pol_;
  std::vector<std::vector<int>> toks_, heads_;
};

/// The brief's policy: keep 60/50/40/30 tokens per layer from layer 1 (so 60 at
/// layer 0 is never applied), sinks 2, recent 4; heads pruned from layer 2, layer
/// 3 keeps one KV head (1 at layers 0-1 is never applied); values at 20%;
/// progressive quantization with a 0.05 threshold.
Policy main_policy() {
  Policy p;
  p.token_start_layer = 1;
  p.token_keep[0] = KeepRule::of_count(60);
  p.token_keep[1] = KeepRule::of_count(50);
  p.token_keep[2] = KeepRule::of_count(40);
  p.token_keep[3] = KeepRule::of_count(30);
  p.sink_tokens = 2;
  p.recent_tokens = 4;
  p.head_start_layer = 2;
  p.head_keep[0] = KeepRule::of_count(1);
  p.head_keep[1] = KeepRule::of_count(1);
  p.head_keep[2] = KeepRule::all();
  p.head_keep[3] = KeepRule::of_count(1);
  p.value_keep = KeepRule::of_ratio(ratio_q16(0.2));
  p.progressive = true;
  p.requant_threshold_q16 = ratio_q16(0.05);
  return p;
}

// ---------------------------------------------------------------------------
// init / begin_step
// ---------------------------------------------------------------------------

TEST(CascadeInit, StartsWithEverythingLive) {
  auto st = std::make_unique<State>();
  std::fill(std::begin(st->token_importance), std::end(st->token_importance), 77u);
  std::fill(std::begin(st->head_importance), std::end(st->head_importance), 77u);
  const g::LayerShape shape{4, 4, 2, 16};
  ASSERT_TRUE(g::cascade_init(*st, shape, 64));
  EXPECT_EQ(st->context_len, 64);
  EXPECT_EQ(st->step, -1);
  for (int l = 0; l < 4; ++l) {
    ASSERT_EQ(st->n_live_tokens[l], 64);
    for (int t = 0; t < 64; ++t) {
      EXPECT_EQ(st->live_tokens[l][t], t);
    }
    ASSERT_EQ(st->n_live_heads[l], 2);
    EXPECT_EQ(st->live_heads[l][0], 0);
    EXPECT_EQ(st->live_heads[l][1], 1);
  }
  for (int l = 4; l < kMaxLayers; ++l) {
    EXPECT_EQ(st->n_live_tokens[l], 0);
    EXPECT_EQ(st->n_live_heads[l], 0);
  }
  for (std::uint64_t x : st->token_importance) {
    EXPECT_EQ(x, 0u);
  }
  for (std::uint64_t x : st->head_importance) {
    EXPECT_EQ(x, 0u);
  }
}

TEST(CascadeInit, RefusesShapesThatDoNotFit) {
  auto st = std::make_unique<State>();
  ASSERT_TRUE(g::cascade_init(*st, g::LayerShape{4, 4, 2, 16}, 10));
  const auto good = st->context_len;
  EXPECT_FALSE(g::cascade_init(*st, g::LayerShape{4, 4, 2, 16}, kMaxCtx + 1)) << "prompt beyond max_context";
  EXPECT_FALSE(g::cascade_init(*st, g::LayerShape{kMaxLayers + 1, 4, 2, 16}, 10)) << "too many layers";
  EXPECT_FALSE(g::cascade_init(*st, g::LayerShape{4, 6, 4, 16}, 10)) << "kv_heads must divide query_heads";
  EXPECT_FALSE(g::cascade_init(*st, g::LayerShape{4, 4, 2, 1000}, 10)) << "head_dim beyond max_head_dim";
  EXPECT_FALSE(g::cascade_init(*st, g::LayerShape{0, 4, 2, 16}, 10)) << "no layers";
  EXPECT_EQ(st->context_len, good) << "a refused init must not touch the state";
}

TEST(CascadeBeginStep, NewTokenJoinsEveryLayerUntilContextFull) {
  auto st = std::make_unique<State>();
  const g::LayerShape shape{3, 2, 1, 16};
  g::cascade_init(*st, shape, kMaxCtx - 2);
  // shrink layer 1's list by hand: the new token is appended to whatever is live
  st->n_live_tokens[1] = 5;
  ASSERT_TRUE(g::cascade_begin_step(*st, shape));
  EXPECT_EQ(st->step, 0);
  EXPECT_EQ(st->context_len, kMaxCtx - 1);
  EXPECT_EQ(st->n_live_tokens[0], kMaxCtx - 1);
  EXPECT_EQ(st->live_tokens[0][kMaxCtx - 2], kMaxCtx - 2);
  EXPECT_EQ(st->n_live_tokens[1], 6);
  EXPECT_EQ(st->live_tokens[1][5], kMaxCtx - 2);
  EXPECT_EQ(st->n_live_tokens[3], 0);  // beyond shape.layers: untouched
  ASSERT_TRUE(g::cascade_begin_step(*st, shape));
  EXPECT_EQ(st->step, 1);
  EXPECT_EQ(st->context_len, kMaxCtx);
  EXPECT_EQ(st->live_tokens[2][kMaxCtx - 1], kMaxCtx - 1);
  // full: refused, nothing changes
  EXPECT_FALSE(g::cascade_begin_step(*st, shape));
  EXPECT_EQ(st->step, 1);
  EXPECT_EQ(st->context_len, kMaxCtx);
  EXPECT_EQ(st->n_live_tokens[0], kMaxCtx);
  EXPECT_EQ(st->n_live_tokens[1], 7);
}

// ---------------------------------------------------------------------------
// The main scenario: shadow model + properties (a)-(f)
// ---------------------------------------------------------------------------

TEST(Cascade, MainPolicyMatchesShadowAndProperties) {
  const std::uint64_t base = spatten::test::test_seed();
  const g::LayerShape shape{4, 4, 2, 16};
  const int prompt = 64;
  const int steps = 20;
  const Policy pol = main_policy();
  const int expected_tokens[4] = {-1, 50, 40, 30};  // layer 0: the whole context
  int refetched = 0, not_refetched = 0;
  for (std::uint64_t k = 0; k < 3; ++k) {
    SCOPED_TRACE(::testing::Message() << "seed " << base + k);
    std::mt19937_64 rng(base + k);
    const Model m = make_model(shape, prompt, steps, rng);
    MonotoneTracker mono(shape.layers);
    SizeOracle sizes(shape, pol, prompt);
    int pruned_kv = -1;
    const LayerHook hook = [&](int s, int l, const State& st, const Report& rep, const std::vector<std::int32_t>& out) {
      const int C = st.context_len;
      // (a)
      mono.check(l, st, shape.kv_heads);
      sizes.check(s, l, st);
      // (b) + (f): sizes. Step 0 (the first decode step) prunes nothing.
      const int n = st.n_live_tokens[l];
      if (s == 0) {
        EXPECT_EQ(n, prompt + 1);
        EXPECT_EQ(st.n_live_heads[l], 2);
        EXPECT_EQ(rep.token_topk.passes, 0);
        EXPECT_EQ(rep.head_topk.passes, 0);
      } else {
        EXPECT_EQ(n, l == 0 ? C : expected_tokens[l]);
        EXPECT_EQ(st.n_live_heads[l], l == 3 ? 1 : 2);
        if (l == 1) {
          EXPECT_GE(rep.token_topk.passes, 1);  // 51 live, keep 50
        }
        if (l == 3 && s == 1) {
          EXPECT_GE(rep.head_topk.passes, 1);
        }
      }
      // (c) sinks, recent window and the newest token are always live
      const std::vector<int> toks = golden_tokens(st, l);
      for (int t : {0, 1, C - 4, C - 3, C - 2, C - 1}) {
        EXPECT_TRUE(contains(toks, t)) << "token " << t;
      }
      EXPECT_TRUE(std::is_sorted(toks.begin(), toks.end()));
      // (d) a pruned KV head silences both of its query heads
      const std::vector<int> hs = golden_heads(st, l);
      for (int h = 0; h < shape.query_heads; ++h) {
        const int kvh = h / 2;
        if (contains(hs, kvh)) {
          EXPECT_TRUE(rep.head_ran[h]) << "head " << h;
          EXPECT_EQ(rep.head[h].values_kept, g::value_keep_count(pol.value_keep, n)) << "head " << h;
          if (rep.head[h].lsb_refetched) {
            ++refetched;
          } else {
            ++not_refetched;
          }
        } else {
          EXPECT_FALSE(rep.head_ran[h]) << "head " << h;
          EXPECT_FALSE(rep.head[h].lsb_refetched);
          EXPECT_EQ(rep.head[h].values_kept, 0);
          EXPECT_EQ(rep.head[h].max_prob, 0u);
          for (int d = 0; d < shape.head_dim; ++d) {
            EXPECT_EQ(out[sz(h * shape.head_dim + d)], 0) << "head " << h;
          }
        }
      }
      if (l == 3 && s >= 1) {
        ASSERT_EQ(hs.size(), 1u);
        const int gone = 1 - hs[0];
        if (pruned_kv < 0) {
          pruned_kv = gone;
        }
        EXPECT_EQ(gone, pruned_kv) << "the pruned KV head changed";
        EXPECT_FALSE(rep.head_ran[gone + gone]);
        EXPECT_FALSE(rep.head_ran[gone + gone + 1]);
      }
    };
    run_against_shadow(m, pol, hook);
    if (HasFatalFailure() || HasFailure()) {
      return;
    }
    EXPECT_EQ(mono.tokens_gone(0), 0);
    EXPECT_GT(mono.tokens_gone(3), mono.tokens_gone(1));
    EXPECT_EQ(mono.heads_gone(3), 1);
    EXPECT_EQ(mono.heads_gone(2), 0);
  }
  // the scenario exercises both requant outcomes
  EXPECT_GT(refetched, 0);
  EXPECT_GT(not_refetched, 0);
}

TEST(Cascade, FirstDecodeStepDoesNotPruneByDefault) {
  // (f) with the default token_start_step / head_start_step (1) and aggressive
  // rules from layer 0: step 0 keeps all prompt + 1 tokens and every KV head.
  std::mt19937_64 rng(spatten::test::test_seed());
  const g::LayerShape shape{3, 4, 2, 16};
  const Model m = make_model(shape, 32, 3, rng);
  Policy pol;
  ASSERT_EQ(pol.token_start_step, 1);
  ASSERT_EQ(pol.head_start_step, 1);
  for (int l = 0; l < 3; ++l) {
    pol.token_keep[l] = KeepRule::of_count(3);
    pol.head_keep[l] = KeepRule::of_count(1);
  }
  const LayerHook hook = [&](int s, int l, const State& st, const Report& rep, const std::vector<std::int32_t>&) {
    if (s == 0) {
      EXPECT_EQ(st.n_live_tokens[l], 33);
      EXPECT_EQ(st.n_live_heads[l], 2);
      for (int h = 0; h < 4; ++h) {
        EXPECT_TRUE(rep.head_ran[h]);
      }
    } else {
      EXPECT_EQ(st.n_live_tokens[l], 3);
      EXPECT_EQ(st.n_live_heads[l], 1);
    }
  };
  run_against_shadow(m, pol, hook);
}

TEST(Cascade, StartStepZeroPrunesAtFirstStep) {
  std::mt19937_64 rng(spatten::test::test_seed());
  const g::LayerShape shape{2, 2, 2, 16};
  const Model m = make_model(shape, 20, 3, rng);
  Policy pol;
  pol.token_start_step = 0;
  pol.head_start_step = 2;
  pol.token_keep[0] = KeepRule::of_count(10);
  pol.token_keep[1] = KeepRule::of_count(6);
  pol.head_keep[1] = KeepRule::of_count(1);
  pol.sink_tokens = 1;
  SizeOracle sizes(shape, pol, 20);
  const LayerHook hook = [&](int s, int l, const State& st, const Report&, const std::vector<std::int32_t>&) {
    sizes.check(s, l, st);
    EXPECT_EQ(st.n_live_tokens[l], l == 0 ? 10 : 6);
    EXPECT_EQ(st.n_live_heads[l], (l == 1 && s >= 2) ? 1 : 2);
  };
  run_against_shadow(m, pol, hook);
}

TEST(Cascade, RatioRulesMhaMatchShadow) {
  // MHA (kv == query heads), ratio rules against the growing context, start
  // step 2, head ratios and counts, fixed value count, no progressive.
  std::mt19937_64 rng(spatten::test::test_seed() + 11);
  const g::LayerShape shape{4, 4, 4, 16};
  const Model m = make_model(shape, 48, 12, rng);
  Policy pol;
  pol.token_start_layer = 0;
  pol.token_start_step = 2;
  pol.token_keep[0] = KeepRule::of_ratio(ratio_q16(0.9));
  pol.token_keep[1] = KeepRule::of_ratio(ratio_q16(0.7));
  pol.token_keep[2] = KeepRule::of_ratio(ratio_q16(0.5));
  pol.token_keep[3] = KeepRule::of_ratio(ratio_q16(0.3));
  pol.head_start_layer = 1;
  pol.head_keep[1] = KeepRule::of_ratio(ratio_q16(0.75));
  pol.head_keep[2] = KeepRule::of_count(2);
  pol.head_keep[3] = KeepRule::of_count(1);
  pol.value_keep = KeepRule::of_count(8);
  MonotoneTracker mono(shape.layers);
  SizeOracle sizes(shape, pol, 48);
  const LayerHook hook = [&](int s, int l, const State& st, const Report& rep, const std::vector<std::int32_t>&) {
    mono.check(l, st, shape.kv_heads);
    sizes.check(s, l, st);
    const int C = st.context_len;
    if (s >= 2) {
      // at most floor(r * C) (fewer when an earlier layer already dropped more)
      const double r[4] = {0.9, 0.7, 0.5, 0.3};
      const int cap =
          static_cast<int>((static_cast<std::uint64_t>(ratio_q16(r[l])) * static_cast<std::uint64_t>(C)) >> 16);
      EXPECT_LE(st.n_live_tokens[l], cap);
      if (l == 0) {
        EXPECT_EQ(st.n_live_tokens[l], cap);
      }
      EXPECT_TRUE(contains(golden_tokens(st, l), C - 1));
    } else {
      EXPECT_EQ(st.n_live_tokens[l], C);
    }
    const int heads_expected[4] = {4, 3, 2, 1};
    EXPECT_EQ(st.n_live_heads[l], s >= 1 ? heads_expected[l] : 4);
    for (int h = 0; h < 4; ++h) {
      if (rep.head_ran[h]) {
        EXPECT_EQ(rep.head[h].values_kept, 8);
      }
    }
  };
  run_against_shadow(m, pol, hook);
}

TEST(Cascade, FixedReferenceGroupOfFourMatchesShadow) {
  // group of 4 query heads per KV head, fixed reference length, sinks and a
  // recent window, value ratio, progressive with a threshold of 1.0.
  std::mt19937_64 rng(spatten::test::test_seed() + 22);
  const g::LayerShape shape{3, 8, 2, 16};
  const Model m = make_model(shape, 40, 10, rng);
  Policy pol;
  pol.token_start_layer = 1;
  pol.token_reference_length = 40;
  pol.token_keep[1] = KeepRule::of_ratio(ratio_q16(0.75));  // 30
  pol.token_keep[2] = KeepRule::of_ratio(ratio_q16(0.4));   // 26214 * 40 / 2^16 = 15.9998 -> 15
  pol.sink_tokens = 3;
  pol.recent_tokens = 2;
  pol.head_start_layer = 2;
  pol.head_keep[2] = KeepRule::of_ratio(ratio_q16(0.5));  // 1 of 2
  pol.value_keep = KeepRule::of_ratio(ratio_q16(0.5));
  pol.progressive = true;
  pol.requant_threshold_q16 = 65536;
  SizeOracle sizes(shape, pol, 40);
  const LayerHook hook = [&](int s, int l, const State& st, const Report& rep, const std::vector<std::int32_t>& out) {
    sizes.check(s, l, st);
    const int expect[3] = {st.context_len, 30, 15};
    EXPECT_EQ(st.n_live_tokens[l], s == 0 ? st.context_len : expect[l]);
    if (l == 2 && s >= 1) {
      ASSERT_EQ(st.n_live_heads[l], 1);
      const int kept = st.live_heads[l][0];
      for (int h = 0; h < 8; ++h) {
        EXPECT_EQ(rep.head_ran[h], h / 4 == kept) << h;
        if (h / 4 != kept) {
          for (int d = 0; d < 16; ++d) {
            EXPECT_EQ(out[sz(h * 16 + d)], 0);
          }
        }
      }
    }
  };
  run_against_shadow(m, pol, hook);
}

TEST(Cascade, SingleKvHeadNeverPrunedBelowOne) {
  // MQA: one KV head. Head rules of 0 (count and ratio) still keep it: keep =
  // max(1, resolve(.)).
  std::mt19937_64 rng(spatten::test::test_seed() + 33);
  const g::LayerShape shape{3, 4, 1, 16};
  const Model m = make_model(shape, 24, 4, rng);
  Policy pol;
  pol.head_start_layer = 0;
  pol.head_start_step = 0;
  pol.head_keep[0] = KeepRule::of_count(0);
  pol.head_keep[1] = KeepRule::of_ratio(0);
  pol.head_keep[2] = KeepRule::of_count(-5);
  const LayerHook hook = [&](int, int l, const State& st, const Report& rep, const std::vector<std::int32_t>&) {
    EXPECT_EQ(st.n_live_heads[l], 1);
    for (int h = 0; h < 4; ++h) {
      EXPECT_TRUE(rep.head_ran[h]);
    }
  };
  run_against_shadow(m, pol, hook);
}

TEST(Cascade, PrunedTokensAreNeverReadAgain) {
  // Two cascades in lockstep, one on a model whose K/V rows are overwritten
  // with extreme words as soon as a token leaves a layer's list: identical
  // outputs prove the golden model never reads a pruned token's K or V again.
  std::mt19937_64 rng(spatten::test::test_seed() + 44);
  const g::LayerShape shape{4, 4, 2, 16};
  const Model clean = make_model(shape, 64, 12, rng);
  Model dirty = clean;
  const Policy pol = main_policy();
  auto a = std::make_unique<State>();
  auto b = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*a, shape, 64);
  g::cascade_init(*b, shape, 64);
  std::vector<std::int32_t> oa(64), ob(64);
  int poisoned = 0;
  for (int s = 0; s < clean.steps; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*a, shape));
    ASSERT_TRUE(g::cascade_begin_step(*b, shape));
    for (int l = 0; l < shape.layers; ++l) {
      const auto pa = clean.planes(l);
      const auto pb = dirty.planes(l);
      g::cascade_layer(*a, pol, shape, l, clean.query(s, l), clean.scales(l), pa.data(), oa.data(), *sc, *rep);
      g::cascade_layer(*b, pol, shape, l, dirty.query(s, l), dirty.scales(l), pb.data(), ob.data(), *sc, *rep);
      ASSERT_EQ(oa, ob) << "step " << s << " layer " << l;
      const std::vector<int> toks = golden_tokens(*b, l);
      const std::vector<int> heads = golden_heads(*b, l);
      for (int kvh = 0; kvh < shape.kv_heads; ++kvh) {
        const std::size_t i = dirty.kv_index(l, kvh);
        for (int t = 0; t < b->context_len; ++t) {
          if (contains(toks, t) && contains(heads, kvh)) {
            continue;
          }
          for (int d = 0; d < 16; ++d) {
            const std::size_t j = sz(t * 16 + d);
            if (dirty.k_msb[i][j] == 127) {
              continue;
            }
            dirty.k_msb[i][j] = 127;
            dirty.k_lsb[i][j] = 15;
            dirty.v_msb[i][j] = -128;
            dirty.v_lsb[i][j] = 0;
            ++poisoned;
          }
        }
      }
    }
  }
  EXPECT_GT(poisoned, 1000);
}

TEST(Cascade, OfficialPer8TraceShape) {
  // The official GPT-2 small per8 trace: 12 layers, context 993 + iteration,
  // ratios 0.9/0.7/0.2x4/0.1x6 of a 1024 reference from layer 0 keep
  // [921, 716, 204 x4, 102 x6] keys after the first step and values at 20% of
  // the keys: [184, 143, 40 x4, 20 x6].
  using State16 = g::CascadeState<Cfg, 16, 1>;
  using Scratch16 = g::CascadeScratch<Cfg, 1>;
  std::mt19937_64 rng(spatten::test::test_seed());
  const g::LayerShape shape{12, 1, 1, 16};
  const Model m = make_model(shape, 993, 4, rng);
  g::CascadePolicy<16> pol;
  pol.token_start_layer = 0;
  pol.token_reference_length = 1024;
  const double ratios[12] = {0.9, 0.7, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
  for (int l = 0; l < 12; ++l) {
    pol.token_keep[l] = KeepRule::of_ratio(ratio_q16(ratios[l]));
  }
  pol.value_keep = KeepRule::of_ratio(ratio_q16(0.2));
  const int keys[12] = {921, 716, 204, 204, 204, 204, 102, 102, 102, 102, 102, 102};
  const int values[12] = {184, 143, 40, 40, 40, 40, 20, 20, 20, 20, 20, 20};
  auto st = std::make_unique<State16>();
  auto sc = std::make_unique<Scratch16>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*st, shape, 993);
  std::vector<std::int32_t> out(16);
  for (int s = 0; s < m.steps; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*st, shape));
    for (int l = 0; l < 12; ++l) {
      const auto planes = m.planes(l);
      g::cascade_layer(*st, pol, shape, l, m.query(s, l), m.scales(l), planes.data(), out.data(), *sc, *rep);
      if (s == 0) {
        EXPECT_EQ(rep->tokens_attended, 994) << "layer " << l;
        EXPECT_EQ(rep->head[0].values_kept, 198) << "layer " << l;  // floor(13107 * 994 / 2^16)
      } else {
        EXPECT_EQ(rep->tokens_attended, keys[l]) << "step " << s << " layer " << l;
        EXPECT_EQ(rep->head[0].values_kept, values[l]) << "step " << s << " layer " << l;
        // a top-k runs at layer 0 (922 live) and wherever step 1 shrinks the list
        if (l == 0 || (s == 1 && keys[l] < keys[l - 1])) {
          EXPECT_GE(rep->token_topk.passes, 1) << "step " << s << " layer " << l;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// (g) dense policy == plain attention
// ---------------------------------------------------------------------------

void check_dense(bool progressive) {
  std::mt19937_64 rng(spatten::test::test_seed() + (progressive ? 55u : 66u));
  const g::LayerShape shape{3, 4, 2, 16};
  const Model m = make_model(shape, 40, 6, rng);
  Policy pol;  // every rule kAll
  pol.token_start_layer = 0;
  pol.token_start_step = 0;
  pol.head_start_layer = 0;
  pol.head_start_step = 0;
  pol.sink_tokens = 1;
  pol.recent_tokens = 3;
  pol.progressive = progressive;
  pol.requant_threshold_q16 = ratio_q16(0.08);
  auto st = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto hs = std::make_unique<g::HeadScratch<Cfg>>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*st, shape, m.prompt_len);
  std::vector<std::int32_t> out(64), ref(16);
  std::vector<int> all;
  for (int t = 0; t < m.max_tokens; ++t) {
    all.push_back(t);
  }
  for (int s = 0; s < m.steps; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*st, shape));
    const int C = st->context_len;
    for (int l = 0; l < shape.layers; ++l) {
      std::fill(out.begin(), out.end(), kGarbage);
      const auto planes = m.planes(l);
      g::cascade_layer(*st, pol, shape, l, m.query(s, l), m.scales(l), planes.data(), out.data(), *sc, *rep);
      EXPECT_EQ(rep->tokens_attended, C);
      EXPECT_EQ(rep->kv_heads_live, 2);
      EXPECT_EQ(rep->token_topk.passes, 0);
      EXPECT_EQ(rep->head_topk.passes, 0);
      for (int h = 0; h < 4; ++h) {
        g::HeadJob job;
        job.n = C;
        job.head_dim = 16;
        job.scale = m.scales(l)[h];
        job.progressive = progressive;
        job.requant_threshold_q16 = pol.requant_threshold_q16;
        job.value_keep = C;
        const g::HeadResult r =
            g::attend_head<Cfg>(m.query(s, l, h), planes[sz(h / 2)], all.data(), job, ref.data(), *hs);
        EXPECT_TRUE(rep->head_ran[h]);
        EXPECT_EQ(rep->head[h].values_kept, C);
        expect_same_result(rep->head[h], r, h);
        EXPECT_TRUE(std::equal(ref.begin(), ref.end(), out.begin() + off(h, 16)))
            << "step " << s << " layer " << l << " head " << h;
      }
    }
  }
}

TEST(Cascade, DensePolicyEqualsAttentionOverAllTokens) { check_dense(false); }
TEST(Cascade, DenseProgressivePolicyEqualsAttentionOverAllTokens) { check_dense(true); }

// ---------------------------------------------------------------------------
// Hand-worked: uniform attention (zero queries)
// ---------------------------------------------------------------------------

/// The probability of every token of a uniform row of n (all logits equal).
std::uint64_t uniform_p(int n) {
  const std::uint64_t e = std::uint64_t{1} << 24;
  const std::uint64_t recip = (std::uint64_t{1} << 62) / (e * static_cast<std::uint64_t>(n));
  return (e * recip) >> (62 - Cfg::prob_frac_bits);
}

TEST(Cascade, UniformAttentionHandWorked) {
  // 2 layers, 1 head, prompt 8, zero queries: every row is uniform, so every
  // live token of a row receives uniform_p(n). Layer 1 keeps 5 tokens from step
  // 1 (sinks 1, recent 1). Hand trace:
  //  step 0 (C=9):  no pruning; tokens 0..8 get 2*u9.
  //  step 1 (C=10): layer 0 all (u10); layer 1 protects {0, 9}, tokens 1..8
  //                 tie at 2u9+u10 -> the earliest three: {0,1,2,3,9} (u5 each).
  //  step 2 (C=11): layer 1 candidates 1,2,3 (high) and 9 (low) -> drop 9:
  //                 {0,1,2,3,10}. Likewise every later step drops the previous newest.
  std::mt19937_64 rng(spatten::test::test_seed());
  const g::LayerShape shape{2, 1, 1, 16};
  Model m = make_model(shape, 8, 4, rng);
  std::fill(m.q.begin(), m.q.end(), 0);
  Policy pol;
  pol.token_start_layer = 1;
  pol.token_keep[0] = KeepRule::of_count(1);
  pol.token_keep[1] = KeepRule::of_count(5);
  pol.sink_tokens = 1;
  pol.recent_tokens = 1;
  auto st = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*st, shape, 8);
  std::vector<std::int32_t> out(16);
  for (int s = 0; s < 4; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*st, shape));
    const int C = st->context_len;
    for (int l = 0; l < 2; ++l) {
      const auto planes = m.planes(l);
      g::cascade_layer(*st, pol, shape, l, m.query(s, l), m.scales(l), planes.data(), out.data(), *sc, *rep);
      EXPECT_EQ(rep->head[0].max_prob, uniform_p(st->n_live_tokens[l]));
    }
    std::vector<int> all;
    for (int t = 0; t < C; ++t) {
      all.push_back(t);
    }
    EXPECT_EQ(golden_tokens(*st, 0), all) << "step " << s;
    if (s == 0) {
      EXPECT_EQ(golden_tokens(*st, 1), all);
    } else {
      EXPECT_EQ(golden_tokens(*st, 1), (std::vector<int>{0, 1, 2, 3, C - 1})) << "step " << s;
    }
  }
  const std::uint64_t u5 = uniform_p(5), u9 = uniform_p(9), u10 = uniform_p(10), u11 = uniform_p(11),
                      u12 = uniform_p(12);
  EXPECT_NE(u9, u10);
  std::vector<std::uint64_t> expected(sz(kMaxCtx), 0);
  for (int t = 0; t <= 3; ++t) {
    expected[sz(t)] = 2 * u9 + u10 + u11 + u12 + 3 * u5;
  }
  for (int t = 4; t <= 8; ++t) {
    expected[sz(t)] = 2 * u9 + u10 + u11 + u12;
  }
  expected[9] = u10 + u5 + u11 + u12;
  expected[10] = u11 + u5 + u12;
  expected[11] = u12 + u5;
  for (int t = 0; t < kMaxCtx; ++t) {
    ASSERT_EQ(st->token_importance[t], expected[sz(t)]) << "token " << t;
  }
}

// ---------------------------------------------------------------------------
// GQA
// ---------------------------------------------------------------------------

void check_gqa_mapping(int query_heads, int kv_heads) {
  SCOPED_TRACE(::testing::Message() << query_heads << " query heads, " << kv_heads << " KV heads");
  std::mt19937_64 rng(spatten::test::test_seed() + static_cast<std::uint64_t>(query_heads * 10 + kv_heads));
  const g::LayerShape shape{1, query_heads, kv_heads, 16};
  Model m = make_model(shape, 24, 1, rng);
  // KV head k: V words all of sign (-1)^k with a distinct magnitude band, so a
  // query head's output tells which KV head it read.
  for (int kvh = 0; kvh < kv_heads; ++kvh) {
    auto& vm = m.v_msb[m.kv_index(0, kvh)];
    for (auto& x : vm) {
      x = static_cast<std::int16_t>((kvh % 2 == 0 ? 1 : -1) * (10 + 20 * kvh + (x & 7)));
    }
  }
  // the same query and scale for every query head
  for (int h = 1; h < query_heads; ++h) {
    std::copy(m.q.begin(), m.q.begin() + 16, m.q.begin() + off(h, 16));
    m.scale[sz(h)] = m.scale[0];
  }
  auto st = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto hs = std::make_unique<g::HeadScratch<Cfg>>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*st, shape, 24);
  ASSERT_TRUE(g::cascade_begin_step(*st, shape));
  std::vector<std::int32_t> out(sz(query_heads * 16), kGarbage);
  const auto planes = m.planes(0);
  const Policy pol;
  g::cascade_layer(*st, pol, shape, 0, m.query(0, 0), m.scales(0), planes.data(), out.data(), *sc, *rep);
  std::vector<int> all;
  for (int t = 0; t < 25; ++t) {
    all.push_back(t);
  }
  const int group = query_heads / kv_heads;
  std::vector<std::vector<std::int32_t>> per_kv(sz(kv_heads), std::vector<std::int32_t>(16));
  for (int kvh = 0; kvh < kv_heads; ++kvh) {
    g::HeadJob job;
    job.n = 25;
    job.head_dim = 16;
    job.scale = m.scale[0];
    job.value_keep = 25;
    g::attend_head<Cfg>(m.query(0, 0, 0), planes[sz(kvh)], all.data(), job, per_kv[sz(kvh)].data(), *hs);
  }
  for (int a = 0; a < kv_heads; ++a) {
    for (int b = a + 1; b < kv_heads; ++b) {
      ASSERT_NE(per_kv[sz(a)], per_kv[sz(b)]);
    }
  }
  for (int h = 0; h < query_heads; ++h) {
    const int kvh = h / group;
    EXPECT_TRUE(rep->head_ran[h]);
    const std::vector<std::int32_t> got(out.begin() + off(h, 16), out.begin() + off(h + 1, 16));
    EXPECT_EQ(got, per_kv[sz(kvh)]) << "query head " << h << " should read KV head " << kvh;
    for (std::int32_t x : got) {
      // sign and band: |v| in [10 + 20k, 17 + 20k] words of msb, i.e. x 16 + lsb, then x 2^out_frac
      if (kvh % 2 == 0) {
        EXPECT_GT(x, 0) << "query head " << h;
      } else {
        EXPECT_LT(x, 0) << "query head " << h;
      }
      const std::int64_t mag = std::llabs(x);
      EXPECT_GE(mag, (10 + 20 * kvh) * 16 * 16 * 9 / 10) << "query head " << h;  // probabilities sum to ~1
      EXPECT_LE(mag, (18 + 20 * kvh) * 16 * 16) << "query head " << h;
    }
  }
}

TEST(CascadeGqa, QueryHeadsReadTheirKvGroup) {
  check_gqa_mapping(4, 2);  // heads 0,1 -> KV 0; 2,3 -> KV 1
  check_gqa_mapping(8, 2);  // groups of four
  check_gqa_mapping(4, 4);  // MHA
  check_gqa_mapping(4, 1);  // MQA
  check_gqa_mapping(6, 3);
}

TEST(CascadeGqa, HeadPruningRemovesTheLessImportantGroup) {
  // KV head 1 has large V words, KV head 0 tiny ones: after layer 0 of step 0
  // head importance favours KV 1, so layer 1 (head_start_step 0) keeps only it;
  // query heads 0 and 1 output zeros and do not run, 2 and 3 run.
  std::mt19937_64 rng(spatten::test::test_seed() + 77);
  const g::LayerShape shape{2, 4, 2, 16};
  Model m = make_model(shape, 16, 3, rng);
  for (int l = 0; l < 2; ++l) {
    for (auto& x : m.v_msb[m.kv_index(l, 0)]) {
      x = static_cast<std::int16_t>(x & 1);  // words 0..31
    }
    for (auto& x : m.v_msb[m.kv_index(l, 1)]) {
      x = static_cast<std::int16_t>(100 + (x & 7));
    }
  }
  Policy pol;
  pol.head_start_layer = 1;
  pol.head_start_step = 0;
  pol.head_keep[0] = KeepRule::of_count(1);  // below the start layer: ignored
  pol.head_keep[1] = KeepRule::of_count(1);
  auto st = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto hs = std::make_unique<g::HeadScratch<Cfg>>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*st, shape, 16);
  std::vector<std::int32_t> out(64);
  std::uint64_t himp[2] = {0, 0};
  for (int s = 0; s < 3; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*st, shape));
    std::vector<int> all;
    for (int t = 0; t < st->context_len; ++t) {
      all.push_back(t);
    }
    for (int l = 0; l < 2; ++l) {
      std::fill(out.begin(), out.end(), kGarbage);
      const auto planes = m.planes(l);
      g::cascade_layer(*st, pol, shape, l, m.query(s, l), m.scales(l), planes.data(), out.data(), *sc, *rep);
      if (l == 0) {
        EXPECT_EQ(golden_heads(*st, 0), (std::vector<int>{0, 1}));
      } else {
        EXPECT_EQ(golden_heads(*st, 1), (std::vector<int>{1}));
        EXPECT_EQ(rep->kv_heads_live, 1);
      }
      for (int h = 0; h < 4; ++h) {
        const bool live = l == 0 || h >= 2;
        EXPECT_EQ(rep->head_ran[h], live) << "step " << s << " layer " << l << " head " << h;
        std::vector<std::int32_t> ref(16, 0);
        if (live) {
          g::HeadJob job;
          job.n = st->context_len;
          job.head_dim = 16;
          job.scale = m.scales(l)[h];
          job.value_keep = job.n;
          g::attend_head<Cfg>(m.query(s, l, h), planes[sz(h / 2)], all.data(), job, ref.data(), *hs);
          for (std::int32_t x : ref) {
            himp[h / 2] += static_cast<std::uint64_t>(std::llabs(x));
          }
        }
        EXPECT_TRUE(std::equal(ref.begin(), ref.end(), out.begin() + off(h, 16)))
            << "step " << s << " layer " << l << " head " << h;
      }
      EXPECT_EQ(st->head_importance[0], himp[0]);
      EXPECT_EQ(st->head_importance[1], himp[1]);
    }
  }
  EXPECT_GT(himp[1], himp[0]);
}

TEST(CascadeGqa, HeadImportanceTieKeepsLowerKvHead) {
  // All V words zero: every output is 0, both head importances stay 0, and the
  // tie keeps KV head 0 (query heads 0, 1).
  std::mt19937_64 rng(spatten::test::test_seed() + 88);
  const g::LayerShape shape{2, 4, 2, 16};
  Model m = make_model(shape, 16, 2, rng);
  for (auto& v : m.v_msb) {
    std::fill(v.begin(), v.end(), std::int16_t{0});
  }
  for (auto& v : m.v_lsb) {
    std::fill(v.begin(), v.end(), std::uint16_t{0});
  }
  Policy pol;
  pol.head_start_layer = 1;
  pol.head_start_step = 0;
  pol.head_keep[1] = KeepRule::of_count(1);
  auto st = std::make_unique<State>();
  auto sc = std::make_unique<Scratch>();
  auto rep = std::make_unique<Report>();
  g::cascade_init(*st, shape, 16);
  std::vector<std::int32_t> out(64);
  for (int s = 0; s < 2; ++s) {
    ASSERT_TRUE(g::cascade_begin_step(*st, shape));
    for (int l = 0; l < 2; ++l) {
      std::fill(out.begin(), out.end(), kGarbage);
      const auto planes = m.planes(l);
      g::cascade_layer(*st, pol, shape, l, m.query(s, l), m.scales(l), planes.data(), out.data(), *sc, *rep);
      for (std::int32_t x : out) {
        EXPECT_EQ(x, 0);
      }
      for (int h = 0; h < 4; ++h) {
        EXPECT_EQ(rep->head_ran[h], l == 0 || h < 2) << "layer " << l << " head " << h;
      }
    }
    EXPECT_EQ(golden_heads(*st, 1), (std::vector<int>{0}));
    EXPECT_EQ(st->head_importance[0], 0u);
    EXPECT_EQ(st->head_importance[1], 0u);
  }
}

}  // namespace
