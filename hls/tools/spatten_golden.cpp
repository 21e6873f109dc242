// spatten-golden: decode steps through the golden model (hls/include/spatten).
//
// Builds a synthetic KV cache and queries with LLM shapes from models/llm, runs
// the cascade of a pruning policy from models/policy next to a dense run of
// the same data, and reports per layer what the policy kept, how many rows
// needed the LSB refetch, and the output error against the dense golden run
// and the double-precision reference. Layers are independent attention rows
// (no transformer between them): this exercises the accelerator's algorithms,
// not a language model.
//
// Synthetic data: K and V rows are N(0,1); each query head leans towards a
// fixed set of "heavy" tokens (token 0 and 8 random prompt tokens) plus the
// newest token, so attention is peaked and importance persists over steps.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "spatten/models/golden_policy.h"
#include "spatten/config/all.h"
#include "spatten/golden.h"
#include "spatten/models/presets.h"
#include "spatten/reference/float_attention.h"

namespace {

namespace g = spatten::golden;
namespace m = spatten::models;
using nlohmann::json;

constexpr int kMaxLayers = 64;
constexpr int kMaxKvHeads = 64;

struct Options {
  std::string model = "gpt2-small";
  std::string policy = "spatten-gpt2-per8";
  std::string preset = "spatten-1-8";
  int prompt = 993;
  int steps = 32;
  std::uint64_t seed = 1;
  std::string json_path;
  bool quiet = false;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::size_t sz(long v) { return static_cast<std::size_t>(v); }

template <class C>
class GoldenRun {
 public:
  GoldenRun(const Options& o, const m::LlmShape& shape, const m::PruningPolicy& policy)
      : o_(o), model_(shape), policy_(policy) {
    shape_ = g::LayerShape{shape.layers, shape.query_heads, shape.kv_heads, shape.head_dim};
    ctx_ = o.prompt + o.steps;
    check_fits();
  }

  json run() {
    build_cache();
    const auto pol = spatten::models::to_cascade_policy<kMaxLayers>(policy_, shape_.layers);
    g::CascadePolicy<kMaxLayers> dense;  // default: keep everything, exact words
    auto st = std::make_unique<State>();
    auto st_dense = std::make_unique<State>();
    auto scratch = std::make_unique<Scratch>();
    auto report = std::make_unique<Report>();
    if (!g::cascade_init(*st, shape_, o_.prompt) || !g::cascade_init(*st_dense, shape_, o_.prompt))
      throw UsageError(fmt::format("model {} does not fit the golden model's capacity", model_.name));

    const int L = shape_.layers, H = shape_.query_heads, D = shape_.head_dim;
    std::vector<LayerStats> stats(sz(L));
    std::vector<std::int32_t> q(sz(long{H} * D)), out(q.size()), out_dense(q.size());
    std::vector<g::ScoreScale> scale(sz(H));
    std::vector<double> qf(sz(D));
    std::vector<int> all_live;
    double err_policy = 0, err_dense = 0, err_vs_dense = 0, sum_policy = 0, sum_dense = 0;
    long outputs = 0;
    std::mt19937_64 rng(o_.seed ^ 0x9e3779b97f4a7c15ull);
    std::normal_distribution<double> n01(0.0, 1.0);
    const auto t0 = std::chrono::steady_clock::now();

    for (int s = 0; s < o_.steps; ++s) {
      g::cascade_begin_step(*st, shape_);
      g::cascade_begin_step(*st_dense, shape_);
      const int context = st->context_len;
      all_live.resize(sz(context));
      for (int t = 0; t < context; ++t) all_live[sz(t)] = t;
      for (int l = 0; l < L; ++l) {
        for (int h = 0; h < H; ++h) make_query(l, h, context, rng, n01, qf, &q[sz(long{h} * D)], scale[sz(h)]);
        g::cascade_layer(*st, pol, shape_, l, q.data(), scale.data(), &planes_[sz(long{l} * shape_.kv_heads)],
                         out.data(), *scratch, *report);
        record(stats[sz(l)], *report);
        g::cascade_layer(*st_dense, dense, shape_, l, q.data(), scale.data(),
                         &planes_[sz(long{l} * shape_.kv_heads)], out_dense.data(), *scratch, *report);
        stats[sz(l)].dense_key_rows += long{report->tokens_attended} * report->kv_heads_live;
        for (int h = 0; h < H; ++h) {
          const int kv = kv_index(l, h);
          const double vmax = vmax_[sz(kv)];
          // the float reference over every token, on the unquantized data
          for (int d = 0; d < D; ++d) qf[sz(d)] = q_real_[sz(long{h} * D + d)];
          const std::vector<double> ref = spatten::reference::attention(
              qf.data(), kf_[sz(kv)].data(), vf_[sz(kv)].data(), all_live.data(), context, D);
          for (int d = 0; d < D; ++d) {
            const auto i = sz(long{h} * D + d);
            const double a = real_out(out[i], kv), b = real_out(out_dense[i], kv);
            const double ep = std::fabs(a - ref[sz(d)]) / vmax, ed = std::fabs(b - ref[sz(d)]) / vmax;
            err_policy = std::max(err_policy, ep);
            err_dense = std::max(err_dense, ed);
            err_vs_dense = std::max(err_vs_dense, std::fabs(a - b) / vmax);
            sum_policy += ep;
            sum_dense += ed;
            ++outputs;
          }
        }
      }
      if (!o_.quiet) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cerr << fmt::format("\rspatten-golden: step {}/{} ({:.1f} s)", s + 1, o_.steps, secs)
                  << (s + 1 == o_.steps ? "\n" : "") << std::flush;
      }
    }
    return summarize(stats, err_policy, err_dense, err_vs_dense, sum_policy / static_cast<double>(outputs),
                     sum_dense / static_cast<double>(outputs));
  }

