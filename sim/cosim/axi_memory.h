// An AXI4 memory responder for the RTL co-simulation (sim/cosim/README.md):
// a thin AXI skin over the cycle model's HbmMemory, so that the RTL's masters
// see exactly the DRAM timing the cycle model's requesters see.
//
// Masters and ports. Each AXI master of the kernel is one HbmMemory port
// (request FIFO depth 4, response FIFO depth 4, read data `beat_bytes` wide),
// added with add_master in the order the caller chooses; master i is port i
// of hbm(). The cycle model's Accelerator adds lane0..laneC-1, then
// job_controller: add the RTL's lanes first, then ctrl, and the two
// memories' request logs (HbmMemory::set_request_log) compare port by port.
//
// Bus. 64-bit addresses, data `beat_bytes` wide (a power of two, 1..32; the
// kernel's is 32). Only INCR bursts of full-width beats at beat-aligned
// addresses that stay inside one 4 KiB page are accepted. Responses are
// always OKAY. The ctrl master (can_write) has AR/R and AW/W/B; the others
// AR/R only.
//
// Cycle protocol. For cycle `now` the harness calls, in this order:
//  1. tick(now): the memory's cycle (HbmMemory::tick); cycles are consecutive,
//     and every port of hbm() is a master's (add ports through add_master).
//  2. drive(m, s) for every master: the slave outputs of cycle `now`
//       arready = requests(port).can_push(now) (registered ready: it does not
//                 depend on arvalid); awready the same for the ctrl master
//                 (AR and AW share the port's request FIFO);
//       wready  = 1 for the ctrl master;
//       rvalid/rdata/rlast/rresp from hbm().beat(port) when it is a read
//                 beat: rdata = the backing store's bytes at the request's
//                 address + beat_bytes * beat index, read now (rdata is
//                 left as it was when rvalid is 0: nothing may read it then);
//       bvalid/bresp when hbm().beat(port) is a write beat (the B response).
//     drive only reads state: calling it again in the same cycle is harmless.
//  3. the harness evaluates the RTL (its outputs into the same AxiSignals);
//  4. sample(m, s) for every master, at the clock edge:
//       AR handshake (arvalid && arready): checks it and pushes
//         MemRequest{araddr, (arlen + 1) * beat_bytes, kind of its region}
//         into requests(port) in cycle `now` (the memory may take it in now+1);
//       AW handshake: the same for a write, which expects awlen + 1 W beats;
//       W beats (wvalid): written into the backing store under wstrb, at the
//         oldest write still missing beats (a beat before its AW waits for it);
//       R and B beats: rready / bready must be high (the memory model cannot
//         stall its data channel);
//       pops the port's response FIFO when it holds a valid response (the
//         requester side of the model's FIFO).
// Protocol errors throw AxiError naming the master, the cycle, what was
// wrong, what was expected and what came: a bad AR/AW (arsize/awsize not
// log2(beat_bytes), burst not INCR, address not aligned, burst crossing 4 KiB,
// address range outside every buffer or across two), AR and AW valid in the
// same cycle, a request changed or withdrawn before its handshake, W signals
// on a read-only master, wlast on the wrong beat, a B response due before all
// the write's W beats arrived, rvalid && !rready, bvalid && !bready.
//
// Backing store: byte addressed, sparse (4 KiB pages), any 64-bit address;
// bytes never written read as 0. Regions (add_region) only classify requests
// (DramKind accounting, the "outside every buffer" check).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "spatten/cmodel/hbm_memory.h"
#include "spatten/cmodel/ring_queue.h"

