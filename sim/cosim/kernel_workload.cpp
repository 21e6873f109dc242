#include "kernel_workload.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "spatten/kernel/interface.h"
#include "spatten/models/presets.h"
#include "spatten/quant.h"

namespace spatten::cosim {

namespace {
using N = golden::Numerics<KernelCfg>;
namespace kif = spatten::kernel_if;

constexpr std::uint64_t kPage = 4096;
std::uint64_t round_up(std::uint64_t x, std::uint64_t a) { return (x + a - 1) / a * a; }

template <class T>
void put(std::vector<std::uint8_t>& b, std::uint64_t byte_offset, T v) {
  if (byte_offset + sizeof(T) > b.size()) b.resize(byte_offset + sizeof(T), 0);
  std::memcpy(b.data() + byte_offset, &v, sizeof(T));
}
}  // namespace

KernelJob make_job(std::mt19937_64& rng, std::string kind, int tokens, int head_dim, double keep_fraction,
                   double peak) {
  if (tokens < 1 || head_dim < 1 || head_dim > KernelCfg::max_head_dim)
    throw std::invalid_argument("make_job: tokens or head_dim out of range");
  KernelJob j;
  j.kind = std::move(kind);
  j.tokens = tokens;
  std::normal_distribution<double> n01(0, 1);
  const auto words = static_cast<std::size_t>(tokens) * static_cast<std::size_t>(head_dim);
  std::vector<double> kf(words);
  for (auto& x : kf) x = n01(rng);
  const double sk = golden::symmetric_scale(4.5, N::k_bits);
  for (std::size_t i = 0; i < words; ++i) {
    const auto kp = golden::split_planes<KernelCfg::k_msb_bits, KernelCfg::k_lsb_bits>(golden::quantize(kf[i], sk, N::k_bits));
    const auto vp =
        golden::split_planes<KernelCfg::v_msb_bits, KernelCfg::v_lsb_bits>(golden::quantize(n01(rng), sk, N::v_bits));
    j.k_msb.push_back(kp.msb);
    j.k_lsb.push_back(kp.lsb);
    j.v_msb.push_back(vp.msb);
    j.v_lsb.push_back(vp.lsb);
  }
  std::uniform_real_distribution<double> u01(0, 1);
  for (int t = 0; t < tokens; ++t)
    if (t == tokens - 1 || u01(rng) < keep_fraction) j.live.push_back(t);
  std::vector<double> qf(static_cast<std::size_t>(head_dim));
  const auto hot = static_cast<std::size_t>(j.live[std::uniform_int_distribution<std::size_t>(0, j.live.size() - 1)(rng)]);
  for (int d = 0; d < head_dim; ++d)
    qf[static_cast<std::size_t>(d)] =
        peak * kf[hot * static_cast<std::size_t>(head_dim) + static_cast<std::size_t>(d)] + n01(rng);
  double qmax = 0;
  for (double x : qf) qmax = std::max(qmax, std::fabs(x));
  const double sq = golden::symmetric_scale(qmax, N::q_bits);
  for (double x : qf) j.q.push_back(golden::quantize(x, sq, N::q_bits));
  j.job.n = static_cast<int>(j.live.size());
  j.job.head_dim = head_dim;
  j.job.scale = golden::make_score_scale(sq * sk / std::sqrt(static_cast<double>(head_dim)) *
                                         std::ldexp(1.0, N::logit_frac_bits));
  j.job.value_keep = j.job.n;
  return j;
}

KernelResult golden_result(const KernelJob& j) {
  auto scratch = std::make_unique<golden::HeadScratch<KernelCfg>>();
  KernelResult r;
  r.out.resize(static_cast<std::size_t>(j.job.head_dim));
  const golden::HeadResult h = golden::attend_head<KernelCfg>(j.q.data(), j.planes(), j.live.data(), j.job, r.out.data(),
                                                              *scratch);
  r.status[kif::StatusIndex::flags] = h.lsb_refetched ? kif::kStatusLsbRefetched : 0u;
  r.status[kif::StatusIndex::max_prob] = h.max_prob;
  r.status[kif::StatusIndex::msb_max_prob] = h.msb_max_prob;
  r.status[kif::StatusIndex::values_kept] = static_cast<std::uint32_t>(h.values_kept);
  return r;
}

KernelJob make_decision(std::string kind, std::vector<int> live, int keep, int context_len, int sink_tokens,
                        int recent_tokens, bool clear_importance) {
  KernelJob j;
  j.kind = std::move(kind);
  j.live = std::move(live);
  j.job.n = static_cast<int>(j.live.size());
  j.job.head_dim = 16;  // not used by a decision; lay_out's alignment unit
  j.job.value_keep = keep;
  j.decide = true;
  j.clear_importance = clear_importance;
  j.context_len = context_len;
  j.sink_tokens = sink_tokens;
  j.recent_tokens = recent_tokens;
  return j;
}

std::vector<KernelResult> golden_results(const std::vector<KernelJob>& jobs, std::vector<std::uint64_t>& importance) {
  importance.resize(static_cast<std::size_t>(KernelCfg::max_context), 0);
  const golden::ImportanceMemory mem{importance.data(), KernelCfg::max_context};
  auto head = std::make_unique<golden::HeadScratch<KernelCfg>>();
  auto prune = std::make_unique<golden::TokenPruneScratch<KernelCfg::max_context>>();
  std::vector<KernelResult> out;
  for (const KernelJob& j : jobs) {
    if (j.clear_importance) std::fill(importance.begin(), importance.end(), 0);
    KernelResult r;
    if (j.decide) {
      std::vector<int> kept(j.live.size());
      const golden::TokenPruneParams p{j.job.value_keep, j.context_len, j.sink_tokens, j.recent_tokens};
      const int k = golden::prune_tokens<KernelCfg::max_context>(j.live.data(), j.job.n, mem, p, kept.data(), *prune);
      r.out.assign(kept.begin(), kept.begin() + k);
      r.status[kif::StatusIndex::values_kept] = static_cast<std::uint32_t>(k);
    } else {
      r.out.resize(static_cast<std::size_t>(j.job.head_dim));
      const golden::HeadResult h =
          golden::attend_head<KernelCfg>(j.q.data(), j.planes(), j.live.data(), j.job, r.out.data(), *head);
      r.status[kif::StatusIndex::flags] = h.lsb_refetched ? kif::kStatusLsbRefetched : 0u;
      r.status[kif::StatusIndex::max_prob] = h.max_prob;
      r.status[kif::StatusIndex::msb_max_prob] = h.msb_max_prob;
      r.status[kif::StatusIndex::values_kept] = static_cast<std::uint32_t>(h.values_kept);
      if (j.accumulate) golden::accumulate_token_importance<KernelCfg::max_context>(mem, j.live.data(), head->prob, j.job.n);
    }
    out.push_back(std::move(r));
  }
  return out;
}

KernelImage lay_out(const std::vector<KernelJob>& jobs) {
  KernelImage img;
  img.num_jobs = static_cast<std::uint32_t>(jobs.size());
  img.desc_offset = kDescOffsetWords;
  std::vector<std::uint8_t> kmsb, klsb, vmsb, vlsb, meta, out;
  std::uint64_t plane_words = 0;  // element offset of the next slice
  // meta: descriptors, live lists, queries
  std::uint64_t meta_words = kDescOffsetWords + 16ull * jobs.size();
  std::uint64_t out_words = 0;
  for (const KernelJob& j : jobs) {
    const auto hd = static_cast<std::uint64_t>(j.job.head_dim);
    if (hd < 16 || hd > static_cast<std::uint64_t>(KernelCfg::max_head_dim) || (hd & (hd - 1)) != 0)
      throw std::invalid_argument("lay_out: the RTL kernel needs a power-of-two head_dim in 16 .. max_head_dim");
    KernelImage::JobPlace p{};
    plane_words = round_up(plane_words + 3 * hd, hd);  // a gap of at least three rows
    p.k_msb_off = p.k_lsb_off = p.v_msb_off = p.v_lsb_off = static_cast<std::uint32_t>(plane_words);
    for (std::size_t w = 0; w < j.k_msb.size(); ++w) {
      const std::uint64_t at = 2 * (plane_words + w);
      put(kmsb, at, j.k_msb[w]);
      put(klsb, at, j.k_lsb[w]);
      put(vmsb, at, j.v_msb[w]);
      put(vlsb, at, j.v_lsb[w]);
    }
    plane_words += static_cast<std::uint64_t>(j.tokens) * hd;
    meta_words = round_up(meta_words + 5, 8);
    p.live_off = static_cast<std::uint32_t>(meta_words);
    for (std::size_t i = 0; i < j.live.size(); ++i) put(meta, 4 * (meta_words + i), static_cast<std::uint32_t>(j.live[i]));
    meta_words += j.live.size();
    // a decision's kept ids: whole beats, room for all n
    out_words = round_up(out_words + 3, j.decide ? 8 : hd);
    p.out_off = static_cast<std::uint32_t>(out_words);
    out_words += j.decide ? static_cast<std::uint64_t>(j.job.n) : hd;
    img.place.push_back(p);
  }
  // queries after every live list; status records after every output
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto hd = static_cast<std::uint64_t>(jobs[i].job.head_dim);
    meta_words = round_up(meta_words + 1, hd);
    img.place[i].query_off = static_cast<std::uint32_t>(meta_words);
    for (std::size_t d = 0; d < jobs[i].q.size(); ++d) put(meta, 4 * (meta_words + d), jobs[i].q[d]);
    meta_words += hd;
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    out_words = round_up(out_words + 4, 8);
    img.place[i].status_off = static_cast<std::uint32_t>(out_words);
    out_words += kif::kStatusWords;
  }
  // descriptors
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const KernelJob& j = jobs[i];
    const KernelImage::JobPlace& p = img.place[i];
    kif::JobDescriptor d;
    d.n_live = static_cast<std::uint32_t>(j.job.n);
    d.head_dim = static_cast<std::uint16_t>(j.job.head_dim);
    d.flags = static_cast<std::uint16_t>((j.job.progressive ? kif::kFlagsProgressive : 0u) |
                                         (j.accumulate ? kif::kFlagsAccumulate : 0u) |
                                         (j.decide ? kif::kFlagsDecide : 0u) |
                                         (j.clear_importance ? kif::kFlagsClearImportance : 0u));
    d.context_len = static_cast<std::uint32_t>(j.context_len);
    d.sink_tokens = static_cast<std::uint32_t>(j.sink_tokens);
    d.recent_tokens = static_cast<std::uint32_t>(j.recent_tokens);
    d.value_keep = static_cast<std::uint32_t>(j.job.value_keep);
    d.requant_threshold_q16 = j.job.requant_threshold_q16;
    d.score_mult = static_cast<std::uint16_t>(j.job.scale.mult);
    d.score_shift = static_cast<std::uint8_t>(j.job.scale.shift);
    d.k_msb_offset = p.k_msb_off;
    d.k_lsb_offset = p.k_lsb_off;
    d.v_msb_offset = p.v_msb_off;
    d.v_lsb_offset = p.v_lsb_off;
    d.live_offset = p.live_off;
    d.query_offset = p.query_off;
    d.out_offset = p.out_off;
    d.status_offset = p.status_off;
    if (const char* bad = kif::descriptor_field_overflow(d)) throw std::invalid_argument(std::string("lay_out: descriptor field ") + bad + " overflows");
    std::uint32_t w[kif::kDescriptorWords];
    kif::pack_descriptor(d, w);
    for (int k = 0; k < kif::kDescriptorWords; ++k) put(meta, 4 * (img.desc_offset + 16 * i + static_cast<std::uint64_t>(k)), w[k]);
  }
  // sentinels in out
  out.assign(4 * round_up(out_words + 8, 8), 0);
  for (std::size_t w = 0; w < out.size() / 4; ++w) put(out, 4 * w, kOutSentinel);
  // buffers at page-aligned addresses, a page apart
  std::uint64_t at = 0x10000000;
  auto place_buffer = [&](const char* name, std::vector<std::uint8_t>& b, std::uint64_t& arg) {
    b.resize(round_up(std::max<std::uint64_t>(b.size(), 32), 32), 0);
    arg = at;
    img.buffers.push_back(KernelImage::Buffer{name, at, b});
    at = round_up(at + b.size(), kPage) + kPage;
  };
  place_buffer("k_msb", kmsb, img.k_msb);
  place_buffer("k_lsb", klsb, img.k_lsb);
  place_buffer("v_msb", vmsb, img.v_msb);
  place_buffer("v_lsb", vlsb, img.v_lsb);
  place_buffer("meta", meta, img.meta);
  place_buffer("out", out, img.out);
  using K = cmodel::DramKind;
  img.regions.push_back({img.k_msb, kmsb.size(), K::kKMsb, "k_msb"});
  img.regions.push_back({img.k_lsb, klsb.size(), K::kKLsb, "k_lsb"});
  img.regions.push_back({img.v_msb, vmsb.size(), K::kV, "v_msb"});
  img.regions.push_back({img.v_lsb, vlsb.size(), K::kV, "v_lsb"});
  // meta: queries count as q, the rest (descriptors, live lists) as meta
  const std::uint64_t q_first = 4ull * img.place.front().query_off;
  img.regions.push_back({img.meta, q_first, K::kMeta, "meta"});
  img.regions.push_back({img.meta + q_first, meta.size() - q_first, K::kQ, "queries"});
  img.regions.push_back({img.out, out.size(), K::kOut, "out"});
  return img;
}

