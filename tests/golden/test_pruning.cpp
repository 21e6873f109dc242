// Policy primitives of the golden model: keep rules (pruning.h), the cascade
// token and head pruning decisions (pruning.h), the importance accumulators
// (importance.h) and the progressive-quantization decision (requant.h).
//
// Hand-worked examples check the specified numbers exactly; random inputs are
// checked against a brute-force std::sort implementation written here, plus the
// defining properties (subset, order, size, protection, importance order).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "golden_test_configs.h"
#include "spatten/importance.h"
#include "spatten/pruning.h"
#include "spatten/requant.h"
#include "spatten/topk.h"
#include "spatten_test_seed.h"

namespace {

namespace g = spatten::golden;
using g::KeepKind;
using g::KeepRule;

// ---------------------------------------------------------------------------
// Brute-force references
// ---------------------------------------------------------------------------

bool is_protected_ref(int t, int context_len, int sinks, int recent) {
  if (t < sinks) {
    return true;
  }
  if (t >= context_len - recent) {
    return true;
  }
  return t == context_len - 1;
}

/// "a is more important than b": higher importance, ties -> lower id.
bool better(const std::vector<std::uint64_t>& imp, int a, int b) {
  const auto ia = imp[static_cast<std::size_t>(a)];
  const auto ib = imp[static_cast<std::size_t>(b)];
  return ia != ib ? ia > ib : a < b;
}

std::vector<int> brute_prune_tokens(const std::vector<int>& live, const std::vector<std::uint64_t>& imp, int keep,
                                    int context_len, int sinks, int recent) {
  const int n = static_cast<int>(live.size());
  if (keep >= n) {
    return live;
  }
  std::vector<int> out;
  std::vector<int> cand;
  for (int t : live) {
    if (is_protected_ref(t, context_len, sinks, recent)) {
      out.push_back(t);
    } else {
      cand.push_back(t);
    }
  }
  std::sort(cand.begin(), cand.end(), [&](int a, int b) { return better(imp, a, b); });
  int k = keep - static_cast<int>(out.size());
  k = std::clamp(k, 0, static_cast<int>(cand.size()));
  out.insert(out.end(), cand.begin(), cand.begin() + k);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> brute_prune_heads(const std::vector<int>& live, const std::vector<std::uint64_t>& imp, int keep) {
  std::vector<int> v = live;
  std::sort(v.begin(), v.end(), [&](int a, int b) { return better(imp, a, b); });
  const int k = std::clamp(keep, 0, static_cast<int>(v.size()));
  v.resize(static_cast<std::size_t>(k));
  std::sort(v.begin(), v.end());
  return v;
}

template <int MAX>
std::vector<int> run_prune_tokens(const std::vector<int>& live, const std::vector<std::uint64_t>& imp, int keep,
                                  int context_len, int sinks, int recent, g::TokenPruneScratch<MAX>& scratch,
                                  g::TopkStats* stats = nullptr) {
  std::vector<int> out(live.size() + 1, -7);
  const g::TokenPruneParams p{keep, context_len, sinks, recent};
  const int n =
      g::prune_tokens<MAX>(live.data(), static_cast<int>(live.size()), imp.data(), p, out.data(), scratch, stats);
  EXPECT_GE(n, 0);
  EXPECT_LE(n, static_cast<int>(live.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

template <int MAX>
std::vector<int> run_prune_heads(const std::vector<int>& live, const std::vector<std::uint64_t>& imp, int keep,
                                 g::TopkScratch<std::uint64_t, MAX>& scratch, g::TopkStats* stats = nullptr) {
  std::vector<int> out(live.size() + 1, -7);
  const int n =
      g::prune_heads<MAX>(live.data(), static_cast<int>(live.size()), imp.data(), keep, out.data(), scratch, stats);
  EXPECT_GE(n, 0);
  EXPECT_LE(n, static_cast<int>(live.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

std::uint32_t ratio_q16(double r) { return static_cast<std::uint32_t>(std::lround(r * 65536.0)); }

// ---------------------------------------------------------------------------
// resolve_keep / value_keep_count
// ---------------------------------------------------------------------------

TEST(KeepRule, FactoriesAndDefaults) {
  // constexpr-usable (the HLS flow needs it); checked at run time so that a
  // regression fails this test instead of the build
  constexpr KeepRule a = KeepRule::all();
  EXPECT_EQ(a.kind, KeepKind::kAll);
  constexpr KeepRule c = KeepRule::of_count(7);
  EXPECT_EQ(c.kind, KeepKind::kCount);
  EXPECT_EQ(c.count, 7);
  constexpr KeepRule r = KeepRule::of_ratio(123);
  EXPECT_EQ(r.kind, KeepKind::kRatio);
  EXPECT_EQ(r.ratio_q16, 123u);
  const KeepRule d{};
  EXPECT_EQ(d.kind, KeepKind::kAll);
  EXPECT_EQ(d.ratio_q16, 65536u);
  EXPECT_EQ(d.count, 0);
}

TEST(ResolveKeep, OfficialTraceRatios) {
  // ratio_q16 = round(r * 65536)
  EXPECT_EQ(ratio_q16(0.9), 58982u);
  EXPECT_EQ(ratio_q16(0.7), 45875u);
  EXPECT_EQ(ratio_q16(0.2), 13107u);
  EXPECT_EQ(ratio_q16(0.1), 6554u);
  // GPT-2 small per8: keys kept per layer out of a 1024 reference
  const int avail = 1024 + 31;  // context grows past the reference during decode
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.9)), avail, 1024), 921);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.7)), avail, 1024), 716);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.2)), avail, 1024), 204);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.1)), avail, 1024), 102);
  // ... and values at 20% of the keys
  const KeepRule v = KeepRule::of_ratio(ratio_q16(0.2));
  EXPECT_EQ(g::value_keep_count(v, 921), 184);
  EXPECT_EQ(g::value_keep_count(v, 716), 143);
  EXPECT_EQ(g::value_keep_count(v, 204), 40);
  EXPECT_EQ(g::value_keep_count(v, 102), 20);
  constexpr int ce_keep = g::resolve_keep(KeepRule::of_ratio(58982), 2000, 1024);
  constexpr int ce_value = g::value_keep_count(KeepRule::of_ratio(13107), 921);
  EXPECT_EQ(ce_keep, 921);
  EXPECT_EQ(ce_value, 184);
}

