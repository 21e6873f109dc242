// spatten/cmodel/ring_queue.h — a first-in first-out queue on one growable
// power-of-two ring. The memory model and the FIFOs push and pop on every
// simulated cycle; std::deque allocates and frees a node each time a queue
// crosses a node boundary, which showed up as several percent of a
// co-simulation. The ring only grows (doubling), so a queue that reached its
// working size never allocates again.
#pragma once
#include <cstddef>
#include <memory>
#include <utility>

namespace spatten::cmodel {

template <class T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(const RingQueue& o) : RingQueue() {
    reserve_pow2(o.cap_);
    for (std::size_t i = 0; i < o.size_; ++i) push_back(o[i]);
  }
  RingQueue(RingQueue&& o) noexcept
      : buf_(std::move(o.buf_)), cap_(std::exchange(o.cap_, 0)), head_(std::exchange(o.head_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  RingQueue& operator=(RingQueue o) noexcept {
    std::swap(buf_, o.buf_);
    std::swap(cap_, o.cap_);
    std::swap(head_, o.head_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~RingQueue() = default;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  /// Element i from the front (0: the oldest).
  T& operator[](std::size_t i) { return buf_[(head_ + i) & (cap_ - 1)]; }
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & (cap_ - 1)]; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return (*this)[size_ - 1]; }

  void push_back(T v) {
    if (size_ == cap_) reserve_pow2(cap_ == 0 ? 8 : 2 * cap_);
    buf_[(head_ + size_) & (cap_ - 1)] = std::move(v);
    ++size_;
  }
  void pop_front() {
    buf_[head_] = T{};  // release what the element holds now, as deque would
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
  }
  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  void reserve_pow2(std::size_t cap) {
    if (cap <= cap_) return;
    std::unique_ptr<T[]> b(new T[cap]);
    for (std::size_t i = 0; i < size_; ++i) b[i] = std::move((*this)[i]);
    buf_ = std::move(b);
    cap_ = cap;
    head_ = 0;
  }

  std::unique_ptr<T[]> buf_;
  std::size_t cap_ = 0;  ///< 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace spatten::cmodel
