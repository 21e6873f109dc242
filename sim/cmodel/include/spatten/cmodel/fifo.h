// spatten/cmodel/fifo.h — the ready/valid queue between clocked units.
//
// A Fifo<T> models a registered FIFO of `capacity` entries between a producer
// and a consumer that are ticked in the same cycle, in any order:
//  * valid:  an item pushed in cycle c can be popped from cycle c + latency on
//            (latency >= 1, the register stage; more models a pipelined link);
//  * ready:  a slot freed by a pop in cycle c can be refilled from cycle c + 1.
// Both rules make the outcome of a cycle independent of the order in which the
// simulator ticks the units, which is what a netlist does and what the RTL
// co-simulation compares against.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "spatten/cmodel/clock.h"
#include "spatten/cmodel/ring_queue.h"

namespace spatten::cmodel {

template <class T>
class Fifo {
 public:
  explicit Fifo(std::size_t capacity, Cycle latency = 1, std::string name = "fifo")
      : capacity_(capacity), latency_(latency), name_(std::move(name)) {
    if (capacity_ == 0) throw std::invalid_argument(name_ + ": capacity must be at least 1");
    if (latency_ == 0) throw std::invalid_argument(name_ + ": latency must be at least 1 (a register stage)");
  }

  /// ready: true when a push in cycle `now` is accepted.
  bool can_push(Cycle now) const { return items_.size() + freed_in(now) < capacity_; }

  /// Push in cycle `now`; the item becomes valid at now + latency. Throws when full.
  void push(Cycle now, T item) {
    if (!can_push(now)) throw std::logic_error(name_ + ": push into a full FIFO");
    items_.push_back(Entry{now + latency_, std::move(item)});
    ++pushes_;
  }

  /// valid: true when the front item may be popped in cycle `now`.
  bool can_pop(Cycle now) const { return !items_.empty() && items_.front().valid_at <= now; }

  const T& front() const { return items_.front().item; }

  /// Pop in cycle `now`. Throws when nothing is valid.
  T pop(Cycle now) {
    if (!can_pop(now)) throw std::logic_error(name_ + ": pop with no valid item");
    T item = std::move(items_.front().item);
    items_.pop_front();
    if (last_pop_cycle_ != now) {
      last_pop_cycle_ = now;
      pops_in_cycle_ = 0;
    }
    ++pops_in_cycle_;
    ++pops_;
    return item;
  }

  /// Cycle at which the front item becomes valid (kNever when empty): what an
  /// idle consumer waits for.
  Cycle next_valid() const { return items_.empty() ? kNever : items_.front().valid_at; }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::size_t capacity() const { return capacity_; }
  Cycle latency() const { return latency_; }
  std::uint64_t pushes() const { return pushes_; }
  std::uint64_t pops() const { return pops_; }
  /// Pops made before cycle `now`: what a producer ticked in `now` may count as
  /// freed space, whatever the tick order (registered ready).
  std::uint64_t pops_before(Cycle now) const { return pops_ - freed_in(now); }
  const std::string& name() const { return name_; }

 private:
  struct Entry {
    Cycle valid_at;
    T item;
  };
  std::size_t freed_in(Cycle now) const { return last_pop_cycle_ == now ? pops_in_cycle_ : 0; }

  std::size_t capacity_;
  Cycle latency_;
  std::string name_;
  RingQueue<Entry> items_;
  Cycle last_pop_cycle_ = kNever;
  std::size_t pops_in_cycle_ = 0;
  std::uint64_t pushes_ = 0;
  std::uint64_t pops_ = 0;
};

}  // namespace spatten::cmodel