 private:
  using State = g::CascadeState<C, kMaxLayers, kMaxKvHeads>;
  using Scratch = g::CascadeScratch<C, kMaxKvHeads>;
  using Report = g::LayerReport<C::max_query_heads>;
  using N = g::Numerics<C>;

  struct LayerStats {
    long rows = 0, requant_rows = 0, tokens = 0, kv_heads = 0, values = 0, key_rows = 0, dense_key_rows = 0;
    long steps = 0;
  };

  void check_fits() const {
    auto need = [](bool ok, const std::string& what) {
      if (!ok) throw UsageError(what);
    };
    need(o_.prompt >= 1, fmt::format("--prompt {} must be at least 1", o_.prompt));
    need(o_.steps >= 1, fmt::format("--steps {} must be at least 1", o_.steps));
    need(ctx_ <= C::max_context, fmt::format("prompt + steps = {} exceeds max_context {} of preset {}", ctx_,
                                             C::max_context, C::name()));
    need(shape_.layers <= kMaxLayers, fmt::format("model {} has {} layers; this tool supports {}", model_.name,
                                                  shape_.layers, kMaxLayers));
    need(shape_.kv_heads <= kMaxKvHeads, fmt::format("model {} has {} KV heads; this tool supports {}",
                                                     model_.name, shape_.kv_heads, kMaxKvHeads));
    need(shape_.query_heads <= C::max_query_heads,
         fmt::format("model {} has {} query heads; preset {} supports {}", model_.name, shape_.query_heads,
                     C::name(), C::max_query_heads));
    need(shape_.head_dim <= C::max_head_dim, fmt::format("model {} has head dimension {}; preset {} supports {}",
                                                         model_.name, shape_.head_dim, C::name(), C::max_head_dim));
  }

  int kv_index(int l, int h) const { return l * shape_.kv_heads + h / (shape_.query_heads / shape_.kv_heads); }

  double real_out(std::int32_t w, int kv) const {
    return std::ldexp(static_cast<double>(w), -C::out_frac_bits) * sv_[sz(kv)];
  }

