// The registered FIFO (valid one cycle after push, space one cycle after pop,
// independent of tick order) and the simulator (idle skipping, deadlock).
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "spatten/cmodel/fifo.h"
#include "spatten/cmodel/ring_queue.h"
#include "spatten/cmodel/simulator.h"

namespace c = spatten::cmodel;

// The ring behind the FIFOs and the memory model's queues against std::deque,
// through growth (from empty, while wrapped) and wrap-around, with indexed
// reads, copies and moves. Seed logged.
TEST(RingQueue, MatchesDequeUnderRandomPushPop) {
  const std::uint32_t seed = 20261126;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  c::RingQueue<std::string> q;
  std::deque<std::string> ref;
  for (int step = 0; step < 20000; ++step) {
    // phases that mostly grow, then mostly drain, so the ring wraps and doubles while wrapped
    const bool grow = (step / 700) % 2 == 0;
    if (ref.empty() || rng() % 100 < (grow ? 70u : 30u)) {
      const std::string v = std::to_string(rng());
      q.push_back(v);
      ref.push_back(v);
    } else {
      ASSERT_EQ(q.front(), ref.front()) << "step " << step;
      q.pop_front();
      ref.pop_front();
    }
    ASSERT_EQ(q.size(), ref.size()) << "step " << step;
    ASSERT_EQ(q.empty(), ref.empty());
    if (!ref.empty()) {
      const std::size_t i = rng() % ref.size();
      ASSERT_EQ(q[i], ref[i]) << "step " << step << " index " << i;
      ASSERT_EQ(q.back(), ref.back());
    }
    if (step % 5000 == 4999) {
      c::RingQueue<std::string> copy(q);  // a copy is independent of the original
      ASSERT_EQ(copy.size(), ref.size());
      for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_EQ(copy[i], ref[i]);
      copy.push_back("x");
      EXPECT_EQ(q.size(), ref.size());
      c::RingQueue<std::string> moved(std::move(copy));
      EXPECT_EQ(moved.size(), ref.size() + 1);
      EXPECT_EQ(moved.back(), "x");
    }
  }
  q.clear();
  EXPECT_TRUE(q.empty());
  q.push_back("after clear");
  EXPECT_EQ(q.front(), "after clear");
}

TEST(Fifo, ValidAfterLatencyNotBefore) {
  c::Fifo<int> f(2, 3);
  f.push(10, 7);
  EXPECT_FALSE(f.can_pop(10));
  EXPECT_FALSE(f.can_pop(12));
  EXPECT_TRUE(f.can_pop(13));
  EXPECT_EQ(f.next_valid(), 13u);
  EXPECT_EQ(f.pop(13), 7);
  EXPECT_EQ(f.next_valid(), c::kNever);
}

TEST(Fifo, SpaceFreedByAPopIsUsableNextCycle) {
  c::Fifo<int> f(1);
  f.push(0, 1);
  EXPECT_FALSE(f.can_push(0));
  EXPECT_FALSE(f.can_push(1));
  EXPECT_EQ(f.pop(1), 1);
  // a producer ticked after the consumer in cycle 1 must still see "full"
  EXPECT_FALSE(f.can_push(1));
  EXPECT_TRUE(f.can_push(2));
}

TEST(Fifo, MisuseThrows) {
  c::Fifo<int> f(1);
  EXPECT_THROW(f.pop(0), std::logic_error);
  f.push(0, 1);
  EXPECT_THROW(f.push(0, 2), std::logic_error);
  EXPECT_THROW(c::Fifo<int>(0), std::invalid_argument);
  EXPECT_THROW(c::Fifo<int>(1, 0), std::invalid_argument);
}

namespace {
/// Emits `count` items, one every `period` cycles, into a FIFO.
class Source final : public c::Component {
 public:
  Source(c::Fifo<int>& out, int count, c::Cycle period) : Component("source"), out_(out), left_(count), period_(period) {}
  c::Activity tick(c::Cycle now) override {
    if (left_ == 0 || now < next_) return c::Activity::kIdle;
    if (!out_.can_push(now)) return c::Activity::kStalled;
    out_.push(now, left_--);
    next_ = now + period_;
    return c::Activity::kBusy;
  }
  c::Cycle next_event(c::Cycle now) const override { return left_ == 0 ? c::kNever : std::max(now, next_); }

 private:
  c::Fifo<int>& out_;
  int left_;
  c::Cycle period_;
  c::Cycle next_ = 0;
};

/// Pops every item as soon as it is valid and records the cycle.
class Sink final : public c::Component {
 public:
  explicit Sink(c::Fifo<int>& in) : Component("sink"), in_(in) {}
  c::Activity tick(c::Cycle now) override {
    if (!in_.can_pop(now)) return c::Activity::kIdle;
    in_.pop(now);
    seen.push_back(now);
    return c::Activity::kBusy;
  }
  c::Cycle next_event(c::Cycle now) const override {
    const c::Cycle v = in_.next_valid();
    return v == c::kNever ? c::kNever : std::max(now, v);
  }
  std::vector<c::Cycle> seen;

 private:
  c::Fifo<int>& in_;
};

std::vector<c::Cycle> run_pipeline(bool skip, bool sink_first, c::Cycle* cycles, std::uint64_t* skipped) {
  c::Fifo<int> link(2, 5);
  Source src(link, 6, 100);
  Sink sink(link);
  c::Simulator sim(skip);
  if (sink_first) {
    sim.add(sink);
    sim.add(src);
  } else {
    sim.add(src);
    sim.add(sink);
  }
  *cycles = sim.run([&] { return sink.seen.size() == 6; });
  *skipped = sim.skipped_cycles();
  EXPECT_EQ(src.busy_cycles(), 6u);
  EXPECT_EQ(sink.busy_cycles(), 6u);
  return sink.seen;
}
}  // namespace

TEST(Simulator, IdleSkippingGivesTheSameCyclesAsTicking) {
  c::Cycle a = 0, b = 0, d = 0;
  std::uint64_t sa = 0, sb = 0, sd = 0;
  const auto ticked = run_pipeline(false, false, &a, &sa);
  const auto skipped = run_pipeline(true, false, &b, &sb);
  const auto reordered = run_pipeline(true, true, &d, &sd);
  EXPECT_EQ(ticked, skipped);
  EXPECT_EQ(ticked, reordered) << "tick order must not matter";
  EXPECT_EQ(a, b);
  EXPECT_EQ(sa, 0u);
  EXPECT_GT(sb, 400u) << "the idle gaps between items were skipped";
  // item i pushed at 100*i, valid 5 cycles later
  EXPECT_EQ(ticked, (std::vector<c::Cycle>{5, 105, 205, 305, 405, 505}));
  EXPECT_EQ(a, 506u);
}

TEST(Simulator, DeadlockIsReported) {
  c::Fifo<int> link(1);
  Sink sink(link);
  c::Simulator sim(true);
  sim.add(sink);
  EXPECT_THROW(sim.run([&] { return !sink.seen.empty(); }), std::runtime_error);
  c::Simulator ticking(false);
  ticking.add(sink);
  EXPECT_THROW(ticking.run([&] { return !sink.seen.empty(); }, 1000), std::runtime_error);
}
