#include "axi_memory.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <utility>

namespace spatten::cosim {

namespace c = spatten::cmodel;

namespace {

constexpr std::uint64_t kPageBytes = 4096;
constexpr std::size_t kMaxEarlyBeats = 1024;  ///< W beats buffered before their AW

std::string hex(std::uint64_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << v;
  return o.str();
}

std::string range(std::uint64_t base, std::uint64_t bytes) { return "[" + hex(base) + ", " + hex(base + bytes) + ")"; }

std::string burst_name(std::uint8_t b) {
  switch (b) {
    case kAxiBurstFixed: return "0 (FIXED)";
    case kAxiBurstIncr: return "1 (INCR)";
    case kAxiBurstWrap: return "2 (WRAP)";
    default: return std::to_string(b) + " (reserved)";
  }
}

}  // namespace

AxiMemory::AxiMemory(const c::HbmConfig& cfg, std::uint32_t beat_bytes)
    : beat_bytes_(beat_bytes), beat_size_(0), hbm_(cfg, "axi_hbm") {
  if (beat_bytes_ == 0 || beat_bytes_ > kAxiDataBytes || (beat_bytes_ & (beat_bytes_ - 1)) != 0)
    throw std::invalid_argument("AxiMemory: beat_bytes must be a power of two in 1.." + std::to_string(kAxiDataBytes) +
                                ", got " + std::to_string(beat_bytes_));
  while ((1u << beat_size_) < beat_bytes_) ++beat_size_;
}

int AxiMemory::add_master(const std::string& name, bool can_write) {
  const int port = hbm_.add_port(name, 4, 4, beat_bytes_);
  Master m;
  m.name = name;
  m.can_write = can_write;
  m.port = port;
  masters_.push_back(std::move(m));
  for (Master& x : masters_) {  // add_port may have moved every port
    x.req = &hbm_.requests(x.port);
    x.resp = &hbm_.responses(x.port);
    x.beat = &hbm_.beat(x.port);
  }
  return static_cast<int>(masters_.size()) - 1;
}

AxiMemory::Master& AxiMemory::at(int master) {
  if (master < 0 || master >= masters()) throw AxiError("AxiMemory: no master " + std::to_string(master));
  return masters_[static_cast<std::size_t>(master)];
}
const AxiMemory::Master& AxiMemory::at(int master) const {
  if (master < 0 || master >= masters()) throw AxiError("AxiMemory: no master " + std::to_string(master));
  return masters_[static_cast<std::size_t>(master)];
}
const std::string& AxiMemory::master_name(int master) const { return at(master).name; }

void AxiMemory::fail(int master, const std::string& what, const std::string& expected,
                     const std::string& actual) const {
  std::string msg = "AxiMemory: master '" + at(master).name + "' (" + std::to_string(master) + ") cycle " +
                    std::to_string(now_) + ": " + what;
  if (!expected.empty()) msg += "; expected " + expected;
  if (!actual.empty()) msg += "; actual " + actual;
  throw AxiError(msg);
}

// ---- backing store ------------------------------------------------------------

void AxiMemory::write_bytes(std::uint64_t address, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (address + (bytes.size() - 1) < address)
    throw std::invalid_argument("AxiMemory::write_bytes: " + std::to_string(bytes.size()) + " bytes at " + hex(address) +
                                " wrap around the address space");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::uint64_t a = address + done;
    const std::uint64_t off = a % kPageBytes;
    const std::size_t n = std::min<std::size_t>(bytes.size() - done, static_cast<std::size_t>(kPageBytes - off));
    std::unique_ptr<Page>& page = pages_[a / kPageBytes];
    if (!page) page = std::make_unique<Page>(Page{});
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(done), n, page->begin() + static_cast<std::ptrdiff_t>(off));
    done += n;
  }
}