TEST(ResolveKeep, AllKeepsAvailable) {
  EXPECT_EQ(g::resolve_keep(KeepRule::all(), 17, 1024), 17);
  EXPECT_EQ(g::resolve_keep(KeepRule::all(), 17, 3), 17);
  EXPECT_EQ(g::resolve_keep(KeepRule::all(), 0, 5), 0);
  EXPECT_EQ(g::resolve_keep(KeepRule::all(), 2048, 0), 2048);
  // kAll ignores the count and ratio fields
  KeepRule odd{KeepKind::kAll, 3, 2};
  EXPECT_EQ(g::resolve_keep(odd, 40, 40), 40);
}

TEST(ResolveKeep, CountRulesClamp) {
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(5), 10, 1024), 5);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(10), 10, 1024), 10);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(11), 10, 1024), 10);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(1 << 30), 10, 1024), 10);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(0), 10, 1024), 0);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(-3), 10, 1024), 0);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(std::numeric_limits<std::int32_t>::min()), 10, 1024), 0);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(4), 0, 1024), 0);
  // a count rule ignores the reference
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(7), 100, 1), 7);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_count(7), 100, 0), 7);
}

TEST(ResolveKeep, RatioRulesFloorAndClamp) {
  // floor(ratio_q16 * reference / 2^16)
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(32768), 100, 3), 1);  // 1.5 -> 1
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(32768), 100, 4), 2);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(1), 100000, 65535), 0);  // 0.99998 -> 0
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(1), 100000, 65536), 1);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(65535), 100000, 65536), 65535);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(0), 100, 1024), 0);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.9)), 100, 0), 0);
  // ratio 1.0 keeps the reference, clamped to what is available
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(65536), 2000, 1024), 1024);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(65536), 500, 1024), 500);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.9)), 800, 1024), 800);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(65536), 1 << 20, 1 << 20), 1 << 20);
  // the reference, not the available count, is what the ratio applies to
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.5)), 900, 1000), 500);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.5)), 900, 100), 50);
  // exhaustive against the formula on a grid
  for (std::uint32_t r : {0u, 1u, 6554u, 13107u, 32767u, 32768u, 45875u, 58982u, 65535u, 65536u}) {
    for (int ref : {0, 1, 2, 3, 7, 64, 100, 1000, 1024, 2047, 2048, 32768, 1 << 20}) {
      for (int avail : {0, 1, 5, 100, 921, 1024, 4096, 1 << 20}) {
        const std::int64_t raw =
            static_cast<std::int64_t>((std::uint64_t{r} * static_cast<std::uint64_t>(ref)) / 65536u);
        const int expected = static_cast<int>(std::min<std::int64_t>(raw, avail));
        EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(r), avail, ref), expected) << r << " " << ref << " " << avail;
      }
    }
  }
}

TEST(ResolveKeep, Q16RatiosFloorBelowTheDecimalProduct) {
  // Specified behaviour worth knowing: ratio_q16 = round(r * 65536) is below
  // r * 65536 for 0.9, 0.7, 0.4, 0.2 (58982, 45875, 26214, 13107), so when
  // r * reference is an exact integer the floor gives one less (references
  // that are powers of two, like the trace's 1024, are exact).
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.7)), 100, 10), 6);       // not 7
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.4)), 100, 40), 15);      // not 16
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.2)), 100, 5), 0);        // not 1
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.2)), 2000, 1000), 199);  // not 200
  // 0.1 rounds up (6553.6 -> 6554): exact here
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.1)), 100, 10), 1);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.9)), 100, 10), 8);  // 58982 * 10 / 2^16 = 8.99997
  // powers of two (the trace's 1024) are exact
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.5)), 2000, 1024), 512);
  EXPECT_EQ(g::resolve_keep(KeepRule::of_ratio(ratio_q16(0.25)), 2000, 1000), 250);
}