namespace spatten::cosim {

/// A protocol error on an AXI4 master (or a misuse of the responder).
class AxiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kAxiDataBytes = 32;  ///< width of AxiSignals' data fields
inline constexpr std::uint8_t kAxiBurstFixed = 0;
inline constexpr std::uint8_t kAxiBurstIncr = 1;
inline constexpr std::uint8_t kAxiBurstWrap = 2;
inline constexpr std::uint8_t kAxiRespOkay = 0;

/// The AXI4 signals of one master port, one cycle. [M] fields are driven by
/// the master (the RTL; the harness copies them from the Verilated model),
/// [S] fields by the responder (drive(); the harness copies them into the
/// model). Data byte i is bits [8i+7 : 8i] of the bus (little endian), wstrb
/// bit i enables wdata byte i. len fields hold beats - 1, size fields
/// log2(bytes per beat), burst fields 0 FIXED / 1 INCR / 2 WRAP.
struct AxiSignals {
  // AR: read address
  bool arvalid = false;        ///< [M]
  bool arready = false;        ///< [S]
  std::uint64_t araddr = 0;    ///< [M]
  std::uint8_t arlen = 0;      ///< [M] beats - 1
  std::uint8_t arsize = 5;     ///< [M] log2(bytes per beat)
  std::uint8_t arburst = kAxiBurstIncr;  ///< [M]
  // R: read data
  bool rvalid = false;         ///< [S]
  bool rready = true;          ///< [M] must be 1 whenever rvalid is
  std::array<std::uint8_t, kAxiDataBytes> rdata{};  ///< [S]
  bool rlast = false;          ///< [S]
  std::uint8_t rresp = kAxiRespOkay;  ///< [S]
  // AW: write address (ctrl master only)
  bool awvalid = false;        ///< [M]
  bool awready = false;        ///< [S]
  std::uint64_t awaddr = 0;    ///< [M]
  std::uint8_t awlen = 0;      ///< [M]
  std::uint8_t awsize = 5;     ///< [M]
  std::uint8_t awburst = kAxiBurstIncr;  ///< [M]
  // W: write data
  bool wvalid = false;         ///< [M]
  bool wready = false;         ///< [S]
  std::array<std::uint8_t, kAxiDataBytes> wdata{};  ///< [M]
  std::uint32_t wstrb = 0;     ///< [M]
  bool wlast = false;          ///< [M]
  // B: write response
  bool bvalid = false;         ///< [S]
  bool bready = true;          ///< [M] must be 1 whenever bvalid is
  std::uint8_t bresp = kAxiRespOkay;  ///< [S]
};

/// One request the responder accepted (an AR or AW handshake).
struct AxiRequestRecord {
  cmodel::Cycle cycle = 0;  ///< the handshake cycle (the memory takes it from cycle + 1 on)
  int master = 0;
  std::uint64_t address = 0;
  std::uint32_t bytes = 0;
  bool write = false;
  cmodel::DramKind kind = cmodel::DramKind::kMeta;
  bool operator==(const AxiRequestRecord&) const = default;
};

class AxiMemory {
 public:
  explicit AxiMemory(const cmodel::HbmConfig& cfg, std::uint32_t beat_bytes = 32);
  AxiMemory(const AxiMemory&) = delete;
  AxiMemory& operator=(const AxiMemory&) = delete;

  /// Adds a master (an HbmMemory port, request and response FIFOs of depth 4,
  /// read data beat_bytes wide); returns its index, which is its port in hbm().
  int add_master(const std::string& name, bool can_write);
  int masters() const { return static_cast<int>(masters_.size()); }
  const std::string& master_name(int master) const;

  // ---- backing store --------------------------------------------------------
  void write_bytes(std::uint64_t address, std::span<const std::uint8_t> bytes);
  std::vector<std::uint8_t> read_bytes(std::uint64_t address, std::size_t n) const;
  void read_into(std::uint64_t address, std::span<std::uint8_t> out) const;

  /// A buffer [base, base + bytes) whose requests count as `kind`. Regions may
  /// not overlap (std::invalid_argument).
  void add_region(std::uint64_t base, std::uint64_t bytes, cmodel::DramKind kind, const std::string& name);

  // ---- the cycle (see the header comment) -----------------------------------
  void tick(cmodel::Cycle now);
  void drive(int master, AxiSignals& s);
  void sample(int master, const AxiSignals& s);
  /// drive() / sample() of every master, s[i] for master i (s.size() must be
  /// masters()): the same checks and effects in one call per cycle, which is
  /// what a whole-kernel harness with tens of masters wants.
  void drive_all(std::span<AxiSignals> s);
  void sample_all(std::span<const AxiSignals> s);
  /// The cycle of the last tick().
  cmodel::Cycle now() const { return now_; }

  /// True when no request is queued, in flight, streaming, waiting for W
  /// beats or waiting in a response FIFO, and no early W beat is buffered.
  bool idle() const;

  // ---- accounting -------------------------------------------------------------
  /// Every accepted request in handshake order (masters in index order within a cycle).
  const std::vector<AxiRequestRecord>& request_log() const { return log_; }
  void set_request_logging(bool on) { logging_ = on; }
  void clear_request_log() { log_.clear(); }
  std::uint64_t bytes_read(cmodel::DramKind k) const { return hbm_.bytes_read(k); }
  std::uint64_t bytes_written(cmodel::DramKind k) const { return hbm_.bytes_written(k); }
  std::uint32_t beat_bytes() const { return beat_bytes_; }
  cmodel::HbmMemory& hbm() { return hbm_; }
  const cmodel::HbmMemory& hbm() const { return hbm_; }

