// spatten/cmodel/component.h — a clocked unit of the cycle model.
//
// Every hardware unit (fetchers, HBM, Q·K, softmax, top-k engine, ...) is a
// Component ticked once per cycle by the Simulator. A unit states in its header
// its latency, throughput and buffering. It keeps two counters the reports
// publish: busy cycles (doing work) and stall cycles (holding work but blocked
// by a full output or a missing input); the rest of the run it is idle.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "spatten/cmodel/clock.h"

namespace spatten::cmodel {

enum class Activity : std::uint8_t { kIdle, kBusy, kStalled };

class Component {
 public:
  explicit Component(std::string name) : name_(std::move(name)) {}
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  /// Advance one cycle: read valid inputs, do this cycle's work, push outputs.
  /// Returns what the unit did in cycle `now` (for the busy/stall counters).
  virtual Activity tick(Cycle now) = 0;

  /// The earliest cycle >= now at which ticking could change anything: `now`
  /// while the unit has work it can do, a later cycle while it waits on a timer
  /// or on an input that becomes valid then, kNever while it waits for inputs
  /// that nobody has pushed yet. The Simulator skips cycles no unit needs.
  virtual Cycle next_event(Cycle now) const = 0;

  /// What the unit is doing during skipped cycles [from, to): a unit that holds
  /// work while waiting (e.g. on memory) counts them as stall cycles.
  virtual Activity activity_while_waiting() const { return Activity::kIdle; }

  const std::string& name() const { return name_; }
  std::uint64_t busy_cycles() const { return busy_; }
  std::uint64_t stall_cycles() const { return stall_; }

  /// Bookkeeping used by the Simulator.
  void account(Activity a, std::uint64_t cycles) {
    if (a == Activity::kBusy) busy_ += cycles;
    if (a == Activity::kStalled) stall_ += cycles;
  }

 private:
  std::string name_;
  std::uint64_t busy_ = 0;
  std::uint64_t stall_ = 0;
};

}  // namespace spatten::cmodel
