// Top-k: both golden formulations against a brute-force stable sort, on random
// and adversarial rows, plus hand-worked quick-select pass counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "spatten/topk.h"
#include "spatten_test_seed.h"

namespace g = spatten::golden;

namespace {
constexpr int kMax = 32768;

/// The definition, by sorting: order by (value desc, index asc), take k, sort by index.
template <class T>
std::vector<int> brute_force(const std::vector<T>& v, int k) {
  std::vector<int> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
    return v[static_cast<std::size_t>(a)] > v[static_cast<std::size_t>(b)];
  });
  const auto kk = static_cast<std::size_t>(std::clamp(k, 0, static_cast<int>(v.size())));
  idx.resize(kk);
  std::sort(idx.begin(), idx.end());
  return idx;
}

template <class T>
struct Runner {
  std::unique_ptr<g::TopkScratch<T, kMax>> scratch = std::make_unique<g::TopkScratch<T, kMax>>();
  std::vector<int> out = std::vector<int>(kMax);

  std::vector<int> select(const std::vector<T>& v, int k) {
    const int c = g::topk_select<T, kMax>(v.data(), static_cast<int>(v.size()), k, out.data());
    return {out.begin(), out.begin() + c};
  }
  std::vector<int> quick(const std::vector<T>& v, int k, g::TopkStats* st = nullptr) {
    const int c = g::topk_quickselect<T, kMax>(v.data(), static_cast<int>(v.size()), k, out.data(), *scratch, st);
    return {out.begin(), out.begin() + c};
  }
  void check(const std::vector<T>& v, int k, const char* what) {
    const std::vector<int> expect = brute_force(v, k);
    ASSERT_EQ(select(v, k), expect) << what << " n=" << v.size() << " k=" << k << " (bitwise select)";
    g::TopkStats st;
    ASSERT_EQ(quick(v, k, &st), expect) << what << " n=" << v.size() << " k=" << k << " (quick-select)";
    if (k > 0 && k < static_cast<int>(v.size())) {
      ASSERT_GE(st.passes, 1);
      ASSERT_GE(st.streamed, v.size());
    } else {
      ASSERT_EQ(st.passes, 0);
    }
  }
};
}  // namespace

TEST(Topk, HandWorkedQuickSelectPasses) {
  Runner<std::uint32_t> r;
  const std::vector<std::uint32_t> v = {5, 1, 4, 2, 3};
  g::TopkStats st;
  // pass 1: pivot median(5,4,3)=4, gt={5}, eq=1 -> need 2 <= 2: threshold 4
  EXPECT_EQ(r.quick(v, 2, &st), (std::vector<int>{0, 2}));
  EXPECT_EQ(st.passes, 1);
  EXPECT_EQ(st.streamed, 5u);
  // k=3: pass 1 leaves need 1 in {1,2,3}; pass 2 pivot 2 -> hi {3}; pass 3 pivot 3
  EXPECT_EQ(r.quick(v, 3, &st), (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(st.passes, 3);
  EXPECT_EQ(st.streamed, 9u);
  EXPECT_EQ(st.beats, 9u) << "one lane: a beat per candidate";
  // with 2 comparators the passes over 5, 3 and 1 candidates take 3 + 2 + 1 beats
  g::TopkStats two;
  two.lanes = 2;
  EXPECT_EQ(r.quick(v, 3, &two), (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(two.lanes, 2);
  EXPECT_EQ(two.beats, 6u);
}

TEST(Topk, TieRuleEarlierIndexWins) {
  Runner<std::uint32_t> r;
  const std::vector<std::uint32_t> v = {3, 7, 3, 7, 3, 7, 1};
  EXPECT_EQ(r.quick(v, 2), (std::vector<int>{1, 3}));
  EXPECT_EQ(r.quick(v, 4), (std::vector<int>{0, 1, 3, 5}));
  EXPECT_EQ(r.select(v, 4), (std::vector<int>{0, 1, 3, 5}));
  EXPECT_EQ(r.quick(v, 5), (std::vector<int>{0, 1, 2, 3, 5}));
}

TEST(Topk, EdgeCounts) {
  Runner<std::uint32_t> r;
  const std::vector<std::uint32_t> v = {9, 8, 7};
  EXPECT_TRUE(r.quick(v, 0).empty());
  EXPECT_TRUE(r.quick(v, -3).empty());
  EXPECT_EQ(r.quick(v, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(r.quick(v, 99), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(r.quick(std::vector<std::uint32_t>{42}, 1), (std::vector<int>{0}));
  EXPECT_TRUE(r.quick(std::vector<std::uint32_t>{}, 1).empty());
}

TEST(Topk, AllEqualIsOnePass) {
  Runner<std::uint32_t> r;
  const std::vector<std::uint32_t> v(1000, 77);
  g::TopkStats st;
  const auto got = r.quick(v, 123, &st);
  EXPECT_EQ(got, brute_force(v, 123));
  EXPECT_EQ(st.passes, 1);
}

TEST(Topk, AdversarialRows) {
  Runner<std::uint32_t> r;
  for (int n : {1, 2, 3, 16, 17, 1000, 32768}) {
    std::vector<std::uint32_t> asc(static_cast<std::size_t>(n)), desc(asc.size()), eq(asc.size(), 5),
        zig(asc.size());
    for (int i = 0; i < n; ++i) {
      const auto iu = static_cast<std::size_t>(i);
      asc[iu] = static_cast<std::uint32_t>(i);
      desc[iu] = static_cast<std::uint32_t>(n - i);
      zig[iu] = static_cast<std::uint32_t>(i % 2 == 0 ? i : n - i);
    }
    for (int k : {1, 2, n / 2, n - 1, n}) {
      if (k < 1) continue;
      r.check(asc, k, "ascending");
      r.check(desc, k, "descending");
      r.check(eq, k, "all equal");
      r.check(zig, k, "zigzag");
    }
  }
}

TEST(Topk, SortedInputStaysNearLinear) {
  // median-of-three keeps sorted rows from the quadratic worst case
  Runner<std::uint32_t> r;
  std::vector<std::uint32_t> asc(32768);
  std::iota(asc.begin(), asc.end(), 0u);
  g::TopkStats st;
  r.quick(asc, 3277, &st);
  EXPECT_LE(st.streamed, 4u * asc.size()) << "passes=" << st.passes;
}

template <class T>
void random_rows(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Runner<T> r;
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + static_cast<int>(rng() % (trial < 280 ? 2000 : 32768));
    const int distinct = 1 + static_cast<int>(rng() % 50);  // few distinct values -> many ties
    std::vector<T> v(static_cast<std::size_t>(n));
    const bool ties = trial % 2 == 0;
    for (auto& x : v) x = static_cast<T>(ties ? rng() % static_cast<std::uint64_t>(distinct) : rng());
    const int k = static_cast<int>(rng() % static_cast<std::uint64_t>(n + 1));
    r.check(v, k, ties ? "random with ties" : "random");
  }
}

TEST(Topk, RandomRowsUint32) { random_rows<std::uint32_t>(spatten::test::test_seed()); }
TEST(Topk, RandomRowsUint64) { random_rows<std::uint64_t>(spatten::test::test_seed() + 1); }
