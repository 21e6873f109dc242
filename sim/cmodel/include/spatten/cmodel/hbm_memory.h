// spatten/cmodel/hbm_memory.h — the HBM memory model (one component, shared by
// the cycle model and, later, the RTL co-simulation's AXI memory responder).
//
// Contract (every number below is tested exactly in tests/cmodel/test_hbm_memory.cpp):
//  * Ports. Each requester owns a port: a request FIFO into the memory and a
//    response FIFO back (both registered, latency 1, depths given at
//    add_port). The memory accepts at most one request per port per cycle,
//    ports in index order.
//  * Transactions. A request [address, address + bytes) is split at
//    transaction_bytes boundaries; transaction i goes to channel
//    (address_i / interleave_bytes) mod channels.
//  * Channels. Each channel moves bytes_per_cycle bytes per cycle on its data
//    bus, kept exact with a byte-granular bus clock: a transaction of B bytes
//    is issued in cycle c when the bus has not yet used up cycle c
//    (bus_bytes < (c + 1) * bytes_per_cycle) and fewer than max_outstanding
//    transactions of that channel are in flight; it occupies bus bytes
//    [max(bus_bytes, c * bpc), +B) and its data is complete at cycle
//    ceil(end / bpc) + latency_cycles. A channel may issue several
//    transactions per cycle when they fit (e.g. 32-byte transactions on a
//    47-byte/cycle channel), so its long-run rate is exactly bpc.
//  * Responses. A request's response is ready when all its transactions are
//    complete; responses leave each port in request order (in-order per
//    requester), at most one per port per cycle, when the response FIFO has
//    room. A transaction holds its outstanding slot until it completes.
//  * Read data beats. A port may have a data width (`beat_bytes`, given at
//    add_port; 0 = unlimited): a read response of B bytes then streams
//    ceil(B / beat_bytes) beats on the port's read-data channel, one per
//    cycle, from the cycle it is ready (all its transactions complete and the
//    previous response of the port has left), and enters the response FIFO in
//    the cycle of its last beat. A write response is one beat. This is the
//    AXI4 R channel of a port `beat_bytes` wide: rvalid in those cycles, rlast
//    in the last (beat()); the RTL co-simulation's memory responder drives
//    the R channel from beat().
//  * Timing jitter (optional, for co-simulation): with jitter_seed != 0, each
//    transaction gets extra latency hash(seed, channel, its issue index) mod
//    (jitter_max_extra_latency + 1), and a port does not accept a request in
//    a cycle with hash(seed, port, cycle) mod 100 < jitter_stall_percent (its
//    request FIFO fills: AXI back-pressure). Both are pure functions of the
//    seed, so two models with the same requests see the same timing.
//  * Timing of a lone request of one transaction pushed in cycle c:
//    accepted and issued in c+1, complete in c+1+ceil(B/bpc)+latency, pushed
//    to the response FIFO that cycle, valid to the requester one cycle later:
//    round trip = latency + ceil(B/bpc) + 2 cycles.
//  * Accounting: bytes read and written by kind (K MSB, K LSB, V, Q, output,
//    metadata), transactions per channel.
//  * Request log (optional, set_request_log): every request the memory
//    accepts, {cycle accepted, port, address, bytes, write}, in acceptance
//    order (cycle, then port index); logging changes no timing. Two models
//    given the same requests produce identical logs, which is how the RTL
//    co-simulation's DRAM request stream is compared with the cycle model's.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "spatten/cmodel/clock.h"
#include "spatten/cmodel/component.h"
#include "spatten/cmodel/fifo.h"
#include "spatten/cmodel/ring_queue.h"

