#include "spatten/cmodel/hbm_memory.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace spatten::cmodel {

const char* dram_kind_name(DramKind k) {
  switch (k) {
    case DramKind::kKMsb: return "k_msb";
    case DramKind::kKLsb: return "k_lsb";
    case DramKind::kV: return "v";
    case DramKind::kQ: return "q";
    case DramKind::kOut: return "out";
    case DramKind::kMeta: return "meta";
    case DramKind::kCount: break;
  }
  return "?";
}

void HbmConfig::validate() const {
  auto need = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("HbmConfig: ") + what);
  };
  need(channels >= 1, "channels must be at least 1");
  need(bytes_per_cycle >= 1, "bytes_per_cycle must be at least 1");
  need(max_outstanding >= 1, "max_outstanding must be at least 1");
  need(transaction_bytes >= 1, "transaction_bytes must be at least 1");
  need(interleave_bytes >= 1, "interleave_bytes must be at least 1");
  need(latency_cycles < (Cycle{1} << 32), "latency_cycles is unreasonably large");
  need(jitter_max_extra_latency < (Cycle{1} << 20), "jitter_max_extra_latency is unreasonably large");
  need(jitter_stall_percent >= 0 && jitter_stall_percent <= 90, "jitter_stall_percent must be in 0..90");
}

namespace {
std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
std::uint64_t hash3(std::uint64_t seed, std::uint64_t a, std::uint64_t b) { return mix64(mix64(mix64(seed) ^ a) ^ b); }
}  // namespace

Cycle HbmMemory::extra_latency(std::size_t channel, std::uint64_t issue_index) const {
  if (cfg_.jitter_seed == 0 || cfg_.jitter_max_extra_latency == 0) return 0;
  return hash3(cfg_.jitter_seed, channel, issue_index) % (cfg_.jitter_max_extra_latency + 1);
}

bool HbmMemory::refuses(std::size_t port, Cycle now) const {
  if (cfg_.jitter_seed == 0 || cfg_.jitter_stall_percent == 0) return false;
  return hash3(cfg_.jitter_seed ^ 0x5a5a5a5a5a5a5a5aULL, port, now) % 100 <
         static_cast<std::uint64_t>(cfg_.jitter_stall_percent);
}

namespace {
int log2_if_pow2(std::uint64_t v) { return (v & (v - 1)) == 0 ? std::countr_zero(v) : -1; }
}  // namespace

HbmMemory::HbmMemory(const HbmConfig& cfg, std::string name) : Component(std::move(name)), cfg_(cfg) {
  cfg_.validate();
  channels_.resize(static_cast<std::size_t>(cfg_.channels));
  tb_ = static_cast<std::uint64_t>(cfg_.transaction_bytes);
  il_ = static_cast<std::uint64_t>(cfg_.interleave_bytes);
  tb_shift_ = log2_if_pow2(tb_);
  il_shift_ = log2_if_pow2(il_);
  ch_pow2_ = log2_if_pow2(static_cast<std::uint64_t>(cfg_.channels)) >= 0;
}

int HbmMemory::add_port(const std::string& name, std::size_t request_depth, std::size_t response_depth,
                         std::uint32_t beat_bytes) {
  ports_.push_back(Port{name, Fifo<MemRequest>(request_depth, 1, this->name() + "." + name + ".req"),
                        Fifo<MemResponse>(response_depth, 1, this->name() + "." + name + ".resp"), {}, 0, 0,
                        beat_bytes, false, 0, 1, Beat{}});
  return static_cast<int>(ports_.size()) - 1;
}

std::uint64_t HbmMemory::bytes_total() const {
  std::uint64_t t = 0;
  for (std::size_t k = 0; k < kDramKinds; ++k) t += read_[k] + written_[k];
  return t;
}

bool HbmMemory::quiescent() const {
  for (const Port& p : ports_)
    if (!p.req.empty() || !p.pending.empty()) return false;
  return true;
}

