// hls/kernels/spatten_attention.h — the SpAtten decode-attention kernel (Vitis HLS).
//
// One call runs num_jobs head jobs. A job is one query head over the KV cache of
// its (layer, KV head), described by a 64-byte descriptor in `meta` (layout:
// models/kernel/spatten-kernel.yaml, generated into spatten/kernel/interface.h).
// The result is bit-exact with spatten::golden::attend_head: every number is
// made by a golden function (hls/include/spatten); this file only moves data.
//
//   meta ──► read_descriptor / read_query / read_live            (per job, JOB_LOOP)
//                       │ q[], live[]
//   ┌───────────────── score_pass (DATAFLOW) ───────────────────────────────┐
//   │ k_msb, k_lsb ─► load_keys ══PlaneRow══► qk_scores ══logit══► softmax_stage ──► prob[], row
//   │  (plane words only)            (key_logit)                (softmax_row)  │
//   └────────────────────────────────────────────────────────────────────────┘
//                       │ row.max_prob
//               requant_stage (needs_lsb_refetch) ── flat row ──► score_pass again with exact keys
//                       │
//   ┌───────────────── value_pass (DATAFLOW) ───────────────────────────────┐
//   │ prob[], live[] ─► topk_stage ══token══► load_values ══PlaneRow══► pv_stage ══out══► store_stage ─► out
//   │ (topk_quickselect)     ╚══════════prob══════════════════════╝  (pv_accumulate,       (+ status)
//   │                                                                   pv_finish)
//   │                        ╚══════════values_kept═══════════════════════════════╝
//   └────────────────────────────────────────────────────────────────────────┘
//   ══ hls::stream   ── array / scalar
//
// Why two DATAFLOW regions and not one: the requant decision (is the MSB row
// flat?) needs the whole softmax row and may send the key loader back over the
// same keys with their LSB planes. A DATAFLOW region cannot hold that feedback,
// so the score pass is a region that runs once or twice, and the value pass a
// second region after it. Within a region the stages overlap token by token.
//
// Parallelism from CONFIG_T: a key row is consumed by min(qk_multipliers,
// max_head_dim) multipliers (q[] and the row are partitioned by that factor;
// QK_TOKEN has II = max_head_dim / that), prob·V by min(pv_multipliers,
// max_head_dim) multiply-accumulators (acc[] partitioned likewise; PV_TOKEN has
// II = max_head_dim / that; PV_TOKEN likewise). The loaders move one element per plane per cycle
// (II=1; max_widen_bitwidth lets HLS widen the bursts). Expected II per loop
// label: scripts/hls/expected-qor.json.
//
// HLS rules this file keeps (checked by scripts/hls/hls_lint.py): no heap, no
// recursion, no std containers, no exceptions or virtual calls, every loop
// labelled and bounded (variable bounds carry LOOP_TRIPCOUNT).
#ifndef SPATTEN_KERNELS_SPATTEN_ATTENTION_H
#define SPATTEN_KERNELS_SPATTEN_ATTENTION_H

#include <ap_int.h>
#include <hls_stream.h>

#include <cstdint>

#include "spatten/attention.h"
#include "spatten/config.h"
#include "spatten/dot.h"
#include "spatten/fixed.h"
#include "spatten/importance.h"
#include "spatten/kernel/interface.h"
#include "spatten/pruning.h"
#include "spatten/quant.h"
#include "spatten/requant.h"
#include "spatten/softmax.h"
#include "spatten/topk.h"