void load(AxiMemory& mem, const KernelImage& img) {
  for (const auto& b : img.buffers) mem.write_bytes(b.base, b.bytes);
  for (const auto& r : img.regions) mem.add_region(r.base, r.bytes, r.kind, r.name);
}

namespace {
/// Output words of a job as its status record describes them: head_dim, or a
/// decision's kept ids (at most n).
std::size_t out_words_of(const KernelJob& j, const std::uint32_t* status) {
  if (!j.decide) return static_cast<std::size_t>(j.job.head_dim);
  return std::min<std::size_t>(status[kif::StatusIndex::values_kept], static_cast<std::size_t>(j.job.n));
}
}  // namespace

KernelResult read_result(const AxiMemory& mem, const KernelImage& img, const std::vector<KernelJob>& jobs,
                         std::size_t i) {
  KernelResult r;
  const auto st = mem.read_bytes(img.out + 4ull * img.place[i].status_off, 16);
  std::memcpy(r.status, st.data(), 16);
  // a decision: as many ids as its status says (at most n)
  const std::size_t words = out_words_of(jobs.at(i), r.status);
  const auto out = mem.read_bytes(img.out + 4ull * img.place[i].out_off, 4 * words);
  r.out.resize(words);
  std::memcpy(r.out.data(), out.data(), 4 * words);
  return r;
}

