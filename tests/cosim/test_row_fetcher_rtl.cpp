// The key/value fetcher's RTL (hw/rtl/row_fetcher.sv) under Verilator, cycle by
// cycle against the cycle model's RowFetcher (sim/cmodel/include/spatten/
// cmodel/units.h), over the same memory timing:
//  * RTL side: the Verilated row_fetcher, its LANES AXI4 read masters on an
//    AxiMemory (sim/cosim/axi_memory.h; driven as KernelCosim::step drives the
//    kernel's: tick, drive, eval, sample, edge), whose backing store holds the
//    live list and the plane rows;
//  * cycle-model side: an HbmMemory with LANES ports 32 bytes wide
//    (RowFetcher::add_lanes) and RowFetcher(name, mem, ports, BUF_ROWS,
//    MAX_OUT, live_list_lanes(LANES, 8, P_SEL)) started in the same cycle with the same tokens, positions and
//    planes, ticked every cycle;
//  * the same HbmConfig on both (random per segment of runs: channels, bus
//    rate, latency, outstanding limit, interleaving, and jitter — seed, extra
//    latency, accept stalls — or none), so both memories see the same requests
//    in the same cycles iff the two fetchers agree;
//  * one consumer: in cycle t it takes k = min(want(t), delivered - taken)
//    rows (want: 0..ROWS per cycle, full rate, random, bursts and stalls,
//    slow, or a long stall first that fills the buffer), driving `take` = k
//    on the RTL and popping k rows from the cycle model's rows() in the same
//    cycle.
// Checked every cycle (the first divergence ends the set with its set,
// SPATTEN_SEED, segment, run, cycle and both values):
//  (1) the two memories' request logs (HbmMemory::set_request_log: cycle
//      accepted, port, address, bytes, direction) are equal, entry by entry;
//  (2) `delivered` in cycle t (t > s, the run's start cycle s) equals the
//      number of rows the cycle model pushed to rows() in cycles s .. t-1 of
//      the run (its push in cycle t shows as delivered in t+1: both make the
//      row visible to the consumer in t+1); in the start cycle `delivered`
//      still shows the previous run's count (0 after a reset). `busy` in t
//      equals !done() of the cycle model after its tick in t-1;
//  (3) every plane beat on bw_* (lane j: slot, plane id, beat index, data)
//      belongs to a row r of the run's buffer window (slot == r mod BUF_ROWS,
//      r in taken .. taken+BUF_ROWS-1, r not yet reported complete, beat <
//      row_beats, plane id one of the run's) and carries the memory's bytes of
//      that row's plane; a shadow buffer per slot keeps them, and when the
//      consumer takes row i its slot holds every beat of every plane of token
//      tok(pos(i)) exactly once (then the slot is cleared);
//  (4) pos_rd of the taken rows (read ports 0..k-1, pos_rd_first = taken)
//      equals the positions the cycle model pops;
//  (5) ids_rd at a random group (ids_rd_group) equals the ids of the last
//      fetch_live run that was complete, at every position it fetched
//      (< its count), until the next fetch_live run starts: the importance
//      unit's and the top-k payload's read port (0 while ids_rd_en is low,
//      one cycle in 8).
// Runs: random count (1..N_MAX, biased to small counts and to the edges:
// 1, N_MAX, multiples of 8 ± 1, BUF_ROWS ± 1), fetch_live (a new ascending
// live list of random token ids — dense, moderate, sparse up to 2^16 or up to
// 2^28 so that tok << row_shift passes 32 bits — in memory, its last chunk
// padded with junk) or not (the ids of the previous live run: a refetch of
// its first rows, or use_sel with an ascending subset of its positions
// written through sel_clear / sel_wr_valid / sel_wr_index before the start,
// with random lane masks, idle cycles and sometimes a junk round first,
// sometimes while the previous non-selecting run still fetches; runs without
// use_sel sometimes get junk writes that they must ignore), one or two planes
// (ids 0/1 in either order; one plane: either id), row_beats a power of two up
// to MAX_ROW_BEATS, plane bases aligned to the row size or to 4 KiB (so a
// burst never crosses 4 KiB, which AxiMemory rejects) in a 128 GiB region
// from just below 2^36. The first run is a fetch_live run.
// Runs come in segments of 1..6 sharing a memory; within a segment a run
// starts in the cycle after the previous run's last row was taken (mostly) or
// a few cycles later. A start while the previous run is still delivering is
// not allowed (the RTL's `consumed` and slots restart at the start; the kernel
// never does it) and is not driven. Between segments the RTL is sometimes
// reset (its live ids and selected positions survive a reset, as in the RTL).
// SPATTEN_SEED replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "axi_memory.h"
#include "cosim_test_util.h"

SPATTEN_VERILATED_BEGIN
#include "Vrow_fetcher_l1_b3_o2.h"
#include "Vrow_fetcher_l2_b1024_o128.h"
#include "Vrow_fetcher_l2_b1_o1.h"
#include "Vrow_fetcher_l3_b7_o5.h"
#include "Vrow_fetcher_l4_b64_o16.h"
SPATTEN_VERILATED_END

#include "spatten/cmodel/hbm_memory.h"
#include "spatten/cmodel/units.h"  // RowFetcher
#include "spatten_test_seed.h"

namespace c = spatten::cmodel;
namespace ax = spatten::cosim;
namespace cosim = spatten::test::cosim;