namespace spatten {
namespace kernel {

namespace kif = ::spatten::kernel_if;

/// Compile-time shape of the kernel for one preset.
template <class CONFIG_T>
struct KernelShape {
  typedef golden::Numerics<CONFIG_T> N;
  static constexpr int kMaxContext = CONFIG_T::max_context;
  static constexpr int kMaxHeadDim = CONFIG_T::max_head_dim;
  /// Multipliers working on one key row / one value row in parallel.
  static constexpr int kQkLanes = CONFIG_T::qk_multipliers < kMaxHeadDim ? CONFIG_T::qk_multipliers : kMaxHeadDim;
  static constexpr int kPvLanes = CONFIG_T::pv_multipliers < kMaxHeadDim ? CONFIG_T::pv_multipliers : kMaxHeadDim;
  /// Initiation interval of one key row (value row): cycles per token.
  static constexpr int kQkIi = (kMaxHeadDim + kQkLanes - 1) / kQkLanes;
  static constexpr int kPvIi = (kMaxHeadDim + kPvLanes - 1) / kPvLanes;
  /// Rows in flight between loader and multipliers (covers the HBM latency in rows).
  static constexpr int kRowFifoDepth = 4;
  static constexpr int kWordFifoDepth = 2 * kMaxHeadDim;
  typedef ap_int<N::logit_bits> logit_word;  ///< softmax input
  typedef ap_uint<N::prob_bits> prob_word;   ///< Q0.P probability, 1.0 included
  typedef ap_int<N::out_bits> out_word;      ///< attention output
};

/// One cache row as fetched: the MSB plane words and (for exact rows) the LSB
/// plane words. The loaders only move these; golden::key_logit and
/// golden::pv_accumulate turn them into key / value words (reassemble or msb_only).
template <class CONFIG_T>
struct PlaneRow {
  std::int16_t msb[golden::dim(CONFIG_T::max_head_dim)];
  std::uint16_t lsb[golden::dim(CONFIG_T::max_head_dim)];
};

/// A decoded descriptor.
struct JobContext {
  int n;
  int head_dim;
  bool progressive;
  bool accumulate;        ///< add the final probabilities to the token importance
  bool decide;            ///< a cascade token decision, not a head job
  bool clear_importance;  ///< zero the token importance first
  int context_len, sink_tokens, recent_tokens;  ///< decision job: the protection rule
  int value_keep;
  std::uint32_t threshold_q16;
  golden::ScoreScale scale;
  std::uint64_t k_msb_off, k_lsb_off, v_msb_off, v_lsb_off;
  std::uint32_t live_off, query_off, out_off, status_off;
};

// ---------------------------------------------------------------- job set-up
template <class CONFIG_T>
void read_descriptor(const kif::meta_t* meta, std::uint64_t word, kif::JobDescriptor& d) {
  std::uint32_t w[kif::kDescriptorWords];
DESC_READ:
  for (int i = 0; i < kif::kDescriptorWords; ++i) {
#pragma HLS PIPELINE II = 1
    w[i] = meta[word + static_cast<std::uint64_t>(i)];
  }
  d = kif::unpack_descriptor(w);
}

/// False when the descriptor does not fit the preset (the job is rejected).
template <class CONFIG_T>
bool decode_job(const kif::JobDescriptor& d, JobContext& c) {
  c.n = static_cast<int>(d.n_live);
  c.head_dim = static_cast<int>(d.head_dim);
  c.progressive = (d.flags & kif::kFlagsProgressive) != 0u;
  c.accumulate = (d.flags & kif::kFlagsAccumulate) != 0u;
  c.decide = (d.flags & kif::kFlagsDecide) != 0u;
  c.clear_importance = (d.flags & kif::kFlagsClearImportance) != 0u;
  c.context_len = static_cast<int>(d.context_len);
  c.sink_tokens = static_cast<int>(d.sink_tokens);
  c.recent_tokens = static_cast<int>(d.recent_tokens);
  c.value_keep = static_cast<int>(d.value_keep);
  c.threshold_q16 = d.requant_threshold_q16;
  c.scale.mult = d.score_mult;
  c.scale.shift = static_cast<int>(d.score_shift);
  c.k_msb_off = d.k_msb_offset;
  c.k_lsb_off = d.k_lsb_offset;
  c.v_msb_off = d.v_msb_offset;
  c.v_lsb_off = d.v_lsb_offset;
  c.live_off = d.live_offset;
  c.query_off = d.query_offset;
  c.out_off = d.out_offset;
  c.status_off = d.status_offset;
  const bool n_ok = c.n >= 1 && c.n <= CONFIG_T::max_context;
  if (c.decide) return n_ok;  // a decision job has no head
  return n_ok && c.head_dim >= 1 && c.head_dim <= CONFIG_T::max_head_dim && c.scale.shift <= 62;
}

template <class CONFIG_T>
void read_query(const kif::meta_t* meta, const JobContext& c, std::int32_t* q) {
QUERY_READ:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS PIPELINE II = 1
    if (d >= c.head_dim) break;
    q[d] = static_cast<std::int32_t>(meta[static_cast<std::uint64_t>(c.query_off) + static_cast<std::uint64_t>(d)]);
  }
}

template <class CONFIG_T>
void read_live(const kif::meta_t* meta, const JobContext& c, std::uint32_t* live) {
LIVE_READ:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
#pragma HLS PIPELINE II = 1
    if (i >= c.n) break;
    live[i] = meta[static_cast<std::uint64_t>(c.live_off) + static_cast<std::uint64_t>(i)];
  }
}