bool sentinels_intact(const AxiMemory& mem, const KernelImage& img, const std::vector<KernelJob>& jobs,
                      std::string* why) {
  const KernelImage::Buffer& out = img.buffers.back();
  std::vector<bool> owned(out.bytes.size() / 4, false);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!jobs[i].decide)
      for (std::size_t w = 0; w < static_cast<std::size_t>(jobs[i].job.head_dim); ++w) owned[img.place[i].out_off + w] = true;
    for (std::size_t w = 0; w < static_cast<std::size_t>(kif::kStatusWords); ++w) owned[img.place[i].status_off + w] = true;
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {  // a decision owns only the ids it wrote
    if (!jobs[i].decide) continue;
    std::uint32_t st[4];
    const auto b = mem.read_bytes(img.out + 4ull * img.place[i].status_off, 16);
    std::memcpy(st, b.data(), 16);
    for (std::size_t w = 0; w < out_words_of(jobs[i], st); ++w) owned[img.place[i].out_off + w] = true;
  }
  const auto now = mem.read_bytes(out.base, out.bytes.size());
  for (std::size_t w = 0; w < owned.size(); ++w) {
    if (owned[w]) continue;
    std::int32_t v;
    std::memcpy(&v, now.data() + 4 * w, 4);
    if (v != kOutSentinel) {
      if (why) *why = "out word " + std::to_string(w) + " (outside every output and status record) was overwritten";
      return false;
    }
  }
  return true;
}