void AxiMemory::read_into(std::uint64_t address, std::span<std::uint8_t> out) const {
  if (out.empty()) return;
  if (address + (out.size() - 1) < address)
    throw std::invalid_argument("AxiMemory::read_bytes: " + std::to_string(out.size()) + " bytes at " + hex(address) +
                                " wrap around the address space");
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t a = address + done;
    const std::uint64_t off = a % kPageBytes;
    const std::size_t n = std::min<std::size_t>(out.size() - done, static_cast<std::size_t>(kPageBytes - off));
    const auto it = pages_.find(a / kPageBytes);
    const auto dst = out.begin() + static_cast<std::ptrdiff_t>(done);
    if (it == pages_.end()) {
      std::fill_n(dst, n, std::uint8_t{0});
    } else {
      std::copy_n(it->second->begin() + static_cast<std::ptrdiff_t>(off), n, dst);
    }
    done += n;
  }
}

std::vector<std::uint8_t> AxiMemory::read_bytes(std::uint64_t address, std::size_t n) const {
  std::vector<std::uint8_t> v(n);
  read_into(address, v);
  return v;
}

void AxiMemory::add_region(std::uint64_t base, std::uint64_t bytes, c::DramKind kind, const std::string& name) {
  if (bytes == 0) throw std::invalid_argument("AxiMemory::add_region '" + name + "': empty");
  if (base + (bytes - 1) < base)
    throw std::invalid_argument("AxiMemory::add_region '" + name + "': wraps around the address space");
  const std::uint64_t last = base + (bytes - 1);
  auto next = regions_.lower_bound(base);
  if (next != regions_.end() && next->second.base <= last)
    throw std::invalid_argument("AxiMemory::add_region '" + name + "' " + range(base, bytes) + " overlaps '" +
                                next->second.name + "' " + range(next->second.base, next->second.bytes));
  if (next != regions_.begin()) {
    const Region& prev = std::prev(next)->second;
    if (prev.base + (prev.bytes - 1) >= base)
      throw std::invalid_argument("AxiMemory::add_region '" + name + "' " + range(base, bytes) + " overlaps '" +
                                  prev.name + "' " + range(prev.base, prev.bytes));
  }
  regions_.emplace(base, Region{base, bytes, kind, name});
}

const AxiMemory::Region& AxiMemory::classify(int master, Master& m, std::uint64_t address, std::uint32_t bytes,
                                             bool write) const {
  // every accepted request comes here: the master's last two regions first,
  // the message built only on failure
  for (const Region* r : m.last_regions) {
    if (r == nullptr) break;
    const std::uint64_t off = address - r->base;  // (wraps to a huge value below base)
    if (off < r->bytes && bytes <= r->bytes - off) return *r;
  }
  auto what = [&] {
    return std::string("AXI ") + (write ? "write" : "read") + " of " + std::to_string(bytes) + " bytes at " +
           hex(address);
  };
  auto it = regions_.upper_bound(address);
  if (it != regions_.begin()) {
    const Region& r = std::prev(it)->second;
    const std::uint64_t off = address - r.base;
    if (off < r.bytes) {
      if (bytes <= r.bytes - off) {
        m.last_regions = {&r, m.last_regions[0]};  // map nodes do not move while the memory lives
        return r;
      }
      fail(master, what() + " runs past the end of buffer '" + r.name + "' " + range(r.base, r.bytes),
           "a range inside one buffer", range(address, bytes));
    }
  }
  fail(master, what() + " outside every buffer", "an address inside a buffer added with add_region", hex(address));
}

// ---- the cycle ------------------------------------------------------------------

void AxiMemory::tick(c::Cycle now) {
  if (ticked_ && now != now_ + 1)
    throw AxiError("AxiMemory: tick(" + std::to_string(now) + ") after tick(" + std::to_string(now_) +
                   "): cycles must be consecutive (the R channel is driven from every cycle's beat); expected cycle " +
                   std::to_string(now_ + 1));
  if (hbm_.ports() != masters())
    throw AxiError("AxiMemory: hbm() has " + std::to_string(hbm_.ports()) + " ports for " + std::to_string(masters()) +
                   " masters: add ports only through add_master");
  hbm_.tick(now);
  now_ = now;
  ticked_ = true;
}

void AxiMemory::check_tick(int master, const char* who) const {
  if (!ticked_) fail(master, std::string(who) + " before the first tick()");
}

void AxiMemory::check_all(std::size_t signals, const char* who) const {
  if (!ticked_) throw AxiError(std::string("AxiMemory: ") + who + " before the first tick()");
  if (signals != masters_.size())
    throw AxiError(std::string("AxiMemory: ") + who + " with " + std::to_string(signals) + " signal sets for " +
                   std::to_string(masters_.size()) + " masters");
}