Activity HbmMemory::tick(Cycle now) {
  bool worked = false;
  const auto bpc = static_cast<std::uint64_t>(cfg_.bytes_per_cycle);
  // 1. completions: a channel completes in issue order
  for (Channel& ch : channels_) {
    if (in_flight_total_ == 0) break;
    while (!ch.in_flight.empty() && ch.in_flight.front().complete_at <= now) {
      const InFlight f = ch.in_flight.front();
      ch.in_flight.pop_front();
      --in_flight_total_;
      Port& p = ports_[static_cast<std::size_t>(f.port)];
      Pending& pend = p.pending[static_cast<std::size_t>(f.request_seq - p.first_seq)];
      --pend.txns_left;
      pend.resp.completed = std::max(pend.resp.completed, now);
      worked = true;
    }
  }
  // 2. responses, in order per port: a read response streams its beats on the
  //    port's data channel and enters the FIFO with its last beat
  for (Port& p : ports_) {
    if (p.beat_now.valid) p.beat_now = Beat{};
    if (p.pending.empty()) continue;  // nothing to stream (and not streaming)
    if (!p.streaming && p.pending.front().txns_left == 0) {
      const Pending& f = p.pending.front();
      p.streaming = true;
      p.stream_start = now;
      p.stream_beats = f.write || p.beat_bytes == 0
                           ? 1u
                           : static_cast<std::uint32_t>((f.resp.bytes + p.beat_bytes - 1) / p.beat_bytes);
    }
    if (!p.streaming) continue;
    const Pending& f = p.pending.front();
    const Cycle last = p.stream_start + p.stream_beats - 1;
    if (now < last) {
      p.beat_now = Beat{true, false, f.write, f.resp.tag, static_cast<std::uint32_t>(now - p.stream_start), f.address,
                        f.resp.bytes};
      worked = true;
    } else if (p.resp.can_push(now)) {
      p.beat_now = Beat{true, true, f.write, f.resp.tag, p.stream_beats - 1, f.address, f.resp.bytes};
      p.resp.push(now, f.resp);
      p.pending.pop_front();
      ++p.first_seq;
      p.streaming = false;
      worked = true;
    }
  }
  // 3. accept at most one request per port, split into transactions
  for (std::size_t pi = 0; pi < ports_.size(); ++pi) {
    Port& p = ports_[pi];
    if (!p.req.can_pop(now) || refuses(pi, now)) continue;
    const MemRequest r = p.req.pop(now);
    if (r.bytes == 0) throw std::logic_error(name() + ": zero-byte request from port " + p.name);
    if (log_ != nullptr) log_->push_back(LoggedRequest{now, static_cast<int>(pi), r.address, r.bytes, r.write});
    const std::uint64_t seq = p.next_seq++;
    std::uint32_t txns = 0;
    for (std::uint64_t a = r.address, end = r.address + r.bytes; a < end;) {
      const std::uint64_t next = std::min(end, (transaction_of(a) + 1) * tb_);
      const std::size_t chn = channel_of(a);
      channels_[chn].queue.push_back(Txn{static_cast<int>(pi), seq, static_cast<std::uint32_t>(next - a)});
      ++queued_total_;
      ++txns;
      a = next;
    }
    (r.write ? written_ : read_)[static_cast<std::size_t>(r.kind)] += r.bytes;
    p.pending.push_back(Pending{MemResponse{r.tag, r.bytes, now, 0}, txns, r.write, r.address});
    worked = true;
  }
  // 4. issue: every transaction that fits in this cycle's bus time
  for (std::size_t ci = 0; ci < channels_.size() && queued_total_ > 0; ++ci) {
    Channel& ch = channels_[ci];
    // (bus_bytes < (now + 1) * bpc is bus_cycle <= now, as bus_rem < bpc)
    while (!ch.queue.empty() && ch.bus_cycle <= now &&
           ch.in_flight.size() < static_cast<std::size_t>(cfg_.max_outstanding)) {
      const Txn t = ch.queue.front();
      ch.queue.pop_front();
      --queued_total_;
      // start = max(bus_bytes, now * bpc); bus_bytes = start + bytes
      if (ch.bus_cycle < now) {
        ch.bus_cycle = now;
        ch.bus_rem = 0;
      }
      ch.bus_rem += t.bytes;
      if (ch.bus_rem >= bpc) {
        if (ch.bus_rem < 2 * bpc) {  // a transaction of at most bpc bytes: no division
          ch.bus_rem -= bpc;
          ++ch.bus_cycle;
        } else {
          ch.bus_cycle += ch.bus_rem / bpc;
          ch.bus_rem %= bpc;
        }
      }
      // complete at ceil(bus_bytes / bpc) + latency
      const Cycle done = ch.bus_cycle + (ch.bus_rem != 0 ? 1 : 0) + cfg_.latency_cycles + extra_latency(ci, ch.issued);
      ch.in_flight.push_back(InFlight{done, t.port, t.request_seq});
      ++in_flight_total_;
      ++ch.issued;
      worked = true;
    }
  }
  if (worked) return Activity::kBusy;
  return activity_while_waiting();
}

Cycle HbmMemory::next_event(Cycle now) const {
  Cycle next = kNever;
  for (const Channel& ch : channels_) {
    if (!ch.in_flight.empty()) next = std::min(next, std::max(now, ch.in_flight.front().complete_at));
    if (!ch.queue.empty() && ch.in_flight.size() < static_cast<std::size_t>(cfg_.max_outstanding)) {
      next = std::min(next, std::max(now, ch.bus_cycle));  // first cycle whose bus time is not used up
    }
  }
  for (const Port& p : ports_) {
    next = std::min(next, std::max(now, p.req.next_valid()));
    if (p.streaming) {
      next = std::min(next, std::max(now, p.stream_start + p.stream_beats - 1));  // its last beat
    } else if (!p.pending.empty() && p.pending.front().txns_left == 0) {
      next = std::min(next, now);  // a finished response starts streaming
    }
  }
  return next;
}

Activity HbmMemory::activity_while_waiting() const {
  for (const Channel& ch : channels_)
    if (!ch.in_flight.empty()) return Activity::kBusy;  // transfers in progress
  for (const Port& p : ports_)
    if (p.streaming) return Activity::kBusy;  // data beats on a port
  return Activity::kIdle;
}

}  // namespace spatten::cmodel