CmodelCall run_cmodel(const cmodel::AccelParams& params, const KernelImage& img, const std::vector<KernelJob>& jobs,
                      std::vector<std::uint64_t>* importance) {
  CmodelCall c;
  cmodel::Accelerator acc(params, true);
  if (importance != nullptr) acc.set_token_importance(*importance);
  acc.memory().set_request_log(&c.requests);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const KernelJob& j = jobs[i];
    const KernelImage::JobPlace& p = img.place[i];
    if (j.decide) {
      cmodel::DecisionJobSpec d;
      d.n = j.job.n;
      d.keep = j.job.value_keep;
      d.context_len = j.context_len;
      d.sink_tokens = j.sink_tokens;
      d.recent_tokens = j.recent_tokens;
      d.clear_importance = j.clear_importance;
      d.live = j.live.data();
      d.desc_addr = img.meta + 4ull * (img.desc_offset + 16ull * i);
      d.live_addr = img.meta + 4ull * p.live_off;
      d.out_addr = img.out + 4ull * p.out_off;
      d.status_addr = img.out + 4ull * p.status_off;
      const cmodel::DecisionOutcome o = acc.run_decision(d);
      cmodel::HeadJobOutcome h;
      h.start = o.start;
      h.end = o.end;
      h.topk_start = o.topk_start;
      if (o.topk_start != cmodel::kNever) h.topk_done = o.emit_start - 1;
      c.jobs.push_back(h);
      continue;
    }
    cmodel::HeadJobSpec s;
    s.accumulate = j.accumulate;
    s.clear_importance = j.clear_importance;
    s.n = j.job.n;
    s.head_dim = j.job.head_dim;
    s.scale = j.job.scale;
    s.progressive = j.job.progressive;
    s.requant_threshold_q16 = j.job.requant_threshold_q16;
    s.value_keep = j.job.value_keep;
    // the kernel interface's formats: int16 plane words, int32 query words
    s.q_bits = 32;
    s.k_msb_bits = s.k_lsb_bits = s.v_msb_bits = s.v_lsb_bits = 16;
    s.q = j.q.data();
    s.kv = j.planes();
    s.live = j.live.data();
    s.desc_addr = img.meta + 4ull * (img.desc_offset + 16ull * i);
    s.q_addr = img.meta + 4ull * p.query_off;
    s.live_addr = img.meta + 4ull * p.live_off;
    s.out_addr = img.out + 4ull * p.out_off;
    s.status_addr = img.out + 4ull * p.status_off;
    s.k_msb_base = img.k_msb + 2ull * p.k_msb_off;
    s.k_lsb_base = img.k_lsb + 2ull * p.k_lsb_off;
    s.v_msb_base = img.v_msb + 2ull * p.v_msb_off;
    s.v_lsb_base = img.v_lsb + 2ull * p.v_lsb_off;
    c.jobs.push_back(acc.run_head(s));
  }
  acc.fill(c.run);
  if (importance != nullptr) *importance = acc.token_importance();
  return c;
}

}  // namespace spatten::cosim