namespace {

using cosim::clog2;
using cosim::get_bits;
using cosim::put_bits;
using cosim::uni;

/// One verilated parameter set (tests/cosim/row_fetcher.cmake); BEAT_BYTES = 32.
struct Set {
  const char* name;
  int lanes, buf_rows, max_out, n_max, max_row_beats, rows, p_sel;
  int iw() const { return clog2(n_max + 1); }
  int slw() const { return buf_rows > 1 ? clog2(buf_rows) : 1; }
  int biw() const { return max_row_beats > 1 ? clog2(max_row_beats) : 1; }
};
const Set kL1B3{"row_fetcher_l1_b3_o2", 1, 3, 2, 64, 4, 1, 4};
const Set kL3B7{"row_fetcher_l3_b7_o5", 3, 7, 5, 256, 8, 2, 16};
const Set kL4B64{"row_fetcher_l4_b64_o16", 4, 64, 16, 512, 2, 4, 8};
const Set kL2B1024{"row_fetcher_l2_b1024_o128", 2, 1024, 128, 4096, 8, 1, 16};
const Set kL2B1{"row_fetcher_l2_b1_o1", 2, 1, 1, 20, 1, 2, 3};

// The sanitizer build (build-asan) is about 20 times slower: it runs a tenth of
// the runs (the same first runs as the other builds for a given seed).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kRunDivisor = 10;
#else
constexpr int kRunDivisor = 1;
#endif

constexpr int kBeatBytes = 32;
constexpr int kIdsPerBeat = kBeatBytes / 4;
constexpr std::uint64_t kMetaBase = 0x0000'0008'0000'0000ULL;  // live lists
constexpr std::uint64_t kMetaBytes = std::uint64_t{1} << 20;
constexpr std::uint64_t kPlaneBase = 0x0000'000F'FE00'0000ULL;  // plane rows; crosses 2^36 at +32 MiB
constexpr std::uint64_t kPlaneBytes = std::uint64_t{1} << 37;
constexpr int kMaxToken = 1 << 16;      // token ids < this, mostly
constexpr int kMaxHugeToken = 1 << 28;  // sometimes: tok << row_shift past 32 bits

/// The first divergence (or a protocol error, or a stall).
class Divergence : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string hex(std::uint64_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << v;
  return o.str();
}

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
/// The plane bytes' content: word at (4-byte aligned) address a.
std::uint32_t plane_word(std::uint64_t a) { return static_cast<std::uint32_t>(mix64(a ^ 0x51a77e9ULL)); }
using BeatWords = std::array<std::uint32_t, 8>;
BeatWords plane_beat(std::uint64_t a) {
  BeatWords w{};
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = plane_word(a + 4 * i);
  return w;
}
std::string words_str(const BeatWords& w) {
  std::ostringstream o;
  o << std::hex;
  for (std::size_t i = 0; i < w.size(); ++i) o << (i ? " " : "") << std::setw(8) << std::setfill('0') << w[i];
  return o.str();
}

// ---- a 32-byte lane of a wide Verilator port -----------------------------------
template <std::size_t N>
void put_lane(VlWide<N>& sig, int lane, const std::array<std::uint8_t, ax::kAxiDataBytes>& d) {
  for (std::size_t w = 0; w < 8; ++w) {
    std::uint32_t x = 0;
    for (std::size_t b = 0; b < 4; ++b) x |= static_cast<std::uint32_t>(d[4 * w + b]) << (8 * b);
    sig.at(static_cast<std::size_t>(lane) * 8 + w) = x;
  }
}
template <std::size_t N>
void junk_lane(VlWide<N>& sig, int lane, std::mt19937_64& rng) {
  for (std::size_t w = 0; w < 8; ++w) sig.at(static_cast<std::size_t>(lane) * 8 + w) = static_cast<std::uint32_t>(rng());
}
template <std::size_t N>
BeatWords get_lane(const VlWide<N>& sig, int lane) {
  BeatWords out{};
  for (std::size_t w = 0; w < 8; ++w) out[w] = sig.at(static_cast<std::size_t>(lane) * 8 + w);
  return out;
}

// ---- stimulus --------------------------------------------------------------------
/// Rows the consumer wants each cycle (it takes min(want, rows available)).
struct Consumer {
  int mode = 0;    // 0 full rate, 1 random 0..ROWS, 2 bursts and stalls, 3 slow, 4 a long stall, then full rate
  double p = 1.0;  // mode 3: chance of one row a cycle
  int on_len = 1, off_len = 1, left = 0;
  bool on = false;
  int stall = 0;   // mode 4: cycles of the initial stall
  int want(std::mt19937_64& rng, int rows, int run_cycle) {
    switch (mode) {
      case 0: return rows;
      case 1: return uni(rng, 0, rows);
      case 2:
        if (left == 0) {
          on = !on;
          left = uni(rng, 1, on ? on_len : off_len);
        }
        --left;
        return on ? uni(rng, 1, rows) : 0;
      case 3: return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p ? 1 : 0;
      default: return run_cycle < stall ? 0 : rows;
    }
  }
};

/// One cycle of the selected-position writes.
struct SelAction {
  bool clear = false;
  std::uint32_t mask = 0;
  std::vector<std::uint32_t> index;  // per lane
  std::vector<std::uint32_t> id;     // per lane: the position's token id (sel_wr_id)
};

/// One run: a start and its job inputs, held until the next start.
struct Run {
  int index = 0;     // in the set
  int segment = 0;
  int count = 0;
  bool fetch_live = false, use_sel = false, two_planes = false;
  std::uint64_t live_addr = 0;
  std::vector<std::uint8_t> live_bytes;            // the list as written (junk past its end in the last chunk)
  std::shared_ptr<const std::vector<int>> tokens;  // live ids by position
  std::vector<int> positions;                      // use_sel: the fetch order's positions
  std::array<std::uint64_t, 2> base{};
  std::array<int, 2> pid{};
  int row_beats = 1, row_shift = 5;
  std::vector<SelAction> sel;  // before the start: the positions (use_sel) or junk
  bool sel_overlap = false;    // the writes may begin while the previous (non-selecting) run fetches
  Consumer consumer;
  int gap = 0;  // idle cycles between the previous run's last take and this start

  int planes() const { return two_planes ? 2 : 1; }
  std::uint32_t row_bytes() const { return static_cast<std::uint32_t>(kBeatBytes * row_beats); }
  int pos(int i) const { return use_sel ? positions[static_cast<std::size_t>(i)] : i; }
  int token(int i) const { return (*tokens)[static_cast<std::size_t>(pos(i))]; }
  std::uint64_t row_addr(int p, int i) const {
    return base[static_cast<std::size_t>(p)] + (static_cast<std::uint64_t>(token(i)) << row_shift);
  }
  std::string what() const {
    std::ostringstream o;
    o << "run " << index << " (segment " << segment << "; " << (fetch_live ? "fetch_live" : "ids of the last live run")
      << (use_sel ? ", use_sel" : "") << ", count " << count << " of " << tokens->size() << " live ids, "
      << planes() << " plane(s) ids " << pid[0];
    if (two_planes) o << "/" << pid[1];
    o << ", row_beats " << row_beats << ", bases " << hex(base[0]);
    if (two_planes) o << " " << hex(base[1]);
    if (fetch_live) o << ", live list at " << hex(live_addr);
    o << ", consumer mode " << consumer.mode << ", gap " << gap << (sel_overlap ? ", sel writes overlapped" : "")
      << ")";
    return o.str();
  }
};

struct Stats {
  long runs = 0, rows = 0, cycles = 0, beats = 0;
  long live_runs = 0, refetch_runs = 0, sel_runs = 0, two_plane_runs = 0, max_count = 0;
  long back_to_back = 0, sel_overlapped = 0, junk_sel = 0, buffer_full_cycles = 0, segments = 0, jitter_segments = 0;
  long resets = 0, requests = 0;
  long ids_checked = 0;   // (5) ids read on ids_rd and compared
};

// ---- the bench -------------------------------------------------------------------
template <class Model>
class FetcherBench {
 public:
  FetcherBench(const Set& s, std::uint64_t base_seed, std::uint64_t seed)
      : s_(s), base_seed_(base_seed), seed_(seed), rng_(seed),
        dut_(s.name, [](VerilatedContext& ctx) { ctx.randReset(0); }), top_(dut_.top()),
        shadow_(static_cast<std::size_t>(s.buf_rows) * 2 * static_cast<std::size_t>(s.max_row_beats)) {
    top_.clk = 0;
    top_.rst_n = 0;
    top_.start = 0;
    top_.take = 0;
    top_.sel_clear = 0;
    top_.sel_wr_valid = 0;
    zero_memory_inputs();
    top_.eval();
    reset();
  }