TEST(ValueKeepCount, AtLeastOneAndClamped) {
  EXPECT_EQ(g::value_keep_count(KeepRule::all(), 1), 1);
  EXPECT_EQ(g::value_keep_count(KeepRule::all(), 77), 77);
  EXPECT_EQ(g::value_keep_count(KeepRule::all(), 0), 0);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_count(0), 50), 1);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_count(-4), 50), 1);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_count(8), 50), 8);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_count(8), 5), 5);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_count(8), 0), 0);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_ratio(0), 50), 1);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_ratio(0), 0), 0);
  // 20% of small rows floors to 0 and is raised to 1
  const KeepRule v = KeepRule::of_ratio(ratio_q16(0.2));
  EXPECT_EQ(g::value_keep_count(v, 1), 1);
  EXPECT_EQ(g::value_keep_count(v, 4), 1);   // 0.8 -> 0 -> 1
  EXPECT_EQ(g::value_keep_count(v, 5), 1);   // 13107*5/65536 = 0.99998 -> 0 -> 1
  EXPECT_EQ(g::value_keep_count(v, 6), 1);   // 1.2 -> 1
  EXPECT_EQ(g::value_keep_count(v, 10), 1);  // 1.99997 -> 1
  EXPECT_EQ(g::value_keep_count(v, 11), 2);
  EXPECT_EQ(g::value_keep_count(KeepRule::of_ratio(65536), 33), 33);
  for (int n = 1; n <= 300; ++n) {
    const int raw = static_cast<int>((13107u * static_cast<std::uint32_t>(n)) >> 16);
    EXPECT_EQ(g::value_keep_count(v, n), std::max(raw, 1)) << n;
  }
}

// ---------------------------------------------------------------------------
// token_protected
// ---------------------------------------------------------------------------

TEST(TokenProtected, SinkRecentNewest) {
  // context 10, sinks 2, recent 3: {0,1} and {7,8,9}
  for (int t = 0; t < 10; ++t) {
    const bool expected = t <= 1 || t >= 7;
    EXPECT_EQ(g::token_protected(t, 10, 2, 3), expected) << t;
  }
  // recent 0: only the newest of the tail
  for (int t = 0; t < 10; ++t) {
    EXPECT_EQ(g::token_protected(t, 10, 2, 0), t <= 1 || t == 9) << t;
  }
  // nothing configured: only the newest token
  for (int t = 0; t < 10; ++t) {
    EXPECT_EQ(g::token_protected(t, 10, 0, 0), t == 9) << t;
  }
  // windows covering everything
  for (int t = 0; t < 10; ++t) {
    EXPECT_TRUE(g::token_protected(t, 10, 10, 0));
    EXPECT_TRUE(g::token_protected(t, 10, 0, 10));
    EXPECT_TRUE(g::token_protected(t, 10, 0, 50));
  }
}

// ---------------------------------------------------------------------------
// prune_tokens: hand-worked examples
// ---------------------------------------------------------------------------

class PruneTokensHand : public ::testing::Test {
 protected:
  // context_len 13, live tokens (10 of them):
  //   id:          0  1  3  4  5  7  8  9  11  12
  //   importance:  0  0  5  9  7  7  2  7  0   0
  // sinks 2 -> {0,1}; recent 3 -> ids >= 10 -> {11,12} live (10 is not live).
  // Non-live tokens 2, 6, 10 carry huge importance: they must never come back.
  std::vector<int> live{0, 1, 3, 4, 5, 7, 8, 9, 11, 12};
  std::vector<std::uint64_t> imp{0, 0, 1000, 5, 9, 7, 1000, 7, 2, 7, 1000, 0, 0};
  std::unique_ptr<g::TokenPruneScratch<64>> scratch = std::make_unique<g::TokenPruneScratch<64>>();

  std::vector<int> prune(int keep, int sinks = 2, int recent = 3, g::TopkStats* st = nullptr) {
    return run_prune_tokens<64>(live, imp, keep, 13, sinks, recent, *scratch, st);
  }
};

TEST_F(PruneTokensHand, KeepSix) {
  // 4 protected + top-2 of {3:5, 4:9, 5:7, 7:7, 8:2, 9:7}: 4 (9), then the
  // earliest of the three 7s: 5.
  EXPECT_EQ(prune(6), (std::vector<int>{0, 1, 4, 5, 11, 12}));
}

TEST_F(PruneTokensHand, TiesGoToEarlierToken) {
  EXPECT_EQ(prune(7), (std::vector<int>{0, 1, 4, 5, 7, 11, 12}));
  EXPECT_EQ(prune(8), (std::vector<int>{0, 1, 4, 5, 7, 9, 11, 12}));
  EXPECT_EQ(prune(9), (std::vector<int>{0, 1, 3, 4, 5, 7, 9, 11, 12}));  // drops 8 (importance 2)
  EXPECT_EQ(prune(5), (std::vector<int>{0, 1, 4, 11, 12}));
}

TEST_F(PruneTokensHand, KeepAtMostProtectedKeepsOnlyProtected) {
  const std::vector<int> prot{0, 1, 11, 12};
  EXPECT_EQ(prune(4), prot);
  EXPECT_EQ(prune(3), prot);
  EXPECT_EQ(prune(1), prot);
  EXPECT_EQ(prune(0), prot);
  EXPECT_EQ(prune(-5), prot);
}

TEST_F(PruneTokensHand, KeepAtLeastNKeepsAll) {
  EXPECT_EQ(prune(10), live);
  EXPECT_EQ(prune(11), live);
  EXPECT_EQ(prune(1 << 20), live);
  // even with nothing protected
  EXPECT_EQ(prune(10, 0, 0), live);
}