// ---------------------------------------------------------------- score pass
/// Streams the plane words of every live row (the LSB plane only for exact keys).
template <class CONFIG_T>
void load_keys(const kif::k_msb_t* k_msb, const kif::k_lsb_t* k_lsb, const std::uint32_t* live, JobContext c,
               bool exact, hls::stream<PlaneRow<CONFIG_T> >& rows) {
  const bool fetch_lsb = exact && CONFIG_T::k_lsb_bits > 0;
KEY_TOKEN:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
    if (i >= c.n) break;
    const std::uint64_t row = static_cast<std::uint64_t>(live[i]) * static_cast<std::uint64_t>(c.head_dim);
    PlaneRow<CONFIG_T> r = PlaneRow<CONFIG_T>();
  KEY_WORD:
    for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS PIPELINE II = 1
      if (d >= c.head_dim) break;
      const std::uint64_t e = row + static_cast<std::uint64_t>(d);
      r.msb[d] = k_msb[c.k_msb_off + e];
      r.lsb[d] = fetch_lsb ? k_lsb[c.k_lsb_off + e] : std::uint16_t{0};
    }
    rows.write(r);
  }
}

/// One logit per row: golden::key_logit (load_key_row, dot_qk, score_to_logit)
/// on the fetched plane words.
template <class CONFIG_T>
void qk_scores(const std::int32_t* q, JobContext c, bool exact, hls::stream<PlaneRow<CONFIG_T> >& rows,
               hls::stream<typename KernelShape<CONFIG_T>::logit_word>& logits) {
  typedef KernelShape<CONFIG_T> S;
  // private copy of the query and the key words, spread over the Q·K multipliers
  std::int32_t qr[golden::dim(CONFIG_T::max_head_dim)];
#pragma HLS ARRAY_PARTITION variable = qr type = cyclic factor = S::kQkLanes
  std::int32_t key[golden::dim(CONFIG_T::max_head_dim)];
#pragma HLS ARRAY_PARTITION variable = key type = cyclic factor = S::kQkLanes
QK_QUERY:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS PIPELINE II = 1
    qr[d] = d < c.head_dim ? q[d] : 0;
  }
QK_TOKEN:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
#pragma HLS PIPELINE II = S::kQkIi
    if (i >= c.n) break;
    // a stream of structs is one wide FIFO word: the row arrives fully partitioned
    const PlaneRow<CONFIG_T> r = rows.read();
    const golden::KvPlanes kv = {r.msb, r.lsb, nullptr, nullptr};
    logits.write(typename S::logit_word(golden::key_logit<CONFIG_T>(qr, kv, 0, c.head_dim, c.scale, exact, key)));
  }
}

template <class CONFIG_T>
void softmax_stage(JobContext c, hls::stream<typename KernelShape<CONFIG_T>::logit_word>& logits, std::uint32_t* prob,
                   golden::SoftmaxRow& row) {
  std::int32_t logit[golden::dim(CONFIG_T::max_context)];
SOFTMAX_COLLECT:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
#pragma HLS PIPELINE II = 1
    if (i >= c.n) break;
    logit[i] = static_cast<std::int32_t>(logits.read().to_int64());
  }
  row = golden::softmax_row<CONFIG_T>(logit, c.n, prob);
}

/// Keys of one row -> probabilities (exact keys, or MSB-only keys).
template <class CONFIG_T>
void score_pass(const kif::k_msb_t* k_msb, const kif::k_lsb_t* k_lsb, const std::uint32_t* live, const std::int32_t* q,
                JobContext c, bool exact, std::uint32_t* prob, golden::SoftmaxRow& row) {
#pragma HLS DATAFLOW
  typedef KernelShape<CONFIG_T> S;
  hls::stream<PlaneRow<CONFIG_T> > keys("keys");
#pragma HLS STREAM variable = keys depth = S::kRowFifoDepth
  hls::stream<typename S::logit_word> logits("logits");
#pragma HLS STREAM variable = logits depth = S::kWordFifoDepth
  load_keys<CONFIG_T>(k_msb, k_lsb, live, c, exact, keys);
  qk_scores<CONFIG_T>(q, c, exact, keys, logits);
  softmax_stage<CONFIG_T>(c, logits, prob, row);
}