  Stats stats;

  /// Segments of runs until at least `min_runs` runs completed.
  void run(int min_runs) {
    while (stats.runs < min_runs) {
      if (stats.segments > 0 && uni(rng_, 0, 6) == 0) reset();
      segment(uni(rng_, 1, 6));
    }
  }

 private:
  struct ShadowBeat {
    BeatWords w{};
    int writes = 0;
  };

  // ---- reporting
  [[noreturn]] void fail(const std::string& what) const {
    std::ostringstream o;
    o << s_.name << " SPATTEN_SEED=" << base_seed_ << " (set seed " << seed_ << "), segment " << stats.segments - 1
      << " (" << cfg_str_ << "), cycle " << now_;
    if (cur_) o << " = start + " << (now_ - cur_start_) << " of " << cur_->what();
    o << ": " << what;
    throw Divergence(o.str());
  }

  // ---- the RTL's ports
  void zero_memory_inputs() {
    top_.ar_ready = 0;
    top_.r_valid = 0;
    top_.r_last = 0;
  }
  void reset() {
    zero_memory_inputs();
    top_.start = 0;
    top_.take = 0;
    top_.sel_clear = 0;
    top_.sel_wr_valid = 0;
    dut_.reset_edges(uni(rng_, 1, 3));
    exp_delivered_ = 0;
    exp_busy_ = false;
    ++stats.resets;
    if (top_.busy != 0 || get_bits(top_.delivered, 0, s_.iw()) != 0 || get_bits(top_.ar_valid, 0, s_.lanes) != 0)
      fail("after a reset: busy " + std::to_string(top_.busy) + ", delivered " +
           std::to_string(get_bits(top_.delivered, 0, s_.iw())) + ", ar_valid " +
           std::to_string(get_bits(top_.ar_valid, 0, s_.lanes)) + " (all expected 0)");
  }
  void apply_job(const Run& r) {
    const int iw = s_.iw();
    put_bits(top_.count, 0, iw, static_cast<std::uint64_t>(r.count));
    top_.two_planes = r.two_planes ? 1 : 0;
    top_.plane_base0 = r.base[0];
    top_.plane_base1 = r.base[1];
    top_.plane_id0 = static_cast<std::uint8_t>(r.pid[0]);
    top_.plane_id1 = static_cast<std::uint8_t>(r.pid[1]);
    top_.row_shift = static_cast<std::uint8_t>(r.row_shift);
    top_.row_beats_m1 = static_cast<std::uint8_t>(r.row_beats - 1);
    top_.fetch_live = r.fetch_live ? 1 : 0;
    top_.live_addr = r.live_addr;
    top_.use_sel = r.use_sel ? 1 : 0;
  }