namespace spatten::cosim {

namespace {
std::string cyc(cmodel::Cycle c) { return c == cmodel::kNever ? std::string("none") : std::to_string(c); }
}  // namespace

std::string compare(const RtlCall& rtl, const CmodelCall& cm, const std::vector<KernelJob>& jobs,
                    const std::vector<KernelResult>& golden) {
  std::ostringstream why;
  // values first: a wrong value explains a wrong timing, not the other way round
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const KernelResult& g = golden[i];
    if (i >= rtl.results.size()) return "job " + std::to_string(i) + ": no result read back";
    const KernelResult& r = rtl.results[i];
    if (r.out.size() != g.out.size()) {
      why << "kept ids (importance_unit): job " << i << " (" << jobs[i].kind << ", n=" << jobs[i].job.n << "): expected "
          << g.out.size() << " ids (golden), the status says " << r.out.size();
      return why.str();
    }
    for (std::size_t d = 0; d < g.out.size(); ++d) {
      if (r.out[d] != g.out[d]) {
        why << "output (pv_unit): job " << i << " (" << jobs[i].kind << ", n=" << jobs[i].job.n
            << ", head_dim=" << jobs[i].job.head_dim << ") word " << d << ": expected " << g.out[d] << " (golden), got "
            << r.out[d];
        return why.str();
      }
    }
    for (int k = 0; k < 4; ++k) {
      if (r.status[k] != g.status[k]) {
        why << "status record (job_controller): job " << i << " (" << jobs[i].kind << ") word " << k << ": expected "
            << g.status[k] << " (golden), got " << r.status[k];
        return why.str();
      }
    }
  }
  if (!rtl.sentinels_ok) return "out buffer: " + rtl.sentinel_why;
  // the DRAM request stream
  const std::size_t n = std::min(rtl.requests.size(), cm.requests.size());
  for (std::size_t k = 0; k < n; ++k) {
    const cmodel::LoggedRequest& a = cm.requests[k];
    const cmodel::LoggedRequest& b = rtl.requests[k];
    if (!(a == b)) {
      auto show = [](const cmodel::LoggedRequest& x) {
        std::ostringstream o;
        o << "{cycle " << x.cycle << ", port " << x.port << ", 0x" << std::hex << x.address << std::dec << ", "
          << x.bytes << " B, " << (x.write ? "write" : "read") << "}";
        return o.str();
      };
      why << "DRAM request stream (row_fetcher/job_controller): request " << k << ": cycle model " << show(a)
          << ", RTL " << show(b);
      return why.str();
    }
  }
  if (rtl.requests.size() != cm.requests.size())
    return "DRAM request stream: the cycle model made " + std::to_string(cm.requests.size()) + " requests, the RTL " +
           std::to_string(rtl.requests.size());
  // phase boundaries, job by job
  if (rtl.jobs.size() != cm.jobs.size())
    return "job_controller: " + std::to_string(rtl.jobs.size()) + " jobs started, the cycle model ran " +
           std::to_string(cm.jobs.size());
  for (std::size_t i = 0; i < cm.jobs.size(); ++i) {
    const RtlJobEvents& r = rtl.jobs[i];
    const cmodel::HeadJobOutcome& c = cm.jobs[i];
    struct Ev {
      const char* unit;
      cmodel::Cycle rtl, cm;
    };
    const Ev evs[] = {{"job_controller: job start", r.start, c.start},
                      {"qk_unit/row_fetcher: key pass 1 start", r.key_start[0], c.key_start[0]},
                      {"softmax_unit: pass 1 done", r.softmax_done[0], c.softmax_done[0]},
                      {"qk_unit/row_fetcher: key pass 2 (LSB refetch) start", r.key_start[1], c.key_start[1]},
                      {"softmax_unit: pass 2 done", r.softmax_done[1], c.softmax_done[1]},
                      {"topk_engine: start", r.topk_start, c.topk_start},
                      {"topk_engine: done", r.topk_done, c.topk_done},
                      {"row_fetcher/pv_unit: value pass start", r.value_start, c.value_start},
                      {"pv_unit: done", r.pv_done, c.pv_done}};
    for (const Ev& e : evs) {
      if (e.rtl != e.cm) {
        why << e.unit << ": job " << i << " (" << jobs[i].kind << ", n=" << jobs[i].job.n << "): cycle model "
            << cyc(e.cm) << ", RTL " << cyc(e.rtl) << " (cycles from job 0's start)";
        return why.str();
      }
    }
  }
  // the call's end: ap_done one cycle after the last job's end
  const cmodel::Cycle end = cm.jobs.empty() ? 0 : cm.jobs.back().end;
  if (rtl.done != end + 1)
    return "job_controller: ap_done at cycle " + cyc(rtl.done) + ", expected " + cyc(end + 1) +
           " (one cycle after the last job's end)";
  for (std::size_t k = 0; k < cmodel::kDramKinds; ++k) {
    const std::uint64_t c = cm.run.dram_read[k] + cm.run.dram_written[k];
    if (rtl.bytes[k] != c)
      return std::string("DRAM bytes of kind ") + cmodel::dram_kind_name(static_cast<cmodel::DramKind>(k)) +
             ": cycle model " + std::to_string(c) + ", RTL " + std::to_string(rtl.bytes[k]);
  }
  return "";
}

}  // namespace spatten::cosim