TEST_F(PruneTokensHand, NoProtection) {
  // sinks 0, recent 0: only the newest (12) is protected.
  // candidates 0:0 1:0 3:5 4:9 5:7 7:7 8:2 9:7 11:0
  EXPECT_EQ(prune(1, 0, 0), (std::vector<int>{12}));
  EXPECT_EQ(prune(2, 0, 0), (std::vector<int>{4, 12}));
  EXPECT_EQ(prune(4, 0, 0), (std::vector<int>{4, 5, 7, 12}));
  EXPECT_EQ(prune(7, 0, 0), (std::vector<int>{3, 4, 5, 7, 8, 9, 12}));
  // the zero-importance tokens 0, 1, 11 tie; the earliest wins
  EXPECT_EQ(prune(8, 0, 0), (std::vector<int>{0, 3, 4, 5, 7, 8, 9, 12}));
  EXPECT_EQ(prune(9, 0, 0), (std::vector<int>{0, 1, 3, 4, 5, 7, 8, 9, 12}));
}

TEST_F(PruneTokensHand, NewestAlwaysKeptWithZeroRecent) {
  // The newest token has the lowest importance and recent == 0: still kept.
  imp[12] = 0;
  EXPECT_EQ(prune(1, 0, 0), (std::vector<int>{12}));
  EXPECT_EQ(prune(0, 0, 0), (std::vector<int>{12}));
  EXPECT_EQ(prune(3, 2, 0), (std::vector<int>{0, 1, 12}));
  EXPECT_EQ(prune(4, 2, 0), (std::vector<int>{0, 1, 4, 12}));
}

TEST_F(PruneTokensHand, NewestNotLiveIsNotResurrected) {
  // A list without the newest token: its id is protected, but only live
  // tokens are candidates, so nothing is added.
  live = {0, 3, 4, 5, 7};
  EXPECT_EQ(prune(2, 1, 0), (std::vector<int>{0, 4}));
  EXPECT_EQ(prune(0, 0, 0), (std::vector<int>{}));
}

TEST_F(PruneTokensHand, RecentWindowBoundary) {
  // recent 4 -> ids >= 9 protected: 9 (importance 7), 11, 12
  EXPECT_EQ(prune(5, 2, 4), (std::vector<int>{0, 1, 9, 11, 12}));
  EXPECT_EQ(prune(6, 2, 4), (std::vector<int>{0, 1, 4, 9, 11, 12}));
  // recent 6 -> ids >= 7 protected: 7, 8, 9, 11, 12
  EXPECT_EQ(prune(7, 2, 6), (std::vector<int>{0, 1, 7, 8, 9, 11, 12}));
  EXPECT_EQ(prune(8, 2, 6), (std::vector<int>{0, 1, 4, 7, 8, 9, 11, 12}));
}

TEST_F(PruneTokensHand, AliasingInPlace) {
  for (int keep : {-1, 0, 4, 5, 6, 7, 9, 10, 12}) {
    const std::vector<int> expected = brute_prune_tokens(live, imp, keep, 13, 2, 3);
    std::vector<int> buf = live;
    const g::TokenPruneParams p{keep, 13, 2, 3};
    const int n = g::prune_tokens<64>(buf.data(), static_cast<int>(buf.size()), imp.data(), p, buf.data(), *scratch);
    ASSERT_EQ(n, static_cast<int>(expected.size())) << keep;
    buf.resize(static_cast<std::size_t>(n));
    EXPECT_EQ(buf, expected) << keep;
  }
}

TEST_F(PruneTokensHand, StatsReportTheTopk) {
  g::TopkStats st;
  st.passes = 99;
  st.streamed = 99;
  prune(10, 2, 3, &st);  // keep >= n: no top-k runs
  EXPECT_EQ(st.passes, 0);
  EXPECT_EQ(st.streamed, 0u);
  st.passes = 99;
  st.streamed = 99;
  prune(3, 2, 3, &st);  // keep <= #protected: top-0
  EXPECT_EQ(st.passes, 0);
  EXPECT_EQ(st.streamed, 0u);
  // real decision: the engine runs on the 6 candidates
  prune(6, 2, 3, &st);
  std::vector<std::uint64_t> cand{5, 9, 7, 7, 2, 7};
  g::TopkScratch<std::uint64_t, 64> ts;
  int sel[64];
  g::TopkStats ref;
  g::topk_quickselect<std::uint64_t, 64>(cand.data(), 6, 2, sel, ts, &ref);
  EXPECT_GE(st.passes, 1);
  EXPECT_EQ(st.passes, ref.passes);
  EXPECT_EQ(st.streamed, ref.streamed);
  EXPECT_GE(st.streamed, 6u);
}

TEST(PruneTokens, EmptyAndSingle) {
  auto scratch = std::make_unique<g::TokenPruneScratch<16>>();
  std::vector<std::uint64_t> imp(8, 1);
  EXPECT_EQ(run_prune_tokens<16>({}, imp, 0, 8, 0, 0, *scratch), std::vector<int>{});
  EXPECT_EQ(run_prune_tokens<16>({}, imp, -1, 8, 0, 0, *scratch), std::vector<int>{});
  EXPECT_EQ(run_prune_tokens<16>({}, imp, 3, 8, 0, 0, *scratch), std::vector<int>{});
  EXPECT_EQ(run_prune_tokens<16>({7}, imp, 0, 8, 0, 0, *scratch), std::vector<int>{7});  // newest
  EXPECT_EQ(run_prune_tokens<16>({3}, imp, 0, 8, 0, 0, *scratch), std::vector<int>{});   // unprotected
  EXPECT_EQ(run_prune_tokens<16>({3}, imp, 1, 8, 0, 0, *scratch), std::vector<int>{3});
  EXPECT_EQ(run_prune_tokens<16>({3}, imp, 0, 8, 4, 0, *scratch), std::vector<int>{3});  // sink
}