void AxiMemory::drive(int master, AxiSignals& s) {
  check_tick(master, "drive()");
  drive_master(master, at(master), s);
}

void AxiMemory::drive_all(std::span<AxiSignals> s) {
  check_all(s.size(), "drive_all()");
  for (std::size_t i = 0; i < s.size(); ++i) drive_master(static_cast<int>(i), masters_[i], s[i]);
}

void AxiMemory::read_beat(Master& m, std::uint64_t address, std::uint8_t* out) {
  const std::uint64_t page_no = address / kPageBytes;
  const std::uint64_t off = address % kPageBytes;
  if (off + beat_bytes_ > kPageBytes) {  // accept() keeps bursts inside a page; kept general all the same
    read_into(address, std::span<std::uint8_t>(out, beat_bytes_));
    return;
  }
  if (page_no != m.r_page_no || m.r_page == nullptr) {
    const auto it = pages_.find(page_no);
    if (it == pages_.end()) {  // never written: zeros (not cached: a W beat may create the page)
      std::fill_n(out, beat_bytes_, std::uint8_t{0});
      return;
    }
    m.r_page_no = page_no;
    m.r_page = it->second.get();  // pages are never freed or moved while the memory lives
  }
  const std::uint8_t* src = m.r_page->data() + off;
  if (beat_bytes_ == kAxiDataBytes) {
    std::memcpy(out, src, kAxiDataBytes);  // the kernel's width: a fixed-size copy, inlined
  } else {
    std::copy_n(src, beat_bytes_, out);
  }
}

void AxiMemory::drive_master(int master, Master& m, AxiSignals& s) {
  const bool can = m.req->can_push(now_);
  m.can_push = can;
  s.arready = can;
  s.awready = m.can_write && can;
  s.wready = m.can_write;
  const c::HbmMemory::Beat& b = *m.beat;
  s.rvalid = b.valid && !b.write;
  s.rlast = s.rvalid && b.last;
  s.rresp = kAxiRespOkay;
  s.bvalid = b.valid && b.write;
  s.bresp = kAxiRespOkay;
  if (b.valid) {
    if (m.streaming.empty() || m.streaming.front().tag != b.tag)
      throw std::logic_error("AxiMemory: master '" + m.name + "' cycle " + std::to_string(now_) +
                             ": the memory's beat is not the oldest outstanding request");
    const Outstanding& o = m.streaming.front();
    if (s.rvalid) {
      if (b.index != o.beats_done || b.index >= o.beats)
        throw std::logic_error("AxiMemory: master '" + m.name + "' cycle " + std::to_string(now_) + ": R beat " +
                               std::to_string(b.index) + " after " + std::to_string(o.beats_done) + " of " +
                               std::to_string(o.beats));
      read_beat(m, b.address + static_cast<std::uint64_t>(b.index) * beat_bytes_, s.rdata.data());
    } else {
      for (std::size_t i = 0; i < m.w_pending.size(); ++i) {
        const WriteData& w = m.w_pending[i];
        if (w.tag == b.tag)
          fail(master, "B response of the write of " + std::to_string(w.beats) + " beats at " + hex(w.address) +
                           " is due before all its W beats arrived (the memory model does not wait for write data)",
               std::to_string(w.beats) + " W beats before the B response", std::to_string(w.received));
      }
    }
  }
  m.driven = now_;
}

void AxiMemory::check_hold(int master, const char* ch, AddrWait& w, bool valid, std::uint64_t addr, std::uint8_t len,
                           std::uint8_t size, std::uint8_t burst, bool ready) const {
  if (w.waiting) {
    if (!valid) {
      const std::string n(ch);
      fail(master, n + "valid dropped before its handshake (AXI: VALID stays high until READY)", n + "valid=1",
           n + "valid=0");
    }
    if (addr != w.addr || len != w.len || size != w.size || burst != w.burst) {
      const std::string n(ch);
      std::ostringstream e, a;
      e << n << "addr=" << hex(w.addr) << " " << n << "len=" << int{w.len} << " " << n << "size=" << int{w.size}
        << " " << n << "burst=" << int{w.burst};
      a << n << "addr=" << hex(addr) << " " << n << "len=" << int{len} << " " << n << "size=" << int{size} << " "
        << n << "burst=" << int{burst};
      fail(master, n + " changed while " + n + "valid waited for " + n + "ready", e.str(), a.str());
    }
  }
  w.waiting = valid && !ready;
  w.addr = addr;
  w.len = len;
  w.size = size;
  w.burst = burst;
}

