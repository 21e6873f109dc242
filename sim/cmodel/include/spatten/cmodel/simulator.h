// spatten/cmodel/simulator.h — the clock: ticks units, skips idle cycles.
//
// Each cycle every unit is ticked once, in registration order; because FIFOs
// are registered (fifo.h) the order does not change results. With idle
// skipping on, when no unit can act in the next cycle the clock jumps to the
// earliest next_event() of any unit, and each unit's skipped cycles are
// accounted as its activity_while_waiting(). Results and cycle counts are the
// same as ticking every cycle; tests run both modes.
#pragma once
#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "spatten/cmodel/clock.h"
#include "spatten/cmodel/component.h"

namespace spatten::cmodel {

class Simulator {
 public:
  explicit Simulator(bool skip_idle = true) : skip_idle_(skip_idle) {}

  void add(Component& c) { units_.push_back(&c); }

  /// Run until `done()` holds after a cycle; returns the number of cycles run
  /// (the cycle index after the last ticked cycle). Throws when no unit has an
  /// event left before `done()` (a deadlock) or after `limit` cycles.
  Cycle run(const std::function<bool()>& done, Cycle limit = kNever) {
    while (!done()) {
      if (now_ >= limit) throw std::runtime_error("simulation exceeded its cycle limit of " + std::to_string(limit));
      if (skip_idle_) {
        Cycle next = kNever;
        for (const Component* u : units_) next = std::min(next, u->next_event(now_));
        if (next == kNever) throw std::runtime_error(deadlock_message());
        if (next > now_) {
          const Cycle to = std::min(next, limit);
          for (Component* u : units_) u->account(u->activity_while_waiting(), to - now_);
          skipped_ += to - now_;
          now_ = to;
          continue;
        }
      }
      for (Component* u : units_) u->account(u->tick(now_), 1);
      ++now_;
      ++ticked_;
    }
    return now_;
  }

  Cycle now() const { return now_; }
  std::uint64_t ticked_cycles() const { return ticked_; }
  std::uint64_t skipped_cycles() const { return skipped_; }
  const std::vector<Component*>& units() const { return units_; }

 private:
  std::string deadlock_message() const {
    std::string names;
    for (const Component* u : units_) names += (names.empty() ? "" : ", ") + u->name();
    return "simulation deadlock at cycle " + std::to_string(now_) + ": no unit has a pending event (" + names + ")";
  }

  bool skip_idle_;
  Cycle now_ = 0;
  std::uint64_t ticked_ = 0;
  std::uint64_t skipped_ = 0;
  std::vector<Component*> units_;
};

}  // namespace spatten::cmodel