/// Progressive quantization: refetch the LSB planes when the MSB row is flat.
template <class CONFIG_T>
bool requant_stage(const JobContext& c, std::uint32_t msb_max_prob) {
  const bool msb_first = c.progressive && CONFIG_T::k_lsb_bits > 0;
  return msb_first && golden::needs_lsb_refetch<CONFIG_T>(msb_max_prob, c.threshold_q16);
}

// ---------------------------------------------------------------- value pass
template <class CONFIG_T>
void topk_stage(const std::uint32_t* prob, const std::uint32_t* live, JobContext c, hls::stream<std::uint32_t>& tokens,
                hls::stream<typename KernelShape<CONFIG_T>::prob_word>& probs, hls::stream<int>& kept_pv,
                hls::stream<int>& kept_store) {
  typedef KernelShape<CONFIG_T> S;
  int sel[golden::dim(CONFIG_T::max_context)];
  golden::TopkScratch<std::uint32_t, CONFIG_T::max_context> scratch;
  // the greater-than and less-than FIFOs and the candidate buffer work in parallel
#pragma HLS ARRAY_PARTITION variable = scratch.buf type = complete dim = 1
  const int kept = golden::topk_quickselect<std::uint32_t, CONFIG_T::max_context>(prob, c.n, c.value_keep, sel,
                                                                                  scratch);
  kept_pv.write(kept);
  kept_store.write(kept);
  tokens.write(static_cast<std::uint32_t>(kept));  // header: rows that follow
TOPK_OUT:
  for (int j = 0; j < CONFIG_T::max_context; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= kept) break;
    tokens.write(live[sel[j]]);
    probs.write(typename S::prob_word(prob[sel[j]]));
  }
}

/// Streams the plane words of every kept V row (the LSB plane only for exact values).
template <class CONFIG_T>
void load_values(const kif::v_msb_t* v_msb, const kif::v_lsb_t* v_lsb, JobContext c, bool exact,
                 hls::stream<std::uint32_t>& tokens, hls::stream<PlaneRow<CONFIG_T> >& values) {
  const bool fetch_lsb = exact && CONFIG_T::v_lsb_bits > 0;
  const int kept = static_cast<int>(tokens.read());
VALUE_TOKEN:
  for (int j = 0; j < CONFIG_T::max_context; ++j) {
    if (j >= kept) break;
    const std::uint64_t row = static_cast<std::uint64_t>(tokens.read()) * static_cast<std::uint64_t>(c.head_dim);
    PlaneRow<CONFIG_T> r = PlaneRow<CONFIG_T>();
  VALUE_WORD:
    for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS PIPELINE II = 1
      if (d >= c.head_dim) break;
      const std::uint64_t e = row + static_cast<std::uint64_t>(d);
      r.msb[d] = v_msb[c.v_msb_off + e];
      r.lsb[d] = fetch_lsb ? v_lsb[c.v_lsb_off + e] : std::uint16_t{0};
    }
    values.write(r);
  }
}

/// prob·V: golden::pv_accumulate per kept row, golden::pv_finish at the end.
template <class CONFIG_T>
void pv_stage(JobContext c, bool exact, hls::stream<int>& kept_in,
              hls::stream<typename KernelShape<CONFIG_T>::prob_word>& probs,
              hls::stream<PlaneRow<CONFIG_T> >& values,
              hls::stream<typename KernelShape<CONFIG_T>::out_word>& outs) {
  typedef KernelShape<CONFIG_T> S;
  std::int64_t acc[golden::dim(CONFIG_T::max_head_dim)];
#pragma HLS ARRAY_PARTITION variable = acc type = cyclic factor = S::kPvLanes
  std::int32_t result[golden::dim(CONFIG_T::max_head_dim)];
PV_CLEAR:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS UNROLL
    acc[d] = 0;
  }
  const int kept = kept_in.read();
PV_TOKEN:
  for (int j = 0; j < CONFIG_T::max_context; ++j) {
#pragma HLS PIPELINE II = S::kPvIi
    if (j >= kept) break;
    const std::uint32_t p = static_cast<std::uint32_t>(probs.read().to_uint64());
    const PlaneRow<CONFIG_T> r = values.read();
    const golden::KvPlanes kv = {nullptr, nullptr, r.msb, r.lsb};
    golden::pv_accumulate<CONFIG_T>(acc, p, kv, 0, c.head_dim, exact);
  }
  golden::pv_finish<CONFIG_T>(acc, c.head_dim, result);
PV_OUT:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS PIPELINE II = 1
    if (d >= c.head_dim) break;
    outs.write(typename S::out_word(result[d]));
  }
}