void AxiMemory::write_beat(int master, WriteData& w, const std::array<std::uint8_t, kAxiDataBytes>& data,
                           std::uint32_t strb, bool last) {
  const std::uint32_t idx = w.received;
  const bool expect_last = idx + 1 == w.beats;
  if (last != expect_last)
    fail(master,
         std::string(last ? "wlast on" : "no wlast on") + " W beat " + std::to_string(idx + 1) + " of " +
             std::to_string(w.beats) + " of the write at " + hex(w.address),
         std::string("wlast=") + (expect_last ? "1" : "0"), std::string("wlast=") + (last ? "1" : "0"));
  const std::uint64_t base = w.address + static_cast<std::uint64_t>(idx) * beat_bytes_;
  for (std::uint32_t i = 0; i < beat_bytes_; ++i) {
    if (((strb >> i) & 1u) == 0) continue;
    std::unique_ptr<Page>& page = pages_[(base + i) / kPageBytes];
    if (!page) page = std::make_unique<Page>(Page{});
    (*page)[static_cast<std::size_t>((base + i) % kPageBytes)] = data[i];
  }
  ++w.received;
}

void AxiMemory::accept(int master, Master& m, bool write, std::uint64_t addr, std::uint8_t len, std::uint8_t size,
                       std::uint8_t burst) {
  const std::string ch = write ? "aw" : "ar";  // (for the messages: fits the small-string buffer)
  const std::uint32_t bytes = (static_cast<std::uint32_t>(len) + 1) * beat_bytes_;
  if (size != beat_size_)
    fail(master, ch + "size of the request at " + hex(addr) + " is not the bus width",
         ch + "size=" + std::to_string(beat_size_) + " (" + std::to_string(beat_bytes_) + " bytes)",
         ch + "size=" + std::to_string(size));
  if (burst != kAxiBurstIncr)
    fail(master, ch + "burst of the request at " + hex(addr) + " is not INCR", ch + "burst=" + burst_name(kAxiBurstIncr),
         ch + "burst=" + burst_name(burst));
  if (addr % beat_bytes_ != 0)
    fail(master, ch + "addr not aligned to " + std::to_string(beat_bytes_) + " bytes",
         "a multiple of " + std::to_string(beat_bytes_), hex(addr));
  if ((addr % kPageBytes) + bytes > kPageBytes)
    fail(master,
         "burst of " + std::to_string(len + 1) + " beats at " + hex(addr) + " crosses a 4 KiB boundary (" +
             hex((addr / kPageBytes + 1) * kPageBytes) + ")",
         "an end at or below " + hex((addr / kPageBytes + 1) * kPageBytes), "an end at " + hex(addr + bytes));
  const Region& r = classify(master, m, addr, bytes, write);
  const std::uint64_t tag = next_tag_++;
  m.req->push(now_, c::MemRequest{addr, bytes, r.kind, write, tag});
  m.streaming.push_back(Outstanding{tag, write, addr, write ? 1u : static_cast<std::uint32_t>(len) + 1, 0});
  if (write) {
    WriteData w{tag, addr, static_cast<std::uint32_t>(len) + 1, 0};
    while (w.received < w.beats && !m.w_early.empty()) {
      const EarlyBeat e = m.w_early.front();
      m.w_early.pop_front();
      write_beat(master, w, e.data, e.strb, e.last);
    }
    if (w.received < w.beats) m.w_pending.push_back(w);
  }
  if (logging_) log_.push_back(AxiRequestRecord{now_, master, addr, bytes, write, r.kind});
}

void AxiMemory::sample(int master, const AxiSignals& s) {
  check_tick(master, "sample()");
  sample_master(master, at(master), s);
}

void AxiMemory::sample_all(std::span<const AxiSignals> s) {
  check_all(s.size(), "sample_all()");
  for (std::size_t i = 0; i < s.size(); ++i) sample_master(static_cast<int>(i), masters_[i], s[i]);
}