TEST(PruneTokens, FullMaxSizedList) {
  // n == MAX, every importance distinct and decreasing with id except a block
  // of equal ones.
  constexpr int kMax = 2048;
  auto scratch = std::make_unique<g::TokenPruneScratch<kMax>>();
  std::vector<int> live(kMax);
  std::vector<std::uint64_t> imp(kMax);
  for (int i = 0; i < kMax; ++i) {
    live[static_cast<std::size_t>(i)] = i;
    imp[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(kMax - i);
  }
  for (int i = 1000; i < 1100; ++i) {
    imp[static_cast<std::size_t>(i)] = 5000;  // ties, above every other
  }
  // sinks 4, recent 16 -> 20 protected; keep 120 -> 100 unprotected = the tie block
  const auto out = run_prune_tokens<kMax>(live, imp, 120, kMax, 4, 16, *scratch);
  std::vector<int> expected{0, 1, 2, 3};
  for (int i = 1000; i < 1100; ++i) {
    expected.push_back(i);
  }
  for (int i = kMax - 16; i < kMax; ++i) {
    expected.push_back(i);
  }
  EXPECT_EQ(out, expected);
  // keep 70 -> the first 50 of the tie block
  const auto out2 = run_prune_tokens<kMax>(live, imp, 70, kMax, 4, 16, *scratch);
  std::vector<int> expected2{0, 1, 2, 3};
  for (int i = 1000; i < 1050; ++i) {
    expected2.push_back(i);
  }
  for (int i = kMax - 16; i < kMax; ++i) {
    expected2.push_back(i);
  }
  EXPECT_EQ(out2, expected2);
  // keep 125 -> tie block + the five best others (ids 4..8)
  const auto out3 = run_prune_tokens<kMax>(live, imp, 125, kMax, 4, 16, *scratch);
  std::vector<int> expected3{0, 1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 1000; i < 1100; ++i) {
    expected3.push_back(i);
  }
  for (int i = kMax - 16; i < kMax; ++i) {
    expected3.push_back(i);
  }
  EXPECT_EQ(out3, expected3);
}

// ---------------------------------------------------------------------------
// prune_tokens: properties on random inputs
// ---------------------------------------------------------------------------

TEST(PruneTokens, RandomPropertiesAndBruteForce) {
  constexpr int kMax = 2048;
  auto scratch = std::make_unique<g::TokenPruneScratch<kMax>>();
  const std::uint64_t base = spatten::test::test_seed();
  int checked_prunes = 0;
  for (std::uint64_t seed_ofs = 0; seed_ofs < 4; ++seed_ofs) {
    std::mt19937_64 rng(base + seed_ofs);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int trial = 0; trial < 60; ++trial) {
      const int context_len = trial % 7 == 0 ? uni(1, 40) : uni(1, kMax);
      // random live subset with a random density; sometimes all, sometimes
      // without the newest token
      const double density = std::uniform_real_distribution<double>(0.02, 1.0)(rng);
      std::vector<int> live;
      for (int t = 0; t < context_len; ++t) {
        if (trial % 5 == 0 || std::bernoulli_distribution(density)(rng)) {
          live.push_back(t);
        }
      }
      if (trial % 3 != 0 && (live.empty() || live.back() != context_len - 1)) {
        live.push_back(context_len - 1);
      }
      const int n = static_cast<int>(live.size());
      std::vector<std::uint64_t> imp(static_cast<std::size_t>(context_len));
      const int mode = trial % 4;
      for (auto& x : imp) {
        if (mode == 0) {
          x = static_cast<std::uint64_t>(uni(0, 3));  // heavy ties
        }
        if (mode == 1) {
          x = rng();  // full 64-bit range
        }
        if (mode == 2) {
          x = std::uniform_int_distribution<std::uint64_t>(0, std::uint64_t{1} << 40)(rng);
        }
        if (mode == 3) {
          x = static_cast<std::uint64_t>(uni(0, 1)) ? std::numeric_limits<std::uint64_t>::max() : 0u;
        }
      }
      const int sinks = trial % 6 == 0 ? 0 : uni(0, 12);
      const int recent = trial % 4 == 1 ? 0 : uni(0, 40);
      const int keep = uni(-2, n + 3);

      g::TopkStats st;
      const auto out = run_prune_tokens<kMax>(live, imp, keep, context_len, sinks, recent, *scratch, &st);

      int n_prot = 0;
      for (int t : live) {
        n_prot += is_protected_ref(t, context_len, sinks, recent) ? 1 : 0;
      }
      const int expected_size = keep >= n ? n : std::max(std::max(keep, 0), n_prot);
      SCOPED_TRACE(::testing::Message() << "seed+" << seed_ofs << " trial " << trial << " ctx " << context_len << " n "
                                        << n << " keep " << keep << " sinks " << sinks << " recent " << recent);
      ASSERT_EQ(static_cast<int>(out.size()), expected_size);
      // ascending and a subset of live
      ASSERT_TRUE(std::is_sorted(out.begin(), out.end()));
      ASSERT_TRUE(std::adjacent_find(out.begin(), out.end()) == out.end());
      ASSERT_TRUE(std::includes(live.begin(), live.end(), out.begin(), out.end()));
      // every protected live token kept; unprotected kept beat unprotected dropped
      int worst_kept = -1;
      int best_dropped = -1;
      std::size_t j = 0;
      for (int t : live) {
        const bool kept = j < out.size() && out[j] == t;
        if (kept) {
          ++j;
        }
        if (is_protected_ref(t, context_len, sinks, recent)) {
          ASSERT_TRUE(kept) << "protected token " << t << " dropped";
          continue;
        }
        if (kept && (worst_kept < 0 || better(imp, worst_kept, t))) {
          worst_kept = t;
        }
        if (!kept && (best_dropped < 0 || better(imp, t, best_dropped))) {
          best_dropped = t;
        }
      }
      if (worst_kept >= 0 && best_dropped >= 0) {
        ASSERT_TRUE(better(imp, worst_kept, best_dropped))
            << "kept " << worst_kept << " (" << imp[static_cast<std::size_t>(worst_kept)] << ") dropped "
            << best_dropped << " (" << imp[static_cast<std::size_t>(best_dropped)] << ")";
      }
      // brute force
      ASSERT_EQ(out, brute_prune_tokens(live, imp, keep, context_len, sinks, recent));
      // in place gives the same
      std::vector<int> buf = live;
      const g::TokenPruneParams p{keep, context_len, sinks, recent};
      const int n2 = g::prune_tokens<kMax>(buf.data(), n, imp.data(), p, buf.data(), *scratch);
      buf.resize(static_cast<std::size_t>(n2));
      ASSERT_EQ(buf, out);
      if (keep < n && keep > n_prot) {
        ++checked_prunes;
      }
      if (keep >= n) {
        EXPECT_EQ(st.passes, 0);
      }
    }
  }
  EXPECT_GT(checked_prunes, 100);  // the sweep really exercised the top-k path
}