template <class CONFIG_T>
void store_stage(kif::out_t* out, JobContext c, std::uint32_t flags, std::uint32_t max_prob,
                 std::uint32_t msb_max_prob, hls::stream<int>& kept_in,
                 hls::stream<typename KernelShape<CONFIG_T>::out_word>& outs) {
STORE_OUT:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
#pragma HLS PIPELINE II = 1
    if (d >= c.head_dim) break;
    out[static_cast<std::uint64_t>(c.out_off) + static_cast<std::uint64_t>(d)] =
        static_cast<kif::out_t>(outs.read().to_int64());
  }
  const int kept = kept_in.read();
  const std::uint64_t s = c.status_off;
  out[s + kif::StatusIndex::flags] = static_cast<kif::out_t>(flags);
  out[s + kif::StatusIndex::max_prob] = static_cast<kif::out_t>(max_prob);
  out[s + kif::StatusIndex::msb_max_prob] = static_cast<kif::out_t>(msb_max_prob);
  out[s + kif::StatusIndex::values_kept] = static_cast<kif::out_t>(kept);
}

/// Probabilities -> kept V rows -> output words and the status record.
template <class CONFIG_T>
void value_pass(const kif::v_msb_t* v_msb, const kif::v_lsb_t* v_lsb, const std::uint32_t* prob,
                const std::uint32_t* live, JobContext c, bool exact_v, std::uint32_t flags, std::uint32_t max_prob,
                std::uint32_t msb_max_prob, kif::out_t* out) {
#pragma HLS DATAFLOW
  typedef KernelShape<CONFIG_T> S;
  hls::stream<std::uint32_t> tokens("tokens");
#pragma HLS STREAM variable = tokens depth = S::kWordFifoDepth
  hls::stream<typename S::prob_word> probs("probs");
#pragma HLS STREAM variable = probs depth = S::kWordFifoDepth
  hls::stream<int> kept_pv("kept_pv");
  hls::stream<int> kept_store("kept_store");
  hls::stream<PlaneRow<CONFIG_T> > values("values");
#pragma HLS STREAM variable = values depth = S::kRowFifoDepth
  hls::stream<typename S::out_word> outs("outs");
#pragma HLS STREAM variable = outs depth = S::kWordFifoDepth
  topk_stage<CONFIG_T>(prob, live, c, tokens, probs, kept_pv, kept_store);
  load_values<CONFIG_T>(v_msb, v_lsb, c, exact_v, tokens, values);
  pv_stage<CONFIG_T>(c, exact_v, kept_pv, probs, values, outs);
  store_stage<CONFIG_T>(out, c, flags, max_prob, msb_max_prob, kept_store, outs);
}

// ---------------------------------------------------------------- token importance
/// Zeroes the whole importance memory (clear_importance).
template <class CONFIG_T>
void clear_importance(golden::ImportanceMemory importance) {
IMPORTANCE_CLEAR:
  for (int t = 0; t < CONFIG_T::max_context; ++t) {
#pragma HLS PIPELINE II = 1
    importance.words[t] = 0;
  }
}

/// A cascade token decision: golden::prune_tokens over the live list with the
/// on-chip importance; the kept ids (ascending) go to out at out_off, their
/// count to the status record.
template <class CONFIG_T>
void decide_job(const kif::meta_t* meta, kif::out_t* out, const JobContext& c, golden::ImportanceMemory importance) {
  std::uint32_t live[golden::dim(CONFIG_T::max_context)];
  std::uint32_t kept_ids[golden::dim(CONFIG_T::max_context)];
  // static: the candidate buffers are memories of the kernel, not stack
  static golden::TokenPruneScratch<CONFIG_T::max_context> scratch;
  read_live<CONFIG_T>(meta, c, live);
  const golden::TokenPruneParams p = {c.value_keep, c.context_len, c.sink_tokens, c.recent_tokens};
  const int kept = golden::prune_tokens<CONFIG_T::max_context>(live, c.n, importance, p, kept_ids, scratch);
DECIDE_OUT:
  for (int j = 0; j < CONFIG_T::max_context; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= kept) break;
    out[static_cast<std::uint64_t>(c.out_off) + static_cast<std::uint64_t>(j)] = static_cast<kif::out_t>(kept_ids[j]);
  }
  const std::uint64_t s = c.status_off;
  out[s + kif::StatusIndex::flags] = 0;
  out[s + kif::StatusIndex::max_prob] = 0;
  out[s + kif::StatusIndex::msb_max_prob] = 0;
  out[s + kif::StatusIndex::values_kept] = static_cast<kif::out_t>(kept);
}