  void build_cache() {
    const int KV = shape_.layers * shape_.kv_heads, D = shape_.head_dim;
    std::mt19937_64 rng(o_.seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    kf_.resize(sz(KV));
    vf_.resize(sz(KV));
    k_msb_.resize(sz(KV));
    k_lsb_.resize(sz(KV));
    v_msb_.resize(sz(KV));
    v_lsb_.resize(sz(KV));
    sk_.resize(sz(KV));
    sv_.resize(sz(KV));
    vmax_.resize(sz(KV));
    planes_.resize(sz(KV));
    for (int i = 0; i < KV; ++i) {
      auto& kf = kf_[sz(i)];
      auto& vf = vf_[sz(i)];
      kf.resize(sz(long{ctx_} * D));
      vf.resize(kf.size());
      for (auto& x : kf) x = n01(rng);
      for (auto& x : vf) x = n01(rng);
      double kmax = 0, vmax = 0;
      for (std::size_t j = 0; j < kf.size(); ++j) {
        kmax = std::max(kmax, std::fabs(kf[j]));
        vmax = std::max(vmax, std::fabs(vf[j]));
      }
      // one scale per (layer, KV head), as the host would calibrate it
      sk_[sz(i)] = g::symmetric_scale(kmax, N::k_bits);
      sv_[sz(i)] = g::symmetric_scale(vmax, N::v_bits);
      vmax_[sz(i)] = vmax;
      for (double x : kf) {
        const auto p = g::split_planes<C::k_msb_bits, C::k_lsb_bits>(g::quantize(x, sk_[sz(i)], N::k_bits));
        k_msb_[sz(i)].push_back(p.msb);
        k_lsb_[sz(i)].push_back(p.lsb);
      }
      for (double x : vf) {
        const auto p = g::split_planes<C::v_msb_bits, C::v_lsb_bits>(g::quantize(x, sv_[sz(i)], N::v_bits));
        v_msb_[sz(i)].push_back(p.msb);
        v_lsb_[sz(i)].push_back(p.lsb);
      }
      planes_[sz(i)] = g::KvPlanes{k_msb_[sz(i)].data(), k_lsb_[sz(i)].data(), v_msb_[sz(i)].data(),
                                   v_lsb_[sz(i)].data()};
    }
    // heavy hitters per query head: token 0 and 8 random prompt tokens
    heavy_.resize(sz(long{shape_.layers} * shape_.query_heads));
    for (auto& hv : heavy_) {
      hv.push_back(0);
      for (int j = 0; j < 8; ++j) hv.push_back(static_cast<int>(rng() % static_cast<std::uint64_t>(o_.prompt)));
    }
    q_real_.resize(sz(long{shape_.query_heads} * D));
  }

  void make_query(int l, int h, int context, std::mt19937_64& rng, std::normal_distribution<double>& n01,
                  std::vector<double>& qf, std::int32_t* qw, g::ScoreScale& scale) {
    const int D = shape_.head_dim;
    const int kv = kv_index(l, h);
    const auto& kf = kf_[sz(kv)];
    const auto& hv = heavy_[sz(long{l} * shape_.query_heads + h)];
    // logits of heavy tokens sit about 5 above the field (alpha * sqrt(D) / |heavy|)
    const double alpha = 5.0 * static_cast<double>(hv.size() + 1) / std::sqrt(static_cast<double>(D));
    for (int d = 0; d < D; ++d) {
      double acc = kf[sz(long{context - 1} * D + d)];
      for (int t : hv) acc += kf[sz(long{t} * D + d)];
      qf[sz(d)] = alpha * acc / static_cast<double>(hv.size() + 1) + 0.5 * n01(rng);
      q_real_[sz(long{h} * D + d)] = qf[sz(d)];
    }
    double qmax = 0;
    for (int d = 0; d < D; ++d) qmax = std::max(qmax, std::fabs(qf[sz(d)]));
    const double sq = g::symmetric_scale(qmax, N::q_bits);
    for (int d = 0; d < D; ++d) qw[d] = g::quantize(qf[sz(d)], sq, N::q_bits);
    scale = g::make_score_scale(sq * sk_[sz(kv)] / std::sqrt(static_cast<double>(D)) *
                                std::ldexp(1.0, N::logit_frac_bits));
  }

  void record(LayerStats& s, const Report& r) const {
    ++s.steps;
    s.tokens += r.tokens_attended;
    s.kv_heads += r.kv_heads_live;
    s.key_rows += long{r.tokens_attended} * r.kv_heads_live;
    for (int h = 0; h < shape_.query_heads; ++h) {
      if (!r.head_ran[h]) continue;
      ++s.rows;
      s.requant_rows += r.head[h].lsb_refetched ? 1 : 0;
      s.values += r.head[h].values_kept;
    }
  }

  json summarize(const std::vector<LayerStats>& stats, double err_policy, double err_dense, double err_vs_dense,
                 double mean_policy, double mean_dense) const {
    json layers = json::array();
    long rows = 0, requant = 0, key_rows = 0, dense_rows = 0;
    for (int l = 0; l < shape_.layers; ++l) {
      const LayerStats& s = stats[sz(l)];
      const double steps = static_cast<double>(s.steps);
      layers.push_back({{"layer", l},
                        {"mean_live_tokens", static_cast<double>(s.tokens) / steps},
                        {"mean_live_kv_heads", static_cast<double>(s.kv_heads) / steps},
                        {"rows", s.rows},
                        {"requant_rows", s.requant_rows},
                        {"mean_values_kept", s.rows ? static_cast<double>(s.values) / static_cast<double>(s.rows) : 0.0},
                        {"key_rows_fetched", s.key_rows},
                        {"dense_key_rows", s.dense_key_rows}});
      rows += s.rows;
      requant += s.requant_rows;
      key_rows += s.key_rows;
      dense_rows += s.dense_key_rows;
    }
    return json{{"config",
                 {{"model", model_.name},
                  {"policy", policy_.name},
                  {"preset", C::name()},
                  {"prompt", o_.prompt},
                  {"steps", o_.steps},
                  {"seed", o_.seed}}},
                {"layers", layers},
                {"totals",
                 {{"rows", rows},
                  {"requant_rows", requant},
                  {"requant_fraction", rows ? static_cast<double>(requant) / static_cast<double>(rows) : 0.0},
                  {"key_rows_fetched", key_rows},
                  {"dense_key_rows", dense_rows},
                  {"key_row_reduction", key_rows ? static_cast<double>(dense_rows) / static_cast<double>(key_rows) : 0.0}}},
                {"error_over_max_abs_v",
                 {{"policy_vs_float_max", err_policy},
                  {"policy_vs_float_mean", mean_policy},
                  {"dense_vs_float_max", err_dense},
                  {"dense_vs_float_mean", mean_dense},
                  {"policy_vs_dense_golden_max", err_vs_dense}}}};
  }

  const Options& o_;
  const m::LlmShape& model_;
  const m::PruningPolicy& policy_;
  g::LayerShape shape_;
  int ctx_ = 0;
  std::vector<std::vector<double>> kf_, vf_;
  std::vector<std::vector<std::int16_t>> k_msb_, v_msb_;
  std::vector<std::vector<std::uint16_t>> k_lsb_, v_lsb_;
  std::vector<double> sk_, sv_, vmax_;
  std::vector<g::KvPlanes> planes_;
  std::vector<std::vector<int>> heavy_;
  std::vector<double> q_real_;
};

void print_summary(const json& r) {
  const json& c = r["config"];
  std::cout << fmt::format("spatten-golden: {} decode, policy {}, preset {}, prompt {} + {} steps, seed {}\n",
                           c["model"].get<std::string>(), c["policy"].get<std::string>(),
                           c["preset"].get<std::string>(), c["prompt"].get<int>(), c["steps"].get<int>(),
                           c["seed"].get<std::uint64_t>());
  std::cout << fmt::format("{:>5} {:>12} {:>10} {:>12} {:>10}\n", "layer", "live tokens", "KV heads", "values/row",
                           "requant");
  for (const json& l : r["layers"]) {
    const long rows = l["rows"].get<long>();
    std::cout << fmt::format("{:>5} {:>12.1f} {:>10.2f} {:>12.1f} {:>9.1f}%\n", l["layer"].get<int>(),
                             l["mean_live_tokens"].get<double>(), l["mean_live_kv_heads"].get<double>(),
                             l["mean_values_kept"].get<double>(),
                             rows ? 100.0 * static_cast<double>(l["requant_rows"].get<long>()) / static_cast<double>(rows) : 0.0);
  }
  const json& t = r["totals"];
  const json& e = r["error_over_max_abs_v"];
  std::cout << fmt::format("key rows fetched: {} of {} dense ({:.2f}x fewer); rows needing LSBs: {} of {} ({:.1f}%)\n",
                           t["key_rows_fetched"].get<long>(), t["dense_key_rows"].get<long>(),
                           t["key_row_reduction"].get<double>(), t["requant_rows"].get<long>(),
                           t["rows"].get<long>(), 100.0 * t["requant_fraction"].get<double>());
  std::cout << fmt::format(
      "output error / max|V|: policy vs float max {:.4f} mean {:.5f}; dense golden vs float max {:.4f} mean {:.5f}\n",
      e["policy_vs_float_max"].get<double>(), e["policy_vs_float_mean"].get<double>(),
      e["dense_vs_float_max"].get<double>(), e["dense_vs_float_mean"].get<double>());
}

template <class C>
json run_with(const Options& o, const m::LlmShape& shape, const m::PruningPolicy& policy) {
  GoldenRun<C> r(o, shape, policy);
  return r.run();
}

json dispatch(const Options& o, const m::LlmShape& shape, const m::PruningPolicy& policy,
              const m::AcceleratorPreset& preset) {
  namespace cfg = spatten::config;
  if (preset.name == cfg::spatten_1_8::name()) return run_with<cfg::spatten_1_8>(o, shape, policy);
  if (preset.name == cfg::spatten_paper::name()) return run_with<cfg::spatten_paper>(o, shape, policy);
  if (preset.name == cfg::alveo_u280::name()) return run_with<cfg::alveo_u280>(o, shape, policy);
  if (preset.name == cfg::alveo_u55c::name()) return run_with<cfg::alveo_u55c>(o, shape, policy);
  throw UsageError(fmt::format("preset '{}' has no compiled configuration; the golden model is built for "
                               "spatten-1-8, spatten-paper, alveo-u280 and alveo-u55c",
                               preset.name));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Decode steps through the SpAtten golden model: a pruning policy against a dense run and the float\n"
      "reference, on synthetic peaked attention data with the shapes of an LLM preset."};
  app.add_option("--model", o.model, "LLM shape: a name in models/llm or a YAML file")->capture_default_str();
  app.add_option("--policy", o.policy, "pruning policy: a name in models/policy or a YAML file")->capture_default_str();
  app.add_option("--preset", o.preset, "accelerator preset (numerics): a name in models/accel")->capture_default_str();
  app.add_option("--prompt", o.prompt, "prompt tokens before the first decode step")->capture_default_str();
  app.add_option("--steps", o.steps, "decode steps")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the synthetic data")->capture_default_str();
  app.add_option("--json", o.json_path, "also write the JSON record to this file");
  app.add_flag("--quiet", o.quiet, "no progress line and no summary");
  CLI11_PARSE(app, argc, argv);
  try {
    const m::LlmShape shape = m::load_llm(m::find_preset(m::PresetKind::llm, o.model));
    const m::PruningPolicy policy = m::load_policy(m::find_preset(m::PresetKind::policy, o.policy));
    const m::AcceleratorPreset preset = m::load_accelerator(m::find_preset(m::PresetKind::accel, o.preset));
    if (policy.requant.enabled && (policy.requant.key_msb_bits != preset.numerics.k_msb_bits ||
                                   policy.requant.key_lsb_bits != preset.numerics.k_lsb_bits) && !o.quiet) {
      std::cerr << fmt::format("spatten-golden: note: policy {} asks for {}+{}-bit keys; preset {} stores {}+{} "
                               "(the preset's format is used)\n",
                               policy.name, policy.requant.key_msb_bits, policy.requant.key_lsb_bits, preset.name,
                               preset.numerics.k_msb_bits, preset.numerics.k_lsb_bits);
    }
    const json record = dispatch(o, shape, policy, preset);
    if (!o.json_path.empty()) {
      std::ofstream f(o.json_path);
      if (!(f << record.dump(2) << "\n")) throw UsageError("cannot write " + o.json_path);
    }
    if (!o.quiet) print_summary(record);
  } catch (const m::PresetError& e) {
    std::cerr << "spatten-golden: error: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "spatten-golden: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