// The kernel's importance memory (ImportanceMemory): ids beyond its capacity
// read 0 in a decision and take no adds, the same as a longer memory whose
// words past the capacity stay 0.
TEST(PruneTokens, ImportanceMemoryReadsZeroBeyondItsCapacity) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  constexpr int kCap = 40, kIds = 64, kMax = 64;
  auto scratch = std::make_unique<g::TokenPruneScratch<kMax>>();
  int checked = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<std::uint64_t> words(kCap), padded(kIds, 0);
    for (int t = 0; t < kCap; ++t) padded[static_cast<std::size_t>(t)] = words[static_cast<std::size_t>(t)] = rng() % 9;
    std::vector<int> live;
    for (int t = 0; t < kIds; ++t)
      if (rng() % 3 != 0) live.push_back(t);
    if (live.empty()) live.push_back(kIds - 1);
    const int n = static_cast<int>(live.size());
    const int keep = static_cast<int>(rng() % static_cast<std::uint64_t>(n + 1));
    const int sinks = static_cast<int>(rng() % 4), recent = static_cast<int>(rng() % 4);
    // accumulate: the adds past the capacity are dropped
    std::vector<std::uint32_t> prob(live.size());
    for (auto& p : prob) p = static_cast<std::uint32_t>(rng() % 5);
    const g::ImportanceMemory mem{words.data(), kCap};
    g::accumulate_token_importance<kMax>(mem, live.data(), prob.data(), n);
    for (int i = 0; i < n; ++i)
      if (live[static_cast<std::size_t>(i)] < kCap) padded[static_cast<std::size_t>(live[static_cast<std::size_t>(i)])] += prob[static_cast<std::size_t>(i)];
    for (int t = 0; t < kCap; ++t)
      ASSERT_EQ(words[static_cast<std::size_t>(t)], padded[static_cast<std::size_t>(t)]) << "SPATTEN_SEED=" << seed;
    // decision: ids >= kCap read 0 (the context is longer than the memory, so they can be unprotected)
    std::vector<int> out(live.size());
    const g::TokenPruneParams p{keep, kIds + 10, sinks, recent};
    const int k = g::prune_tokens<kMax>(live.data(), n, mem, p, out.data(), *scratch);
    out.resize(static_cast<std::size_t>(k));
    ASSERT_EQ(out, brute_prune_tokens(live, padded, keep, kIds + 10, sinks, recent))
        << "SPATTEN_SEED=" << seed << " iteration " << iter;
    checked += k < n ? 1 : 0;
  }
  EXPECT_GT(checked, 100);
}

// ---------------------------------------------------------------------------
// prune_heads
// ---------------------------------------------------------------------------

TEST(PruneHeads, HandExamples) {
  g::TopkScratch<std::uint64_t, 16> ts;
  // live KV heads {0,2,3,5}; head 1 is dead but the most important
  const std::vector<int> live{0, 2, 3, 5};
  const std::vector<std::uint64_t> imp{10, 1000, 30, 10, 0, 20, 0, 0};
  EXPECT_EQ(run_prune_heads<16>(live, imp, 1, ts), (std::vector<int>{2}));
  EXPECT_EQ(run_prune_heads<16>(live, imp, 2, ts), (std::vector<int>{2, 5}));
  EXPECT_EQ(run_prune_heads<16>(live, imp, 3, ts), (std::vector<int>{0, 2, 5}));  // tie 0 vs 3 -> 0
  EXPECT_EQ(run_prune_heads<16>(live, imp, 4, ts), live);
  EXPECT_EQ(run_prune_heads<16>(live, imp, 9, ts), live);
  // no protected heads and no minimum here (the cascade applies max(1, .))
  EXPECT_EQ(run_prune_heads<16>(live, imp, 0, ts), (std::vector<int>{}));
  EXPECT_EQ(run_prune_heads<16>(live, imp, -2, ts), (std::vector<int>{}));
  // all equal: the lowest ids
  const std::vector<std::uint64_t> flat(8, 7);
  EXPECT_EQ(run_prune_heads<16>(live, flat, 2, ts), (std::vector<int>{0, 2}));
  EXPECT_EQ(run_prune_heads<16>({}, flat, 2, ts), (std::vector<int>{}));
  // full 64-bit importances
  const std::vector<std::uint64_t> big{~std::uint64_t{0}, 0, ~std::uint64_t{0} - 1, ~std::uint64_t{0}};
  EXPECT_EQ(run_prune_heads<16>({0, 1, 2, 3}, big, 2, ts), (std::vector<int>{0, 3}));
  EXPECT_EQ(run_prune_heads<16>({0, 1, 2, 3}, big, 3, ts), (std::vector<int>{0, 2, 3}));
}