  // ---- stimulus
  int pick_count(int hi) {
    const int b = s_.buf_rows;
    auto clamp = [hi](int v) { return std::clamp(v, 1, hi); };
    switch (uni(rng_, 0, 13)) {
      case 0: return 1;
      case 1: return hi;
      case 2: return clamp(hi - 1);
      case 3: return clamp(kIdsPerBeat * uni(rng_, 1, std::max(1, hi / kIdsPerBeat)) + uni(rng_, -1, 1));
      case 4: return clamp(b + uni(rng_, -1, 1));
      case 5: return clamp(2 * b + uni(rng_, -1, 1));
      case 6:
      case 7:
      case 8: return uni(rng_, 1, std::min(hi, 16));
      case 9:
      case 10: return uni(rng_, 1, std::min(hi, 64));
      case 11: return uni(rng_, 1, std::min(hi, 256));
      default: return uni(rng_, 1, hi);
    }
  }
  /// k distinct ascending values of [0, n).
  std::vector<int> sample(int k, int n) {
    std::vector<int> out;
    out.reserve(static_cast<std::size_t>(k));
    if (static_cast<long>(n) <= 4L * k) {  // selection sampling
      int need = k;
      for (int i = 0; i < n && need > 0; ++i)
        if (uni(rng_, 0, n - i - 1) < need) {
          out.push_back(i);
          --need;
        }
    } else {
      std::unordered_set<int> seen;
      while (static_cast<int>(out.size()) < k) {
        const int v = uni(rng_, 0, n - 1);
        if (seen.insert(v).second) out.push_back(v);
      }
      std::sort(out.begin(), out.end());
    }
    return out;
  }
  /// positions: the selected positions (nullptr: a junk round only);
  /// tokens: the ids by position, written beside them as the core's top-k
  /// engine does (its payload).
  std::vector<SelAction> sel_actions(const std::vector<int>* positions, const std::vector<int>* tokens) {
    const int p = s_.p_sel;
    const std::uint32_t junk_max = (std::uint32_t{1} << s_.iw()) - 1;
    std::vector<SelAction> acts;
    auto junk = [&] { return static_cast<std::uint32_t>(uni(rng_, 0, static_cast<std::int32_t>(junk_max))); };
    // ids: the ids by position of vals' entries (nullptr: junk ids)
    auto cycle_of = [&](const std::vector<int>& vals, std::size_t& next, int take, const std::vector<int>* ids) {
      SelAction a;
      a.index.resize(static_cast<std::size_t>(p));
      for (auto& x : a.index) x = junk();
      a.id.resize(static_cast<std::size_t>(p));
      for (auto& x : a.id) x = static_cast<std::uint32_t>(rng_());
      std::vector<int> lanes(static_cast<std::size_t>(p));
      for (int l = 0; l < p; ++l) lanes[static_cast<std::size_t>(l)] = l;
      if (uni(rng_, 0, 2) != 0) std::shuffle(lanes.begin(), lanes.end(), rng_);  // else the first `take` lanes
      std::sort(lanes.begin(), lanes.begin() + take);
      for (int i = 0; i < take; ++i) {
        const auto l = static_cast<std::size_t>(lanes[static_cast<std::size_t>(i)]);
        a.mask |= std::uint32_t{1} << l;
        a.index[l] = static_cast<std::uint32_t>(vals[next]);
        if (ids != nullptr) a.id[l] = static_cast<std::uint32_t>((*ids)[static_cast<std::size_t>(vals[next])]);
        ++next;
      }
      return a;
    };
    auto clear = [&] {
      SelAction a;
      a.clear = true;
      a.index.assign(static_cast<std::size_t>(p), 0);
      for (auto& x : a.index) x = junk();
      a.id.assign(static_cast<std::size_t>(p), 0);
      for (auto& x : a.id) x = static_cast<std::uint32_t>(rng_());
      return a;
    };
    if (positions == nullptr || uni(rng_, 0, 3) == 0) {  // a junk round
      acts.push_back(clear());
      std::vector<int> vals(static_cast<std::size_t>(3 * p));
      for (auto& v : vals) v = static_cast<int>(junk());
      std::size_t next = 0;
      for (int c2 = uni(rng_, 1, 3); c2 > 0; --c2) acts.push_back(cycle_of(vals, next, uni(rng_, 0, p), nullptr));
    }
    if (positions == nullptr) return acts;
    acts.push_back(clear());
    for (int idle = uni(rng_, 0, 2) == 0 ? uni(rng_, 1, 3) : 0; idle > 0; --idle) {
      std::size_t none = 0;
      acts.push_back(cycle_of(*positions, none, 0, tokens));
    }
    std::size_t next = 0;
    const bool full = uni(rng_, 0, 2) == 0;
    while (next < positions->size()) {
      const int left = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(p), positions->size() - next));
      const int take = full ? left : (uni(rng_, 0, 5) == 0 ? 0 : uni(rng_, 1, left));
      acts.push_back(cycle_of(*positions, next, take, tokens));
    }
    return acts;
  }
  Consumer make_consumer() {
    Consumer k;
    k.mode = uni(rng_, 0, 4);
    k.p = std::uniform_real_distribution<double>(0.05, 0.6)(rng_);
    k.on_len = uni(rng_, 1, 24);
    k.off_len = uni(rng_, 1, 48);
    k.stall = uni(rng_, 1, std::min(4 * s_.buf_rows + 200, 3000));
    return k;
  }
  std::unique_ptr<Run> make_run() {
    auto r = std::make_unique<Run>();
    r->index = runs_made_++;
    r->segment = static_cast<int>(stats.segments - 1);
    r->fetch_live = !live_ || uni(rng_, 0, 99) < 45;
    if (r->fetch_live) {
      const int n = pick_count(s_.n_max);
      int universe = n;
      switch (uni(rng_, 0, 4)) {
        case 0: break;  // dense: ids 0 .. n-1
        case 1:
        case 2: universe = std::min(kMaxToken, n + uni(rng_, 0, 3 * n + 8)); break;
        case 3: universe = uni(rng_, n, kMaxToken); break;
        default: universe = uni(rng_, std::max(n, kMaxToken), kMaxHugeToken); break;
      }
      live_ = std::make_shared<const std::vector<int>>(sample(n, universe));
      r->tokens = live_;
      r->count = n;
      const int chunks = (n + kIdsPerBeat - 1) / kIdsPerBeat;
      const auto slots = static_cast<std::int32_t>((kMetaBytes - static_cast<std::uint64_t>(chunks) * kBeatBytes) / kBeatBytes);
      r->live_addr = kMetaBase + static_cast<std::uint64_t>(uni(rng_, 0, slots)) * kBeatBytes;
      r->live_bytes.resize(static_cast<std::size_t>(chunks) * kBeatBytes);
      for (auto& b : r->live_bytes) b = static_cast<std::uint8_t>(rng_());  // junk past the list
      for (int i = 0; i < n; ++i)
        for (int b = 0; b < 4; ++b)
          r->live_bytes[static_cast<std::size_t>(4 * i + b)] =
              static_cast<std::uint8_t>(static_cast<std::uint32_t>((*live_)[static_cast<std::size_t>(i)]) >> (8 * b));
    } else {
      r->tokens = live_;
      r->live_addr = kMetaBase + static_cast<std::uint64_t>(uni(rng_, 0, 1000)) * kBeatBytes;  // junk: not read
      const int n = static_cast<int>(live_->size());
      r->use_sel = uni(rng_, 0, 1) != 0;
      if (r->use_sel) {
        r->positions = sample(pick_count(n), n);
        r->count = static_cast<int>(r->positions.size());
      } else {
        r->count = uni(rng_, 0, 9) < 6 ? n : pick_count(n);
      }
    }
    r->two_planes = uni(rng_, 0, 9) < 6;
    r->row_shift = 5 + uni(rng_, 0, clog2(s_.max_row_beats));
    r->row_beats = 1 << (r->row_shift - 5);
    int tok_end = 0;
    for (int i = 0; i < r->count; ++i) tok_end = std::max(tok_end, r->token(i) + 1);
    const std::uint64_t span = static_cast<std::uint64_t>(tok_end) * r->row_bytes();
    for (std::size_t p = 0; p < 2; ++p) {
      const std::uint64_t align = uni(rng_, 0, 3) == 0 ? 4096 : r->row_bytes();
      const std::uint64_t slots = (kPlaneBytes - span) / align;
      r->base[p] = kPlaneBase + std::uniform_int_distribution<std::uint64_t>(0, slots)(rng_) * align;
    }
    r->pid[0] = uni(rng_, 0, 1);
    r->pid[1] = r->two_planes ? 1 - r->pid[0] : uni(rng_, 0, 1);
    if (r->use_sel) {
      r->sel = sel_actions(&r->positions, r->tokens.get());
      r->sel_overlap = uni(rng_, 0, 1) != 0;
    } else if (uni(rng_, 0, 4) == 0) {
      r->sel = sel_actions(nullptr, nullptr);  // junk the run must ignore
      r->sel_overlap = uni(rng_, 0, 1) != 0;
    }
    r->consumer = make_consumer();
    r->gap = uni(rng_, 0, 3) == 0 ? uni(rng_, 1, 5) : 0;
    return r;
  }
  c::HbmConfig make_config() {
    c::HbmConfig cfg;
    cfg.channels = uni(rng_, 1, 4);
    static constexpr std::array<int, 6> kBpc{8, 16, 32, 32, 47, 64};
    cfg.bytes_per_cycle = kBpc[static_cast<std::size_t>(uni(rng_, 0, 5))];
    switch (uni(rng_, 0, 4)) {
      case 0: cfg.latency_cycles = static_cast<c::Cycle>(uni(rng_, 0, 2)); break;
      case 1:
      case 2: cfg.latency_cycles = static_cast<c::Cycle>(uni(rng_, 3, 20)); break;
      default: cfg.latency_cycles = static_cast<c::Cycle>(uni(rng_, 20, 60)); break;
    }
    switch (uni(rng_, 0, 3)) {
      case 0: cfg.max_outstanding = uni(rng_, 1, 2); break;
      case 1: cfg.max_outstanding = uni(rng_, 3, 8); break;
      default: cfg.max_outstanding = 32; break;
    }
    cfg.transaction_bytes = kBeatBytes;  // the fetcher's chunk: 8 ids
    static constexpr std::array<int, 4> kIl{32, 64, 256, 4096};
    cfg.interleave_bytes = kIl[static_cast<std::size_t>(uni(rng_, 0, 3))];
    if (uni(rng_, 0, 2) != 0) {
      cfg.jitter_seed = rng_() | 1u;
      cfg.jitter_max_extra_latency = uni(rng_, 0, 3) == 0 ? 0 : static_cast<c::Cycle>(uni(rng_, 1, 40));
      cfg.jitter_stall_percent = uni(rng_, 0, 3) == 0 ? 0 : uni(rng_, 1, 60);
    }
    return cfg;
  }
  void load_memory(const Run& r) {
    if (r.fetch_live) axi_->write_bytes(r.live_addr, r.live_bytes);
    std::vector<std::uint8_t> row(r.row_bytes());
    for (int p = 0; p < r.planes(); ++p)
      for (int i = 0; i < r.count; ++i) {
        const std::uint64_t a = r.row_addr(p, i);
        for (std::uint32_t w = 0; w < r.row_bytes() / 4; ++w) {
          const std::uint32_t x = plane_word(a + 4 * w);
          for (std::uint32_t b = 0; b < 4; ++b) row[4 * w + b] = static_cast<std::uint8_t>(x >> (8 * b));
        }
        axi_->write_bytes(a, row);
      }
  }

  // ---- a segment: runs sharing one memory (one HbmConfig)
  void segment(int runs) {
    ++stats.segments;
    const c::HbmConfig cfg = make_config();
    {
      std::ostringstream o;
      o << "HBM channels " << cfg.channels << ", " << cfg.bytes_per_cycle << " B/cycle, latency " << cfg.latency_cycles
        << ", max_outstanding " << cfg.max_outstanding << ", interleave " << cfg.interleave_bytes;
      if (cfg.jitter_seed != 0)
        o << ", jitter seed " << cfg.jitter_seed << " extra " << cfg.jitter_max_extra_latency << " stall "
          << cfg.jitter_stall_percent << "%";
      cfg_str_ = o.str();
    }
    if (cfg.jitter_seed != 0) ++stats.jitter_segments;
    axi_ = std::make_unique<ax::AxiMemory>(cfg, kBeatBytes);
    for (int l = 0; l < s_.lanes; ++l) axi_->add_master("lane" + std::to_string(l), false);
    axi_->add_region(kMetaBase, kMetaBytes, c::DramKind::kMeta, "live");
    axi_->add_region(kPlaneBase, kPlaneBytes, c::DramKind::kKMsb, "planes");
    cmem_ = std::make_unique<c::HbmMemory>(cfg, "cm_hbm");
    std::vector<int> ports = c::RowFetcher::add_lanes(*cmem_, "lane", s_.lanes, kBeatBytes);
    fetch_ = std::make_unique<c::RowFetcher>("fetcher", *cmem_, ports, static_cast<std::size_t>(s_.buf_rows), s_.max_out,
                                             c::RowFetcher::live_list_lanes(s_.lanes, kBeatBytes / 4, s_.p_sel));
    rlog_.clear();
    clog_.clear();
    log_checked_ = 0;
    axi_->hbm().set_request_log(&rlog_);
    cmem_->set_request_log(&clog_);
    sig_.assign(static_cast<std::size_t>(s_.lanes), ax::AxiSignals{});
    now_ = 0;
    cur_.reset();
    has_last_take_ = false;
    runs_left_ = runs - 1;
    pending_ = make_run();
    sel_next_ = 0;
    while (pending_ || running()) {
      step();
      if (running() && now_ > run_limit_)
        fail("no progress: " + std::to_string(taken_) + " rows taken, RTL delivered " +
             std::to_string(get_bits(top_.delivered, 0, s_.iw())) + ", the cycle model pushed " +
             std::to_string(fetch_->rows().pushes() - base_pushes_) + ", after " + std::to_string(now_ - cur_start_) +
             " cycles");
    }
    // drain: nothing may be left in either memory
    for (int i = 0; i < 4 || !(axi_->idle() && cmem_->quiescent()); ++i) {
      if (i > 2000) fail("the memories never went idle after the last run");
      step();
    }
    if (rlog_.size() != clog_.size())
      fail("request logs of different lengths at the end: RTL " + std::to_string(rlog_.size()) + ", cycle model " +
           std::to_string(clog_.size()));
    stats.requests += static_cast<long>(rlog_.size());
    stats.cycles += static_cast<long>(now_);
    cur_.reset();
  }

  bool running() const { return cur_ && taken_ < cur_->count; }

  void compare_logs() {
    const std::size_t n = std::min(rlog_.size(), clog_.size());
    for (std::size_t i = log_checked_; i < n; ++i) {
      if (rlog_[i] == clog_[i]) continue;
      fail("DRAM request " + std::to_string(i) + " differs: RTL " + req_str(rlog_[i]) + ", cycle model " +
           req_str(clog_[i]));
    }
    log_checked_ = n;
    if (rlog_.size() != clog_.size()) {
      const bool rtl_more = rlog_.size() > clog_.size();
      const c::LoggedRequest& extra = rtl_more ? rlog_[n] : clog_[n];
      fail(std::string("DRAM request ") + std::to_string(n) + " accepted only from the " +
           (rtl_more ? "RTL" : "cycle model") + ": " + req_str(extra) + " (the other accepted " + std::to_string(n) +
           " so far)");
    }
  }
  static std::string req_str(const c::LoggedRequest& r) {
    std::ostringstream o;
    o << "{cycle " << r.cycle << ", port " << r.port << ", address " << hex(r.address) << ", " << r.bytes << " bytes"
      << (r.write ? ", write" : "") << "}";
    return o.str();
  }

  /// The start of the pending run in this cycle?
  bool start_now() const {
    if (!pending_ || running() || sel_next_ < pending_->sel.size()) return false;
    if (!has_last_take_) return true;
    return now_ >= last_take_ + 1 + static_cast<c::Cycle>(pending_->gap);
  }
  /// May the pending run's next selected-position write happen in this cycle?
  bool sel_now() const {
    if (!pending_ || sel_next_ >= pending_->sel.size()) return false;
    if (!cur_) return true;
    if (!running()) return now_ > last_take_;
    return !cur_->use_sel && pending_->sel_overlap;  // the running run does not read sel_pos
  }

  void start_run() {
    if (has_last_take_ && now_ == last_take_ + 1) ++stats.back_to_back;
    if (pending_->use_sel && pending_->sel_overlap && sel_overlap_used_) ++stats.sel_overlapped;
    sel_overlap_used_ = false;
    cur_ = std::move(pending_);
    const Run& r = *cur_;
    if (r.fetch_live) ids_known_ = 0;   // the live-id memory is rewritten from now on
    cur_start_ = now_;
    taken_ = 0;
    run_beats_ = 0;
    if (shadow_live_ != 0) fail(std::to_string(shadow_live_) + " plane beats in the buffer left from the previous run");
    load_memory(r);
    apply_job(r);
    std::vector<c::Plane> planes{c::Plane{r.base[0], r.row_bytes(), c::DramKind::kKMsb}};
    if (r.two_planes) planes.push_back(c::Plane{r.base[1], r.row_bytes(), c::DramKind::kKLsb});
    fetch_->start(r.tokens->data(), r.use_sel ? &r.positions : nullptr, r.count, std::move(planes),
                  r.fetch_live ? std::optional<std::uint64_t>(r.live_addr) : std::nullopt);
    base_pushes_ = fetch_->rows().pushes();
    // a generous bound: every transaction of every plane alone in the memory, and the slowest consumer
    const c::HbmConfig& mc = cmem_->config();
    const c::Cycle per_txn = static_cast<c::Cycle>((kBeatBytes + mc.bytes_per_cycle - 1) / mc.bytes_per_cycle) +
                             mc.latency_cycles + mc.jitter_max_extra_latency + 8;
    const c::Cycle per_row = static_cast<c::Cycle>(r.planes() * r.row_beats) * per_txn + 64;
    run_limit_ = now_ + 20000 + static_cast<c::Cycle>(r.count) * per_row * 2 + static_cast<c::Cycle>(r.consumer.stall);
    ++stats.runs;
    stats.rows += r.count;
    stats.max_count = std::max<long>(stats.max_count, r.count);
    stats.live_runs += r.fetch_live ? 1 : 0;
    stats.refetch_runs += (!r.fetch_live && !r.use_sel) ? 1 : 0;
    stats.sel_runs += r.use_sel ? 1 : 0;
    stats.two_plane_runs += r.two_planes ? 1 : 0;
    stats.junk_sel += (!r.use_sel && !r.sel.empty()) ? 1 : 0;
    if (runs_left_ > 0) {
      --runs_left_;
      pending_ = make_run();
      sel_next_ = 0;
    }
  }

  /// The checks of a taken row: its slot holds all beats of all its planes, once.
  void check_taken(int i) {
    const Run& r = *cur_;
    const auto slot = static_cast<std::size_t>(i % s_.buf_rows);
    const auto mrb = static_cast<std::size_t>(s_.max_row_beats);
    for (std::size_t pid = 0; pid < 2; ++pid) {
      int p = -1;
      for (int q = 0; q < r.planes(); ++q)
        if (static_cast<std::size_t>(r.pid[static_cast<std::size_t>(q)]) == pid) p = q;
      for (std::size_t b = 0; b < mrb; ++b) {
        ShadowBeat& sb = shadow_[(slot * 2 + pid) * mrb + b];
        const bool wanted = p >= 0 && b < static_cast<std::size_t>(r.row_beats);
        if (!wanted) {
          if (sb.writes != 0)
            fail("row " + std::to_string(i) + " taken: slot " + std::to_string(slot) + " has a beat " + std::to_string(b) +
                 " of plane id " + std::to_string(pid) + ", which the run does not fetch");
          continue;
        }
        if (sb.writes != 1)
          fail("row " + std::to_string(i) + " (position " + std::to_string(r.pos(i)) + ", token " +
               std::to_string(r.token(i)) + ") taken: slot " + std::to_string(slot) + " plane id " + std::to_string(pid) +
               " beat " + std::to_string(b) + " was written " + std::to_string(sb.writes) + " times (expected once)");
        const BeatWords want = plane_beat(r.row_addr(p, i) + kBeatBytes * b);
        if (sb.w != want)
          fail("row " + std::to_string(i) + " taken: slot " + std::to_string(slot) + " plane id " + std::to_string(pid) +
               " beat " + std::to_string(b) + " holds " + words_str(sb.w) + ", expected " + words_str(want));
        sb.writes = 0;
        --shadow_live_;
      }
    }
  }

  /// One plane beat on bw_* of lane j in this cycle.
  void check_beat(int j, int taken_before, int delivered) {
    const Run& r = *cur_;
    const auto slot = static_cast<int>(get_bits(top_.bw_slot, j * s_.slw(), s_.slw()));
    const auto pid = static_cast<int>(get_bits(top_.bw_plane, j, 1));
    const auto beat = static_cast<int>(get_bits(top_.bw_beat, j * s_.biw(), s_.biw()));
    const BeatWords data = get_lane(top_.bw_data, j);
    const std::string where = "lane " + std::to_string(j) + " plane beat (slot " + std::to_string(slot) +
                              ", plane id " + std::to_string(pid) + ", beat " + std::to_string(beat) + ")";
    if (!sig_[static_cast<std::size_t>(j)].rvalid) fail(where + " without r_valid");
    if (slot >= s_.buf_rows) fail(where + ": slot out of range (BUF_ROWS " + std::to_string(s_.buf_rows) + ")");
    if (beat >= r.row_beats) fail(where + ": beat index past row_beats " + std::to_string(r.row_beats));
    int p = -1;
    for (int q = 0; q < r.planes(); ++q)
      if (r.pid[static_cast<std::size_t>(q)] == pid) p = q;
    if (p < 0) fail(where + ": a plane id the run does not fetch");
    const int b = s_.buf_rows;
    const int row = taken_before + ((slot - taken_before % b) % b + b) % b;  // the window's row of that slot
    if (row >= r.count || row < delivered)
      fail(where + ": its slot belongs to row " + std::to_string(row) + " of the buffer window (rows " +
           std::to_string(taken_before) + ".. taken before this cycle), " +
           (row >= r.count ? "past the run's count " + std::to_string(r.count)
                           : "already reported complete (delivered " + std::to_string(delivered) + ")"));
    const BeatWords want = plane_beat(r.row_addr(p, row) + static_cast<std::uint64_t>(kBeatBytes * beat));
    if (data != want)
      fail(where + " for row " + std::to_string(row) + " (position " + std::to_string(r.pos(row)) + ", token " +
           std::to_string(r.token(row)) + ", address " + hex(r.row_addr(p, row) + static_cast<std::uint64_t>(kBeatBytes * beat)) +
           "): data " + words_str(data) + ", expected " + words_str(want));
    ShadowBeat& sb = shadow_[(static_cast<std::size_t>(slot) * 2 + static_cast<std::size_t>(pid)) *
                                 static_cast<std::size_t>(s_.max_row_beats) +
                             static_cast<std::size_t>(beat)];
    if (sb.writes != 0) fail(where + " for row " + std::to_string(row) + ": that beat was already written");
    sb.writes = 1;
    sb.w = data;
    ++shadow_live_;
    ++run_beats_;
    ++stats.beats;
  }

  /// One clock cycle of both models (see the header comment for the order).
  void step() {
    const int iw = s_.iw();
    // start and selected-position writes (inputs of this cycle)
    const bool start = start_now();
    if (start) start_run();
    top_.start = start ? 1 : 0;
    // between runs the job inputs may change before the next start (the core
    // switches `count` and the planes between passes): the unit must hold
    // `delivered` and stay idle
    if (!start && !running() && cur_) put_bits(top_.count, 0, iw, rng_() % static_cast<unsigned>(s_.n_max + 1));
    if (sel_now()) {
      if (running() && sel_next_ == 0) sel_overlap_used_ = true;
      const SelAction& a = pending_->sel[sel_next_++];
      top_.sel_clear = a.clear ? 1 : 0;
      put_bits(top_.sel_wr_valid, 0, s_.p_sel, a.mask);
      for (int l = 0; l < s_.p_sel; ++l)
        put_bits(top_.sel_wr_index, l * iw, iw, a.index[static_cast<std::size_t>(l)]);
      for (int l = 0; l < s_.p_sel; ++l) put_bits(top_.sel_wr_id, l * 32, 32, a.id[static_cast<std::size_t>(l)]);
    } else {
      top_.sel_clear = 0;
      top_.sel_wr_valid = 0;
    }
    // memories
    axi_->tick(now_);
    cmem_->tick(now_);
    compare_logs();
    for (int j = 0; j < s_.lanes; ++j) {
      ax::AxiSignals& sg = sig_[static_cast<std::size_t>(j)];
      axi_->drive(j, sg);
      put_bits(top_.ar_ready, j, 1, sg.arready ? 1 : 0);
      put_bits(top_.r_valid, j, 1, sg.rvalid ? 1 : 0);
      put_bits(top_.r_last, j, 1, sg.rlast ? 1 : 0);
      if (sg.rvalid) {
        put_lane(top_.r_data, j, sg.rdata);
      } else {
        junk_lane(top_.r_data, j, rng_);
      }
    }
    top_.take = 0;
    put_bits(top_.pos_rd_first, 0, iw, rng_());   // junk until a take
    const int groups = (s_.n_max + s_.p_sel - 1) / s_.p_sel;
    const int group = static_cast<int>(rng_() % static_cast<unsigned>(groups + 1));   // one past the last too
    put_bits(top_.ids_rd_group, 0, clog2(groups + 1), static_cast<std::uint64_t>(group));
    const bool ids_en = rng_() % 8 != 0;
    top_.ids_rd_en = ids_en ? 1 : 0;
    top_.eval();
    // (5) the live ids by position; 0 while not enabled
    for (int l = 0; l < s_.p_sel && !ids_en; ++l) {
      if (get_bits(top_.ids_rd, 32 * l, 32) != 0) fail("ids_rd lane " + std::to_string(l) + " not 0 while ids_rd_en is low");
    }
    for (int l = 0; l < s_.p_sel && ids_en; ++l) {
      const int q = group * s_.p_sel + l;
      if (q >= ids_known_) break;
      const auto rtl_id = static_cast<int>(get_bits(top_.ids_rd, 32 * l, 32));
      const int want = (*ids_tokens_)[static_cast<std::size_t>(q)];
      if (rtl_id != want)
        fail("ids_rd group " + std::to_string(group) + " lane " + std::to_string(l) + " (position " +
             std::to_string(q) + "): " + std::to_string(rtl_id) + ", the last live run's id " + std::to_string(want));
      ++stats.ids_checked;
    }
    // (2) registered outputs
    const auto delivered = static_cast<int>(get_bits(top_.delivered, 0, iw));
    if (delivered != exp_delivered_)
      fail("delivered " + std::to_string(delivered) + ", expected " + std::to_string(exp_delivered_) +
           (cur_ && now_ > cur_start_ ? " (rows the cycle model pushed to rows() up to the previous cycle)"
                                      : " (the previous run's count, or 0 after a reset)"));
    if ((top_.busy != 0) != exp_busy_)
      fail(std::string("busy ") + (top_.busy != 0 ? "1" : "0") + ", expected " + (exp_busy_ ? "1" : "0") +
           " (the cycle model's !done() after the previous cycle)");
    // the cycle model's cycle
    fetch_->tick(now_);
    // the consumer: (4) positions of the rows taken
    const int taken_before = taken_;
    int k = 0;
    if (running() && now_ > cur_start_) {
      const int want = cur_->consumer.want(rng_, s_.rows, static_cast<int>(now_ - cur_start_));
      k = std::min(want, delivered - taken_);
      if (delivered - taken_ == s_.buf_rows) ++stats.buffer_full_cycles;
    }
    if (k > 0) {
      std::vector<int> cm_pos(static_cast<std::size_t>(k));
      for (int q = 0; q < k; ++q) {
        if (!fetch_->rows().can_pop(now_))
          fail("the consumer takes row " + std::to_string(taken_ + q) + ": the RTL has it (delivered " +
               std::to_string(delivered) + "), the cycle model's rows() has no row valid");
        cm_pos[static_cast<std::size_t>(q)] = fetch_->rows().pop(now_);
      }
      put_bits(top_.pos_rd_first, 0, iw, static_cast<std::uint64_t>(taken_));
      put_bits(top_.take, 0, clog2(s_.rows + 1), static_cast<std::uint64_t>(k));
      top_.eval();
      for (int q = 0; q < k; ++q) {
        const int i = taken_ + q;
        const auto rtl_pos = static_cast<int>(get_bits(top_.pos_rd, q * iw, iw));
        const int cm = cm_pos[static_cast<std::size_t>(q)];
        if (rtl_pos != cm || cm != cur_->pos(i))
          fail("row " + std::to_string(i) + " taken (read port " + std::to_string(q) + "): pos_rd " +
               std::to_string(rtl_pos) + ", the cycle model's position " + std::to_string(cm) + ", the run's " +
               std::to_string(cur_->pos(i)));
        check_taken(i);
      }
      taken_ += k;
      last_take_ = now_;
      has_last_take_ = true;
      if (taken_ == cur_->count) {
        if (cur_->fetch_live) {
          ids_known_ = cur_->count;
          ids_tokens_ = cur_->tokens;
        }
        const long want_beats = static_cast<long>(cur_->count) * cur_->planes() * cur_->row_beats;
        if (run_beats_ != want_beats)
          fail("the run's last row taken after " + std::to_string(run_beats_) + " plane beats, expected " +
               std::to_string(want_beats));
      }
    }
    // (3) plane beats; AXI outputs to the memory
    const auto bw_valid = get_bits(top_.bw_valid, 0, s_.lanes);
    for (int j = 0; j < s_.lanes; ++j) {
      ax::AxiSignals& sg = sig_[static_cast<std::size_t>(j)];
      if (((bw_valid >> j) & 1u) != 0) {
        if (!cur_) fail("a plane beat on lane " + std::to_string(j) + " before any run");
        check_beat(j, taken_before, delivered);
      }
      sg.arvalid = get_bits(top_.ar_valid, j, 1) != 0;
      sg.araddr = get_bits(top_.ar_addr, 64 * j, 64);
      sg.arlen = static_cast<std::uint8_t>(get_bits(top_.ar_len, 8 * j, 8));
      sg.arsize = 5;
      sg.arburst = ax::kAxiBurstIncr;
      sg.rready = get_bits(top_.r_ready, j, 1) != 0;
      axi_->sample(j, sg);
    }
    dut_.edge();
    if (cur_) {
      exp_delivered_ = static_cast<int>(fetch_->rows().pushes() - base_pushes_);
      exp_busy_ = !fetch_->done();
    } else {
      exp_busy_ = false;
    }
    ++now_;
  }

  const Set& s_;
  std::uint64_t base_seed_, seed_;
  std::mt19937_64 rng_;
  cosim::Dut<Model> dut_;
  Model& top_;
  std::vector<ShadowBeat> shadow_;
  long shadow_live_ = 0;
  std::shared_ptr<const std::vector<int>> live_;  // the ids of the last live run
  // (5): positions 0 .. ids_known_-1 of ids_tokens_ are in the live-id memory
  int ids_known_ = 0;
  std::shared_ptr<const std::vector<int>> ids_tokens_;
  int runs_made_ = 0;
  // the segment
  std::string cfg_str_;
  std::unique_ptr<ax::AxiMemory> axi_;
  std::unique_ptr<c::HbmMemory> cmem_;
  std::unique_ptr<c::RowFetcher> fetch_;
  std::vector<c::LoggedRequest> rlog_, clog_;
  std::size_t log_checked_ = 0;
  std::vector<ax::AxiSignals> sig_;
  c::Cycle now_ = 0;
  int runs_left_ = 0;
  // the current (last started) run and the next one
  std::unique_ptr<Run> cur_, pending_;
  std::size_t sel_next_ = 0;
  bool sel_overlap_used_ = false;
  c::Cycle cur_start_ = 0, last_take_ = 0, run_limit_ = 0;
  bool has_last_take_ = false;
  int taken_ = 0;
  long run_beats_ = 0;
  std::uint64_t base_pushes_ = 0;
  int exp_delivered_ = 0;
  bool exp_busy_ = false;
};