namespace spatten::cosim {

namespace {
/// Standard normal deviates for bulk job data, about five times cheaper than
/// std::normal_distribution over mt19937_64: splitmix64 bits through a
/// 4096-cell inverse-CDF table with linear interpolation, inverted exactly (by
/// bisection) in the two outer cells.
class FastNormal {
 public:
  explicit FastNormal(std::uint64_t seed) : s_(seed) {}
  double operator()() {
    const double u = static_cast<double>(next() >> 11) * 0x1.0p-53;  // [0, 1)
    const double x = u * kCells;
    const auto i = static_cast<std::size_t>(x);
    if (i == 0 || i >= kCells - 1) return inverse_cdf(u);
    const auto& t = table();
    return t[i] + (x - static_cast<double>(i)) * (t[i + 1] - t[i]);
  }

 private:
  static constexpr std::size_t kCells = 4096;
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  static double inverse_cdf(double u) {
    double lo = -9.0, hi = 9.0;
    for (int k = 0; k < 64; ++k) {
      const double mid = 0.5 * (lo + hi);
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < u ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  }
  /// t[i] = the normal quantile of i / kCells, i = 1 .. kCells - 1.
  static const std::vector<double>& table() {
    static const std::vector<double> t = [] {
      std::vector<double> v(kCells + 1, 0.0);
      for (std::size_t i = 1; i < kCells; ++i) v[i] = inverse_cdf(static_cast<double>(i) / kCells);
      return v;
    }();
    return t;
  }
  std::uint64_t s_;
};
}  // namespace

KernelJob make_job_exact(std::mt19937_64& rng, std::string kind, int tokens, int n, int head_dim, double peak) {
  if (tokens < 1 || head_dim < 1 || head_dim > KernelCfg::max_head_dim || n < 1 || n > tokens)
    throw std::invalid_argument("make_job_exact: tokens, n or head_dim out of range");
  KernelJob j;
  j.kind = std::move(kind);
  j.tokens = tokens;
  FastNormal n01(rng());  // the bulk data: K, V and the query's noise
  const auto hd = static_cast<std::size_t>(head_dim);
  const auto words = static_cast<std::size_t>(tokens) * hd;
  std::vector<double> kf(words);
  for (auto& x : kf) x = n01();
  const double sk = golden::symmetric_scale(4.5, N::k_bits);
  j.k_msb.resize(words);
  j.k_lsb.resize(words);
  j.v_msb.resize(words);
  j.v_lsb.resize(words);
  for (std::size_t i = 0; i < words; ++i) {
    const auto kp =
        golden::split_planes<KernelCfg::k_msb_bits, KernelCfg::k_lsb_bits>(golden::quantize(kf[i], sk, N::k_bits));
    const auto vp =
        golden::split_planes<KernelCfg::v_msb_bits, KernelCfg::v_lsb_bits>(golden::quantize(n01(), sk, N::v_bits));
    j.k_msb[i] = kp.msb;
    j.k_lsb[i] = kp.lsb;
    j.v_msb[i] = vp.msb;
    j.v_lsb[i] = vp.lsb;
  }
  // the newest token plus n - 1 of the others (a partial Fisher-Yates shuffle)
  std::vector<int> ids(static_cast<std::size_t>(tokens - 1));
  for (int t = 0; t + 1 < tokens; ++t) ids[static_cast<std::size_t>(t)] = t;
  for (int k = 0; k < n - 1; ++k) {
    const auto pick = std::uniform_int_distribution<std::size_t>(static_cast<std::size_t>(k), ids.size() - 1)(rng);
    std::swap(ids[static_cast<std::size_t>(k)], ids[pick]);
  }
  j.live.assign(ids.begin(), ids.begin() + (n - 1));
  j.live.push_back(tokens - 1);
  std::sort(j.live.begin(), j.live.end());
  std::vector<double> qf(hd);
  const auto hot =
      static_cast<std::size_t>(j.live[std::uniform_int_distribution<std::size_t>(0, j.live.size() - 1)(rng)]);
  for (std::size_t d = 0; d < hd; ++d) qf[d] = peak * kf[hot * hd + d] + n01();
  double qmax = 0;
  for (double x : qf) qmax = std::max(qmax, std::fabs(x));
  const double sq = golden::symmetric_scale(qmax, N::q_bits);
  for (double x : qf) j.q.push_back(golden::quantize(x, sq, N::q_bits));
  j.job.n = n;
  j.job.head_dim = head_dim;
  j.job.scale = golden::make_score_scale(sq * sk / std::sqrt(static_cast<double>(head_dim)) *
                                         std::ldexp(1.0, N::logit_frac_bits));
  j.job.value_keep = n;
  return j;
}

std::string kernel_shape_problem(int tokens, int n, int head_dim) {
  if (head_dim < 16 || head_dim > KernelCfg::max_head_dim || (head_dim & (head_dim - 1)) != 0)
    return "head_dim " + std::to_string(head_dim) + " is not a power of two in 16 .. " +
           std::to_string(KernelCfg::max_head_dim) + " (the RTL kernel's head dimensions)";
  if (tokens < 1 || tokens > KernelCfg::max_context)
    return "context of " + std::to_string(tokens) + " tokens is outside 1 .. " + std::to_string(KernelCfg::max_context);
  if (n < 1 || n > tokens)
    return std::to_string(n) + " live tokens is outside 1 .. " + std::to_string(tokens) + " (the context)";
  return "";
}

std::vector<KernelJob> jobs_from_trace(const trace::Trace& t, std::size_t first_row, std::size_t rows,
                                       std::uint64_t seed, std::string* skipped_reason) {
  std::vector<KernelJob> jobs;
  if (skipped_reason) skipped_reason->clear();
  const std::size_t end = first_row >= t.rows.size() ? first_row : std::min(t.rows.size(), first_row + rows);
  std::size_t skipped = 0;
  std::string first_why;
  for (std::size_t i = first_row; i < end; ++i) {
    const trace::TraceRow& r = t.rows[i];
    const int L = static_cast<int>(std::min<std::uint32_t>(r.sentence_length_L, 1u << 30));
    const int n = static_cast<int>(std::min<std::uint32_t>(r.key_fetch_num, 1u << 30));
    const int D = static_cast<int>(std::min<std::uint32_t>(r.embedding_length_D, 1u << 30));
    const std::string where = t.origin + ":" + std::to_string(r.line);
    if (const std::string bad = kernel_shape_problem(L, n, D); !bad.empty()) {
      if (!skipped_reason) throw std::invalid_argument(where + ": " + bad);
      if (skipped++ == 0) first_why = where + ": " + bad;
      continue;
    }
    std::seed_seq ss{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                     static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i >> 32)};
    std::mt19937_64 rng(ss);
    const double peak = std::uniform_real_distribution<double>(0.0, 3.0)(rng);
    KernelJob j = make_job_exact(rng, "row " + std::to_string(i) + " (line " + std::to_string(r.line) + ")", L, n, D,
                                 peak);
    j.job.value_keep = static_cast<int>(std::min<std::uint32_t>(r.value_fetch_num, 1u << 30));
    j.job.progressive = r.quant_key_bit.has_value() && r.auto_requant_thres.has_value();
    j.job.requant_threshold_q16 = j.job.progressive ? models::to_q16(*r.auto_requant_thres) : 0;
    jobs.push_back(std::move(j));
  }
  if (skipped > 0 && skipped_reason)
    *skipped_reason = std::to_string(skipped) + " of " + std::to_string(end - first_row) +
                      " rows skipped (the RTL kernel cannot run them); the first: " + first_why;
  return jobs;
}

std::vector<KernelJob> mixed_jobs(std::uint64_t seed, int count, int tokens, int head_dim, bool cascade) {
  if (count < 0) throw std::invalid_argument("mixed_jobs: negative job count");
  std::mt19937_64 rng(seed);
  std::vector<KernelJob> jobs;
  for (int i = 0; i < count; ++i) {
    const int kind = i % 4;
    const int hd = head_dim > 0 ? head_dim : (((i / 4) + i) % 2 == 0 ? 64 : 128);
    int n = 0, toks = 0;
    if (tokens > 0) {
      toks = tokens;
      n = kind == 1 ? std::max(1, 3 * tokens / 4) : tokens;
    } else {
      n = std::uniform_int_distribution<int>(30, 300)(rng);
      toks = kind == 1 ? n + std::uniform_int_distribution<int>(n / 4, n)(rng) : n;
    }
    if (const std::string bad = kernel_shape_problem(toks, n, hd); !bad.empty())
      throw std::invalid_argument("mixed_jobs: " + bad);
    static const char* const names[] = {"dense", "value-pruned", "progressive refetch", "progressive no refetch"};
    std::string name = std::string(names[kind]) + " hd" + std::to_string(hd);
    KernelJob j = make_job_exact(rng, std::move(name), toks, n, hd, kind >= 2 ? 1.0 : 2.0);
    switch (kind) {
      case 1:
        j.job.value_keep = std::max(1, n / 3);
        break;
      case 2:
        j.job.progressive = true;
        j.job.requant_threshold_q16 = 65536;
        break;
      case 3:
        j.job.progressive = true;
        j.job.requant_threshold_q16 = 0;
        break;
      default:
        break;
    }
    if (cascade) {
      j.accumulate = true;
      j.clear_importance = i == 0;
    }
    const std::vector<int> live = j.live;
    jobs.push_back(std::move(j));
    if (cascade && kind == 3) {
      const int keep = std::max(1, static_cast<int>(live.size()) / 2);
      jobs.push_back(make_decision("decision (keep " + std::to_string(keep) + ")", live, keep, toks, 2, 4));
    }
  }
  return jobs;
}

}  // namespace spatten::cosim