TEST(PruneHeads, AliasingAndStats) {
  g::TopkScratch<std::uint64_t, 16> ts;
  const std::vector<std::uint64_t> imp{5, 1, 9, 9, 3, 8, 2, 7};
  for (int keep = 0; keep <= 9; ++keep) {
    std::vector<int> buf{0, 1, 2, 3, 4, 5, 6, 7};
    const auto expected = brute_prune_heads(buf, imp, keep);
    g::TopkStats st;
    st.passes = 42;
    const int n = g::prune_heads<16>(buf.data(), 8, imp.data(), keep, buf.data(), ts, &st);
    buf.resize(static_cast<std::size_t>(n));
    EXPECT_EQ(buf, expected) << keep;
    if (keep == 0 || keep >= 8) {
      EXPECT_EQ(st.passes, 0) << keep;
    } else {
      EXPECT_GE(st.passes, 1) << keep;
      EXPECT_GE(st.streamed, 8u) << keep;
    }
  }
}

TEST(PruneHeads, RandomBruteForce) {
  std::mt19937_64 rng(spatten::test::test_seed());
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  g::TopkScratch<std::uint64_t, 64> ts;
  for (int trial = 0; trial < 2000; ++trial) {
    const int total = uni(1, 64);
    std::vector<int> live;
    for (int h = 0; h < total; ++h) {
      if (trial % 4 == 0 || uni(0, 2) != 0) {
        live.push_back(h);
      }
    }
    std::vector<std::uint64_t> imp(static_cast<std::size_t>(total));
    for (auto& x : imp) {
      x = trial % 2 == 0 ? static_cast<std::uint64_t>(uni(0, 4)) : rng();
    }
    const int keep = uni(-1, static_cast<int>(live.size()) + 2);
    const auto out = run_prune_heads<64>(live, imp, keep, ts);
    ASSERT_EQ(out, brute_prune_heads(live, imp, keep)) << "trial " << trial << " keep " << keep;
    ASSERT_EQ(static_cast<int>(out.size()), std::clamp(keep, 0, static_cast<int>(live.size())));
  }
}

// ---------------------------------------------------------------------------
// needs_lsb_refetch
// ---------------------------------------------------------------------------

using P16 = spatten::test::Default;                         // prob_frac_bits 16
using P24 = spatten::test::Cfg<12, 8, 4, 8, 4, 10, 24, 4>;  // prob_frac_bits 24
using P24Widest = spatten::test::Widest;                    // prob_frac_bits 24
using P8 = spatten::test::Narrow;                           // prob_frac_bits 8

template <class C>
void check_refetch_boundaries() {
  constexpr int P = g::Numerics<C>::prob_frac_bits;
  constexpr std::uint32_t one = std::uint32_t{1} << P;
  for (std::uint32_t thr : {1u, 2u, 3277u, 6554u, 32768u, 65535u, 65536u}) {
    // exact boundary: max_prob * 2^16 == thr * 2^P is not a refetch
    if ((static_cast<std::uint64_t>(thr) << P) % 65536u == 0) {
      const auto eq = static_cast<std::uint32_t>((static_cast<std::uint64_t>(thr) << P) >> 16);
      EXPECT_FALSE(g::needs_lsb_refetch<C>(eq, thr)) << "P=" << P << " thr=" << thr;
      EXPECT_TRUE(g::needs_lsb_refetch<C>(eq - 1, thr)) << "P=" << P << " thr=" << thr;
      EXPECT_FALSE(g::needs_lsb_refetch<C>(eq + 1, thr)) << "P=" << P << " thr=" << thr;
    }
    // general: refetch iff max_prob < thr * 2^P / 2^16 (real comparison)
    const double bound = static_cast<double>(thr) * std::ldexp(1.0, P - 16);
    for (std::uint32_t mp : {0u, 1u, 2u, 12u, 13u, 100u, 3276u, 3277u, 3278u, one / 20, one / 2, one - 1, one}) {
      EXPECT_EQ(g::needs_lsb_refetch<C>(mp, thr), static_cast<double>(mp) < bound)
          << "P=" << P << " thr=" << thr << " mp=" << mp;
    }
  }
  // threshold 0 never refetches
  for (std::uint32_t mp : {0u, 1u, one / 2, one}) {
    EXPECT_FALSE(g::needs_lsb_refetch<C>(mp, 0u)) << mp;
  }
  // threshold 1.0 refetches every row below 1.0
  EXPECT_TRUE(g::needs_lsb_refetch<C>(one - 1, 65536u));
  EXPECT_FALSE(g::needs_lsb_refetch<C>(one, 65536u));
}