void AxiMemory::sample_master(int master, Master& m, const AxiSignals& s) {
  if (m.driven != now_) fail(master, "sample() without drive() in this cycle");
  if (m.sampled == now_) fail(master, "sample() called twice in one cycle");
  m.sampled = now_;
  const bool can = m.can_push;  // drive() in this cycle; nothing pushes or pops the port in between
  if (!m.can_write) {
    if (s.awvalid) fail(master, "awvalid on a read-only master", "awvalid=0", "awvalid=1");
    if (s.wvalid) fail(master, "wvalid on a read-only master", "wvalid=0", "wvalid=1");
  } else if (s.arvalid && s.awvalid) {
    fail(master,
         "arvalid and awvalid in the same cycle (AR and AW share the port's request FIFO; araddr " + hex(s.araddr) +
             ", awaddr " + hex(s.awaddr) + ")",
         "at most one of arvalid, awvalid", "both");
  }
  // AR, AW: hold checks, then the handshake
  // (no request now and none waiting: nothing to check, the common case)
  if (s.arvalid || m.ar_wait.waiting)
    check_hold(master, "ar", m.ar_wait, s.arvalid, s.araddr, s.arlen, s.arsize, s.arburst, can);
  if (s.arvalid && can) accept(master, m, false, s.araddr, s.arlen, s.arsize, s.arburst);
  if (m.can_write) {
    if (s.awvalid || m.aw_wait.waiting)
      check_hold(master, "aw", m.aw_wait, s.awvalid, s.awaddr, s.awlen, s.awsize, s.awburst, can);
    if (s.awvalid && can) accept(master, m, true, s.awaddr, s.awlen, s.awsize, s.awburst);
  }
  // W (wready is always 1 on a write master)
  if (m.can_write && s.wvalid) {
    if (!m.w_pending.empty()) {
      WriteData& w = m.w_pending.front();
      write_beat(master, w, s.wdata, s.wstrb, s.wlast);
      if (w.received == w.beats) m.w_pending.pop_front();
    } else {
      if (m.w_early.size() >= kMaxEarlyBeats)
        fail(master, std::to_string(kMaxEarlyBeats) + " W beats without a write address",
             "an AW handshake for the buffered W beats", "wvalid without AW");
      m.w_early.push_back(EarlyBeat{s.wdata, s.wstrb, s.wlast, now_});
    }
  }
  // R / B beats driven this cycle
  const c::HbmMemory::Beat& b = *m.beat;
  if (b.valid) {
    Outstanding& o = m.streaming.front();  // drive() checked it matches
    if (!b.write) {
      if (!s.rready)
        fail(master,
             "rvalid && !rready on R beat " + std::to_string(b.index + 1) + " of " + std::to_string(o.beats) +
                 " of the read at " + hex(o.address) + " (the memory model cannot stall its data channel)",
             "rready=1", "rready=0");
      ++o.beats_done;
      if (b.last != (o.beats_done == o.beats))
        throw std::logic_error("AxiMemory: master '" + m.name + "': rlast on beat " + std::to_string(o.beats_done) +
                               " of " + std::to_string(o.beats));
    } else if (!s.bready) {
      fail(master, "bvalid && !bready for the write at " + hex(o.address) + " (the memory model cannot stall B)",
           "bready=1", "bready=0");
    }
    if (b.last) {
      m.delivered.push_back(o);
      m.streaming.pop_front();
    }
  }
  // the requester side of the response FIFO
  c::Fifo<c::MemResponse>& resp = *m.resp;
  if (resp.can_pop(now_)) {
    const c::MemResponse r = resp.pop(now_);
    if (m.delivered.empty() || m.delivered.front().tag != r.tag)
      throw std::logic_error("AxiMemory: master '" + m.name + "' cycle " + std::to_string(now_) +
                             ": a response whose beats were not all driven");
    m.delivered.pop_front();
  }
}

bool AxiMemory::idle() const {
  if (!hbm_.quiescent()) return false;
  return std::all_of(masters_.begin(), masters_.end(), [](const Master& m) {
    return m.streaming.empty() && m.delivered.empty() && m.w_pending.empty() && m.w_early.empty();
  });
}

}  // namespace spatten::cosim