template <class Model>
void run_set(const Set& s, int min_runs) {
  const std::uint64_t base_seed = spatten::test::test_seed();
  const std::uint64_t seed = base_seed ^ (std::hash<std::string>{}(s.name) & 0xffffu);
  std::cout << "[ unit     ] " << s.name << " LANES=" << s.lanes << " BUF_ROWS=" << s.buf_rows << " MAX_OUT=" << s.max_out
            << " N_MAX=" << s.n_max << " MAX_ROW_BEATS=" << s.max_row_beats << " ROWS=" << s.rows << " P_SEL=" << s.p_sel
            << " (set seed " << seed << ")\n";
  const auto t0 = std::chrono::steady_clock::now();
  FetcherBench<Model> bench(s, base_seed, seed);
  try {
    bench.run(min_runs / kRunDivisor);
  } catch (const Divergence& e) {
    ADD_FAILURE() << e.what();
  } catch (const std::exception& e) {  // AxiError (an AXI protocol error), a FIFO misuse
    ADD_FAILURE() << s.name << " SPATTEN_SEED=" << base_seed << " (set seed " << seed << "), after "
                  << bench.stats.runs << " runs: " << e.what();
  }
  EXPECT_GT(bench.stats.ids_checked, 0) << s.name << ": the ids_rd check never ran";
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Stats& st = bench.stats;
  std::cout << "[ unit     ] " << s.name << ": " << st.runs << " runs (" << st.live_runs << " live, " << st.refetch_runs
            << " refetch, " << st.sel_runs << " use_sel, " << st.two_plane_runs << " two-plane; " << st.junk_sel
            << " after junk sel writes), " << st.rows << " rows (max count " << st.max_count << "), " << st.beats
            << " plane beats, " << st.requests << " DRAM requests, " << st.cycles << " cycles in " << st.segments
            << " segments (" << st.jitter_segments << " with jitter), " << st.resets << " resets; " << st.back_to_back
            << " back-to-back starts, " << st.sel_overlapped << " sel lists written during the previous run, "
            << st.buffer_full_cycles << " cycles with BUF_ROWS rows complete and not taken, " << st.ids_checked
            << " ids checked on ids_rd; " << std::fixed
            << std::setprecision(1) << secs << " s\n";
}

}  // namespace

TEST(RowFetcherRtl, OneLaneThreeRowBufferTwoOutstanding) { run_set<Vrow_fetcher_l1_b3_o2>(kL1B3, 3000); }
TEST(RowFetcherRtl, ThreeLanesSevenRowBuffer) { run_set<Vrow_fetcher_l3_b7_o5>(kL3B7, 3000); }
TEST(RowFetcherRtl, FourLanesFourReadPorts) { run_set<Vrow_fetcher_l4_b64_o16>(kL4B64, 3000); }
// long rows (up to N_MAX = 4096): 400 runs are about 12 million cycles
TEST(RowFetcherRtl, Spatten18Fetcher) { run_set<Vrow_fetcher_l2_b1024_o128>(kL2B1024, 400); }
TEST(RowFetcherRtl, OneRowBufferOneOutstanding) { run_set<Vrow_fetcher_l2_b1_o1>(kL2B1, 3000); }