 private:
  using Page = std::array<std::uint8_t, 4096>;
  struct Region {
    std::uint64_t base;
    std::uint64_t bytes;
    cmodel::DramKind kind;
    std::string name;
  };
  struct Outstanding {  ///< an accepted request, in the port's response order
    std::uint64_t tag;
    bool write;
    std::uint64_t address;
    std::uint32_t beats;
    std::uint32_t beats_done = 0;  ///< R beats delivered (reads)
  };
  struct WriteData {  ///< a write still missing W beats
    std::uint64_t tag;
    std::uint64_t address;
    std::uint32_t beats;
    std::uint32_t received = 0;
  };
  struct EarlyBeat {  ///< a W beat that came before its AW
    std::array<std::uint8_t, kAxiDataBytes> data;
    std::uint32_t strb;
    bool last;
    cmodel::Cycle cycle;
  };
  struct AddrWait {  ///< an AR/AW held valid without a handshake
    bool waiting = false;
    std::uint64_t addr = 0;
    std::uint8_t len = 0, size = 0, burst = 0;
  };
  struct Master {
    std::string name;
    bool can_write;
    int port;
    // (rings, not deques: a whole-kernel co-simulation pushes and pops
    // several of these in every cycle)
    cmodel::RingQueue<Outstanding> streaming;   ///< accepted, not all beats driven
    cmodel::RingQueue<Outstanding> delivered;   ///< all beats driven, response not yet popped
    cmodel::RingQueue<WriteData> w_pending;     ///< writes awaiting W beats, in AW order
    cmodel::RingQueue<EarlyBeat> w_early;
    AddrWait ar_wait, aw_wait;
    // the HbmMemory port's FIFOs and beat, resolved once (re-resolved by
    // add_master: adding a port may move them); drive and sample run for
    // every master in every cycle
    cmodel::Fifo<cmodel::MemRequest>* req = nullptr;
    cmodel::Fifo<cmodel::MemResponse>* resp = nullptr;
    const cmodel::HbmMemory::Beat* beat = nullptr;
    bool can_push = false;                   ///< req->can_push(now) as drive() found it
    cmodel::Cycle driven = cmodel::kNever;   ///< last cycle drive() ran
    cmodel::Cycle sampled = cmodel::kNever;  ///< last cycle sample() ran
    // the backing-store page of this master's last R beat (a lane streams a
    // row from one page: one hash lookup per page, not per beat)
    std::uint64_t r_page_no = ~std::uint64_t{0};
    const Page* r_page = nullptr;
    // the regions of this master's last two requests (a lane's requests go
    // to one buffer, or to a key's MSB and LSB planes in turn: no map lookup
    // for most requests)
    std::array<const Region*, 2> last_regions{};
  };

  [[noreturn]] void fail(int master, const std::string& what, const std::string& expected = {},
                         const std::string& actual = {}) const;
  Master& at(int master);
  const Master& at(int master) const;
  void check_tick(int master, const char* who) const;
  void check_all(std::size_t signals, const char* who) const;
  void drive_master(int master, Master& m, AxiSignals& s);
  void sample_master(int master, Master& m, const AxiSignals& s);
  void read_beat(Master& m, std::uint64_t address, std::uint8_t* out);
  const Region& classify(int master, Master& m, std::uint64_t address, std::uint32_t bytes, bool write) const;
  void accept(int master, Master& m, bool write, std::uint64_t addr, std::uint8_t len, std::uint8_t size, std::uint8_t burst);
  void check_hold(int master, const char* ch, AddrWait& w, bool valid, std::uint64_t addr, std::uint8_t len,
                  std::uint8_t size, std::uint8_t burst, bool ready) const;
  void write_beat(int master, WriteData& w, const std::array<std::uint8_t, kAxiDataBytes>& data, std::uint32_t strb,
                  bool last);

  std::uint32_t beat_bytes_;
  std::uint8_t beat_size_;  ///< log2(beat_bytes)
  cmodel::HbmMemory hbm_;
  std::vector<Master> masters_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Page>> pages_;
  std::map<std::uint64_t, Region> regions_;  ///< by base
  std::vector<AxiRequestRecord> log_;
  bool logging_ = true;
  std::uint64_t next_tag_ = 1;
  cmodel::Cycle now_ = 0;
  bool ticked_ = false;
};

}  // namespace spatten::cosim