namespace spatten::cmodel {

/// What a DRAM byte is for; the reports break traffic down by these.
enum class DramKind : std::uint8_t { kKMsb = 0, kKLsb, kV, kQ, kOut, kMeta, kCount };
inline constexpr std::size_t kDramKinds = static_cast<std::size_t>(DramKind::kCount);
const char* dram_kind_name(DramKind k);

struct MemRequest {
  std::uint64_t address = 0;
  std::uint32_t bytes = 0;  ///< >= 1
  DramKind kind = DramKind::kMeta;
  bool write = false;
  std::uint64_t tag = 0;    ///< returned in the response
};

struct MemResponse {
  std::uint64_t tag = 0;
  std::uint32_t bytes = 0;
  Cycle accepted = 0;   ///< cycle the memory took the request
  Cycle completed = 0;  ///< cycle its last transaction completed
};

struct HbmConfig {
  int channels = 1;                 ///< channels in use (hbm_channels_used)
  int bytes_per_cycle = 32;         ///< per channel, at the accelerator clock
  Cycle latency_cycles = 100;       ///< from the end of a transaction's bus time to its completion
  int max_outstanding = 32;         ///< transactions in flight per channel
  int transaction_bytes = 32;       ///< split granularity
  int interleave_bytes = 32;        ///< address interleaving granularity across channels
  std::uint64_t jitter_seed = 0;          ///< 0: no jitter; else seeds the extra latency and accept stalls
  Cycle jitter_max_extra_latency = 0;     ///< extra latency per transaction, uniform in 0 .. this
  int jitter_stall_percent = 0;           ///< percent of cycles a port refuses requests (0 .. 90)

  /// Checks every field; throws std::invalid_argument naming the bad one.
  void validate() const;
};

/// One request as the memory accepted it (HbmMemory::set_request_log).
struct LoggedRequest {
  Cycle cycle = 0;            ///< cycle the memory accepted it (popped it from the port's request FIFO)
  int port = 0;
  std::uint64_t address = 0;
  std::uint32_t bytes = 0;
  bool write = false;
  bool operator==(const LoggedRequest&) const = default;
};

class HbmMemory final : public Component {
 public:
  explicit HbmMemory(const HbmConfig& cfg, std::string name = "hbm");

  /// Adds a requester port; returns its index. beat_bytes: the port's read
  /// data width in bytes (0: a read response is one beat whatever its size).
  int add_port(const std::string& name, std::size_t request_depth = 4, std::size_t response_depth = 4,
               std::uint32_t beat_bytes = 0);

  /// The beat a port's response channel carries in cycle `now`, as set by
  /// tick(now) (tick every cycle to use it; idle skipping records no beats).
  struct Beat {
    bool valid = false;
    bool last = false;
    bool write = false;         ///< a write response (one beat, the B channel)
    std::uint64_t tag = 0;
    std::uint32_t index = 0;    ///< beat index within the response
    std::uint64_t address = 0;  ///< the request's address
    std::uint32_t bytes = 0;    ///< the request's bytes
  };
  const Beat& beat(int port) const { return ports_.at(static_cast<std::size_t>(port)).beat_now; }
  int ports() const { return static_cast<int>(ports_.size()); }
  Fifo<MemRequest>& requests(int port) { return ports_.at(static_cast<std::size_t>(port)).req; }
  Fifo<MemResponse>& responses(int port) { return ports_.at(static_cast<std::size_t>(port)).resp; }

  Activity tick(Cycle now) override;
  Cycle next_event(Cycle now) const override;
  Activity activity_while_waiting() const override;