// ---------------------------------------------------------------- the job
template <class CONFIG_T>
void reject_job(kif::out_t* out, std::uint32_t status_off) {
  const std::uint64_t s = status_off;
  out[s + kif::StatusIndex::flags] = static_cast<kif::out_t>(kif::kStatusRejected);
  out[s + kif::StatusIndex::max_prob] = 0;
  out[s + kif::StatusIndex::msb_max_prob] = 0;
  out[s + kif::StatusIndex::values_kept] = 0;
}

template <class CONFIG_T>
void run_job(const kif::k_msb_t* k_msb, const kif::k_lsb_t* k_lsb, const kif::v_msb_t* v_msb,
             const kif::v_lsb_t* v_lsb, const kif::meta_t* meta, kif::out_t* out, std::uint64_t desc_word,
             golden::ImportanceMemory importance) {
  kif::JobDescriptor d;
  read_descriptor<CONFIG_T>(meta, desc_word, d);
  JobContext c;
  if (!decode_job<CONFIG_T>(d, c)) {
    reject_job<CONFIG_T>(out, c.status_off);
    return;
  }
  if (c.clear_importance) clear_importance<CONFIG_T>(importance);
  if (c.decide) {
    decide_job<CONFIG_T>(meta, out, c, importance);
    return;
  }
  std::int32_t q[golden::dim(CONFIG_T::max_head_dim)];
#pragma HLS ARRAY_PARTITION variable = q type = cyclic factor = KernelShape<CONFIG_T>::kQkLanes
  std::uint32_t live[golden::dim(CONFIG_T::max_context)];
  std::uint32_t prob[golden::dim(CONFIG_T::max_context)];
  read_query<CONFIG_T>(meta, c, q);
  read_live<CONFIG_T>(meta, c, live);

  // Pass 0 uses MSB-only keys for a progressive job; pass 1 (flat rows only)
  // exact keys. One call site, so one hardware instance of the score pass.
  const bool msb_first = c.progressive && CONFIG_T::k_lsb_bits > 0;
  golden::SoftmaxRow row = golden::SoftmaxRow();
  std::uint32_t msb_max_prob = 0;
  bool refetch = false;
SCORE_PASSES:
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1 && !refetch) break;
    score_pass<CONFIG_T>(k_msb, k_lsb, live, q, c, pass == 1 || !msb_first, prob, row);
    if (pass == 0) {
      msb_max_prob = row.max_prob;
      refetch = requant_stage<CONFIG_T>(c, msb_max_prob);
    }
  }

  const bool exact_v = golden::value_rows_exact<CONFIG_T>(c.progressive, refetch);
  const std::uint32_t flags = refetch ? kif::kStatusLsbRefetched : 0u;
  value_pass<CONFIG_T>(v_msb, v_lsb, prob, live, c, exact_v, flags, row.max_prob, msb_max_prob, out);
  if (c.accumulate) golden::accumulate_token_importance<CONFIG_T::max_context>(importance, live, prob, c.n);
}

/// The kernel body for one preset; the extern "C" tops (spatten_attention.cpp)
/// call it through SPATTEN_KERNEL_DEFINE_TOP.
template <class CONFIG_T>
void attention_top(const kif::k_msb_t* k_msb, const kif::k_lsb_t* k_lsb, const kif::v_msb_t* v_msb,
                   const kif::v_lsb_t* v_lsb, const kif::meta_t* meta, kif::out_t* out, kif::num_jobs_t num_jobs,
                   kif::desc_offset_t desc_offset) {
  // SpAtten's token importance lives on chip from call to call (until a job
  // clears it): a static array is a memory of the kernel that keeps its
  // contents, in C simulation as on the board
  static std::uint64_t importance_words[golden::dim(CONFIG_T::max_context)];
  const golden::ImportanceMemory importance = {importance_words, CONFIG_T::max_context};
JOB_LOOP:
  for (kif::num_jobs_t j = 0; j < num_jobs; ++j) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1024 avg = 32
    const std::uint64_t word = static_cast<std::uint64_t>(desc_offset) +
                               static_cast<std::uint64_t>(j) * static_cast<std::uint64_t>(kif::kDescriptorWords);
    run_job<CONFIG_T>(k_msb, k_lsb, v_msb, v_lsb, meta, out, word, importance);
  }
}

}  // namespace kernel
}  // namespace spatten

#endif  // SPATTEN_KERNELS_SPATTEN_ATTENTION_H