TEST(NeedsLsbRefetch, ExactBoundaryP16) {
  // threshold 0.05 -> 3277; P = 16: max_prob 3277 is not flat, 3276 is
  constexpr bool ce_at = g::needs_lsb_refetch<P16>(3277u, 3277u);
  constexpr bool ce_below = g::needs_lsb_refetch<P16>(3276u, 3277u);
  EXPECT_FALSE(ce_at);
  EXPECT_TRUE(ce_below);
  EXPECT_FALSE(g::needs_lsb_refetch<P16>(3277u, 3277u));
  EXPECT_TRUE(g::needs_lsb_refetch<P16>(3276u, 3277u));
  check_refetch_boundaries<P16>();
}

TEST(NeedsLsbRefetch, ExactBoundaryP24) {
  // P = 24: 3277 * 2^8 = 838912 is the boundary
  constexpr bool ce_at = g::needs_lsb_refetch<P24>(838912u, 3277u);
  constexpr bool ce_below = g::needs_lsb_refetch<P24>(838911u, 3277u);
  EXPECT_FALSE(ce_at);
  EXPECT_TRUE(ce_below);
  EXPECT_FALSE(g::needs_lsb_refetch<P24>(838912u, 3277u));
  EXPECT_TRUE(g::needs_lsb_refetch<P24>(838911u, 3277u));
  EXPECT_FALSE(g::needs_lsb_refetch<P24>(1u << 24, 65536u));
  EXPECT_TRUE(g::needs_lsb_refetch<P24>((1u << 24) - 1, 65536u));
  check_refetch_boundaries<P24>();
  check_refetch_boundaries<P24Widest>();
}

TEST(NeedsLsbRefetch, InexactBoundaryP8) {
  // P = 8: 3277 / 2^16 * 2^8 = 12.8: 12 refetches, 13 does not
  EXPECT_TRUE(g::needs_lsb_refetch<P8>(12u, 3277u));
  EXPECT_FALSE(g::needs_lsb_refetch<P8>(13u, 3277u));
  check_refetch_boundaries<P8>();
}

// ---------------------------------------------------------------------------
// importance accumulators
// ---------------------------------------------------------------------------

TEST(TokenImportance, AccumulatesByLiveId) {
  std::vector<std::uint64_t> imp{7, 0, 0, 5, 0, 0, 1, 0};
  const std::vector<int> live{1, 3, 6, 7};
  const std::vector<std::uint32_t> prob{100, 0, 65536, 1u << 24};
  g::accumulate_token_importance<16>(imp.data(), live.data(), prob.data(), 4);
  EXPECT_EQ(imp, (std::vector<std::uint64_t>{7, 100, 0, 5, 0, 0, 65537, 1u << 24}));
  // a second row adds on top; n limits the row
  const std::vector<std::uint32_t> prob2{1, 2, 3, 4};
  g::accumulate_token_importance<16>(imp.data(), live.data(), prob2.data(), 2);
  EXPECT_EQ(imp, (std::vector<std::uint64_t>{7, 101, 0, 7, 0, 0, 65537, 1u << 24}));
  g::accumulate_token_importance<16>(imp.data(), live.data(), prob2.data(), 0);
  EXPECT_EQ(imp, (std::vector<std::uint64_t>{7, 101, 0, 7, 0, 0, 65537, 1u << 24}));
}

TEST(TokenImportance, NoWrapPast32Bits) {
  std::vector<std::uint64_t> imp{0xFFFFFFFFull, 0};
  const int live[1] = {0};
  const std::uint32_t prob[1] = {1u << 24};
  for (int i = 0; i < 300; ++i) {
    g::accumulate_token_importance<4>(imp.data(), live, prob, 1);
  }
  EXPECT_EQ(imp[0], 0xFFFFFFFFull + 300ull * (1ull << 24));
  EXPECT_EQ(imp[1], 0u);
}

TEST(HeadOutputMagnitude, SumOfAbsoluteValues) {
  const std::int32_t out[6] = {3, -4, 0, -2147483647, 2147483647, 1000};
  EXPECT_EQ(g::head_output_magnitude<16>(out, 3), 7u);
  EXPECT_EQ(g::head_output_magnitude<16>(out, 5), 7ull + 2ull * 2147483647ull);
  EXPECT_EQ(g::head_output_magnitude<16>(out, 6), 1007ull + 2ull * 2147483647ull);
  EXPECT_EQ(g::head_output_magnitude<16>(out, 0), 0u);
  const std::int32_t neg[4] = {-1, -2, -3, -4};
  EXPECT_EQ(g::head_output_magnitude<16>(neg, 4), 10u);
  // the most negative word (outside out_bits <= 32's |out| < 2^31 promise, but no UB)
  const std::int32_t minw[1] = {std::numeric_limits<std::int32_t>::min()};
  EXPECT_EQ(g::head_output_magnitude<16>(minw, 1), 2147483648u);
  // random against a plain loop
  std::mt19937_64 rng(spatten::test::test_seed());
  std::vector<std::int32_t> v(256);
  for (int trial = 0; trial < 50; ++trial) {
    for (auto& x : v) {
      x = std::uniform_int_distribution<std::int32_t>(-(1 << 20), 1 << 20)(rng);
    }
    const int d = std::uniform_int_distribution<int>(0, 256)(rng);
    std::uint64_t ref = 0;
    for (int i = 0; i < d; ++i) {
      ref += static_cast<std::uint64_t>(std::llabs(v[static_cast<std::size_t>(i)]));
    }
    EXPECT_EQ(g::head_output_magnitude<256>(v.data(), d), ref);
  }
}

}  // namespace