  const HbmConfig& config() const { return cfg_; }
  /// Appends every request the memory accepts from now on to *log (nullptr: no log).
  void set_request_log(std::vector<LoggedRequest>* log) { log_ = log; }
  /// True when the timing jitter makes `port` refuse a request in cycle `now`
  /// (hash(seed, port, now) mod 100 < jitter_stall_percent; false without jitter).
  bool refuses_request(int port, Cycle now) const { return refuses(static_cast<std::size_t>(port), now); }
  std::uint64_t bytes_read(DramKind k) const { return read_[static_cast<std::size_t>(k)]; }
  std::uint64_t bytes_written(DramKind k) const { return written_[static_cast<std::size_t>(k)]; }
  std::uint64_t bytes_total() const;
  std::uint64_t transactions(int channel) const { return channels_.at(static_cast<std::size_t>(channel)).issued; }
  /// Peak bytes per cycle of all channels in use.
  std::uint64_t peak_bytes_per_cycle() const {
    return static_cast<std::uint64_t>(cfg_.channels) * static_cast<std::uint64_t>(cfg_.bytes_per_cycle);
  }
  /// True when no request is queued, in flight or waiting to respond.
  bool quiescent() const;

 private:
  struct Txn {
    int port;
    std::uint64_t request_seq;  ///< which request of the port it belongs to
    std::uint32_t bytes;
  };
  struct InFlight {
    Cycle complete_at;
    int port;
    std::uint64_t request_seq;
  };
  struct Channel {
    RingQueue<Txn> queue;            ///< waiting to issue, in arrival order
    RingQueue<InFlight> in_flight;   ///< completion order == issue order on one channel
    // the byte-granular bus clock bus_bytes, kept as bus_cycle * bpc +
    // bus_rem (0 <= bus_rem < bpc): every issue would otherwise divide by
    // bytes_per_cycle (47 on alveo-u55c, not a power of two), about 17 times
    // a cycle in a co-simulation's fetch phase
    std::uint64_t bus_cycle = 0;
    std::uint64_t bus_rem = 0;
    std::uint64_t issued = 0;
  };
  struct Pending {
    MemResponse resp;
    std::uint32_t txns_left;
    bool write;
    std::uint64_t address;
  };
  struct Port {
    std::string name;
    Fifo<MemRequest> req;
    Fifo<MemResponse> resp;
    RingQueue<Pending> pending;      ///< accepted requests in order
    std::uint64_t first_seq = 0;      ///< sequence number of pending.front()
    std::uint64_t next_seq = 0;
    std::uint32_t beat_bytes = 0;     ///< read data width (0: unlimited)
    bool streaming = false;           ///< pending.front() is on the data channel
    Cycle stream_start = 0;
    std::uint32_t stream_beats = 1;
    Beat beat_now;                    ///< what tick(now) put on the channel
  };
  Cycle extra_latency(std::size_t channel, std::uint64_t issue_index) const;
  /// address / transaction_bytes, address / interleave_bytes and line mod
  /// channels: shifts and a mask when they are powers of two (every preset),
  /// divisions otherwise. Each request's split runs these per transaction.
  std::uint64_t transaction_of(std::uint64_t a) const { return tb_shift_ >= 0 ? a >> tb_shift_ : a / tb_; }
  std::size_t channel_of(std::uint64_t a) const {
    const std::uint64_t line = il_shift_ >= 0 ? a >> il_shift_ : a / il_;
    return static_cast<std::size_t>(ch_pow2_ ? line & (channels_.size() - 1) : line % channels_.size());
  }
  bool refuses(std::size_t port, Cycle now) const;

  HbmConfig cfg_;
  std::vector<Port> ports_;
  std::vector<Channel> channels_;
  std::array<std::uint64_t, kDramKinds> read_{};
  std::array<std::uint64_t, kDramKinds> written_{};
  std::vector<LoggedRequest>* log_ = nullptr;
  // transactions over all channels, so tick() skips the channel loops when
  // there are none (the memory is idle through most compute phases)
  std::uint64_t queued_total_ = 0;
  std::uint64_t in_flight_total_ = 0;
  std::uint64_t tb_ = 1, il_ = 1;     ///< transaction_bytes, interleave_bytes
  int tb_shift_ = -1, il_shift_ = -1;  ///< their log2 when powers of two, else -1
  bool ch_pow2_ = false;               ///< channels is a power of two
};

}  // namespace spatten::cmodel
