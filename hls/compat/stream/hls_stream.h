// hls/compat/stream/hls_stream.h — a small project-owned stand-in for AMD's
// hls::stream, used for C simulation when AMD's hls_stream.h is not available
// (CI). On the include path only then; Vitis HLS always uses its own.
//
// Semantics of AMD's C-simulation model: an unbounded FIFO (C simulation runs
// the DATAFLOW processes one after another, so a stream holds everything its
// producer wrote). Stricter than AMD's in two ways, so kernel bugs fail tests
// instead of printing warnings: reading an empty stream throws std::logic_error
// (AMD's model warns and returns a default value, and the RTL would hang), and a
// stream destroyed with data left in it is counted in
// spatten_hls_compat::leftover_stream_elements() (AMD's model prints a warning).
// Host code, not kernel source (not under the HLS lint).
#ifndef SPATTEN_HLS_COMPAT_HLS_STREAM_H
#define SPATTEN_HLS_COMPAT_HLS_STREAM_H

#include <cstddef>
#include <deque>
#include <stdexcept>
#include <string>

#define SPATTEN_HLS_COMPAT_STREAM 1

namespace spatten_hls_compat {
/// Elements left in streams when they were destroyed, since program start.
inline unsigned long long& leftover_stream_elements() {
  static unsigned long long count = 0;
  return count;
}
}  // namespace spatten_hls_compat

namespace hls {

template <class T>
class stream {
 public:
  stream() : name_("hls::stream") {}
  explicit stream(const char* name) : name_(name) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() { spatten_hls_compat::leftover_stream_elements() += q_.size(); }

  void write(const T& x) { q_.push_back(x); }
  T read() {
    if (q_.empty()) throw std::logic_error("hls::stream '" + name_ + "' read while empty (the RTL would hang)");
    T x = q_.front();
    q_.pop_front();
    return x;
  }
  void read(T& x) { x = read(); }
  bool read_nb(T& x) {
    if (q_.empty()) return false;
    x = read();
    return true;
  }
  bool write_nb(const T& x) {
    write(x);
    return true;
  }
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return q_.size(); }
  void operator<<(const T& x) { write(x); }
  void operator>>(T& x) { read(x); }

 private:
  std::deque<T> q_;
  std::string name_;
};

}  // namespace hls

#endif  // SPATTEN_HLS_COMPAT_HLS_STREAM_H
