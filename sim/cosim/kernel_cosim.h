// The whole-kernel co-simulation (sim/cosim/README.md): a verilated
// spatten_attention (hw/rtl/spatten_attention.sv) driven only through its
// AXI4-Lite control slave (AxiLiteMaster) and its AXI4 masters (AxiMemory over
// the cycle model's HbmMemory), as the driver and a board would, next to the
// cycle model's run of the same jobs (kernel_workload.h run_cmodel).
//
// Cycle alignment. The memory model starts in the first cycle of job 0 (X0,
// the cycle obs_job_start is first high; the RTL issues nothing before it),
// so its cycle t is the cycle model's cycle t: with the same HbmConfig
// (jitter included) both see the same memory. The scoreboards compare, job by
// job, each phase boundary (job start, key passes, softmax done, top-k,
// value pass, prob·V done), the DRAM request stream (every request the memory
// accepted: cycle, port, address, bytes, direction), the outputs and status
// records against golden, the words around them, and the call's done cycle;
// compare() reports the first divergence with its unit, cycle and values.
//
// Model: a Verilated spatten_attention of any preset (the class differs by
// preset; the ports are the same).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "axi_lite_master.h"
#include "axi_memory.h"
#include "kernel_workload.h"
#include "spatten/kernel/interface.h"
#include "verilated_warnings.h"


SPATTEN_VERILATED_BEGIN
#include "verilated.h"
#include "verilated_fst_c.h"
SPATTEN_VERILATED_END

namespace spatten::cosim {

namespace bits {
// Fields of Verilated ports: integral (CData..QData) or VlWide<N> (32-bit words).
template <class T>
requires std::is_integral_v<T> std::uint64_t get(const T& sig, int lo, int width) {
  const auto cur = static_cast<std::uint64_t>(sig) >> lo;
  return width >= 64 ? cur : (cur & ((std::uint64_t{1} << width) - 1));
}
template <std::size_t N>
std::uint64_t get(const VlWide<N>& sig, int lo, int width) {
  std::uint64_t v = 0;
  int got = 0;
  while (got < width) {
    const int pos = lo + got;
    const int take = std::min(32 - pos % 32, width - got);
    const std::uint64_t w = (static_cast<std::uint64_t>(sig[static_cast<std::size_t>(pos / 32)]) >> (pos % 32)) &
                            ((std::uint64_t{1} << take) - 1);
    v |= w << got;
    got += take;
  }
  return v;
}
template <class T>
requires std::is_integral_v<T> void put(T& sig, int lo, int width, std::uint64_t v) {
  const std::uint64_t mask = (width >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1)) << lo;
  sig = static_cast<T>((static_cast<std::uint64_t>(sig) & ~mask) | ((v << lo) & mask));
}
template <std::size_t N>
void put(VlWide<N>& sig, int lo, int width, std::uint64_t v) {
  int done = 0;
  while (done < width) {
    const int pos = lo + done;
    const int take = std::min(32 - pos % 32, width - done);
    const std::uint32_t m = static_cast<std::uint32_t>(((std::uint64_t{1} << take) - 1) << (pos % 32));
    auto& word = sig[static_cast<std::size_t>(pos / 32)];
    word = static_cast<EData>((word & ~m) | (static_cast<std::uint32_t>((v >> done) << (pos % 32)) & m));
    done += take;
  }
}
/// 32 bytes at bit `lo` (a multiple of 32) of a wide port. A VlWide word
/// holds bytes 4w .. 4w+3 little-endian, so on a little-endian host the
/// bytes are the words' memory image (one copy per beat instead of a loop
/// over bytes: these run for every lane in every cycle).
template <std::size_t N>
void get_bytes(const VlWide<N>& sig, int lo, std::array<std::uint8_t, kAxiDataBytes>& out) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data(), &sig[static_cast<std::size_t>(lo / 32)], kAxiDataBytes);
  } else {
    for (std::size_t w = 0; w < kAxiDataBytes / 4; ++w) {
      const std::uint32_t x = sig[static_cast<std::size_t>(lo / 32) + w];
      for (std::size_t b = 0; b < 4; ++b) out[4 * w + b] = static_cast<std::uint8_t>(x >> (8 * b));
    }
  }
}
template <std::size_t N>
void put_bytes(VlWide<N>& sig, int lo, const std::array<std::uint8_t, kAxiDataBytes>& in) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&sig[static_cast<std::size_t>(lo / 32)], in.data(), kAxiDataBytes);
  } else {
    for (std::size_t w = 0; w < kAxiDataBytes / 4; ++w) {
      std::uint32_t x = 0;
      for (std::size_t b = 0; b < 4; ++b) x |= static_cast<std::uint32_t>(in[4 * w + b]) << (8 * b);
      sig[static_cast<std::size_t>(lo / 32) + w] = x;
    }
  }
}
}  // namespace bits

template <class Model>
class KernelCosim {
 public:
  /// params: the preset's cycle-model parameters; their HBM configuration is
  /// the memory's (set jitter there). lanes: the kernel's LANES.
  KernelCosim(const cmodel::AccelParams& params, int lanes, std::uint64_t axilite_seed = 0)
      : params_(params), lanes_(lanes), ctx_(std::make_unique<VerilatedContext>()) {
    if (lanes_ < 1 || lanes_ > 32)
      throw std::invalid_argument("KernelCosim: " + std::to_string(lanes_) +
                                  " lanes; the harness drives 1 to 32 (one bit of a 64-bit mask per lane and 2 of rresp)");
    ctx_->traceEverOn(true);
    top_ = std::make_unique<Model>(ctx_.get(), "spatten_attention");
    sig_.resize(static_cast<std::size_t>(lanes_ + 1));
    lite_ = std::make_unique<AxiLiteMaster<Model>>(*top_, [this] { step(); }, axilite_seed);
    top_->ap_rst_n = 0;
    top_->ap_clk = 0;
    zero_memory_inputs();
    top_->eval();
  }
  ~KernelCosim() {
    if (fst_) fst_->close();
    top_->final();
  }
  KernelCosim(const KernelCosim&) = delete;
  KernelCosim& operator=(const KernelCosim&) = delete;

  Model& top() { return *top_; }
  AxiLiteMaster<Model>& lite() { return *lite_; }
  cmodel::Cycle now() const { return now_; }
  /// Memory of the current call (null before the first call).
  AxiMemory* memory() { return mem_.get(); }

  /// Writes an FST waveform of everything that follows.
  void open_wave(const std::string& path) {
    fst_ = std::make_unique<VerilatedFstC>();
    top_->trace(fst_.get(), 99);
    fst_->open(path.c_str());
  }

  /// Holds ap_rst_n low for `cycles` cycles, then releases it. The memory of
  /// an interrupted call is dropped (its responses would land in a fresh kernel).
  void reset(int cycles = 4) {
    top_->ap_rst_n = 0;
    mem_.reset();
    mem_started_ = false;
    for (int i = 0; i < cycles; ++i) step();
    top_->ap_rst_n = 1;
    step();
  }

  /// One clock cycle: memory, model, rising edge.
  void step() {
    if (mem_ && !mem_started_ && top_->obs_job_start) {
      mem_started_ = true;
      mnow_ = 0;
      call_.x0 = now_;
    }
    if (mem_started_) {
      mem_->tick(mnow_);
      mem_->drive_all(sig_);
      push_memory_inputs();
    } else {
      zero_memory_inputs();
    }
    top_->eval();
    if (mem_started_) {
      pull_memory_outputs();
      mem_->sample_all(sig_);
    }
    observe();
    top_->ap_clk = 1;
    top_->eval();
    if (fst_) fst_->dump(static_cast<std::uint64_t>(2 * now_ + 1));
    // The kernel has no falling-edge logic: without a waveform the low phase
    // is evaluated by the next cycle's first eval(), one eval() per cycle less.
    top_->ap_clk = 0;
    if (fst_) {
      top_->eval();
      fst_->dump(static_cast<std::uint64_t>(2 * now_ + 2));
    }
    ++now_;
    if (mem_started_) ++mnow_;
  }

  /// Writes the call's arguments through s_axi_control.
  void write_arguments(const KernelImage& img) {
    namespace kif = spatten::kernel_if;
    auto ptr = [&](std::uint32_t off, std::uint64_t v) {
      lite_->write32(off, static_cast<std::uint32_t>(v));
      lite_->write32(off + 4, static_cast<std::uint32_t>(v >> 32));
    };
    ptr(kif::ArgOffset::k_msb, img.k_msb);
    ptr(kif::ArgOffset::k_lsb, img.k_lsb);
    ptr(kif::ArgOffset::v_msb, img.v_msb);
    ptr(kif::ArgOffset::v_lsb, img.v_lsb);
    ptr(kif::ArgOffset::meta, img.meta);
    ptr(kif::ArgOffset::out, img.out);
    lite_->write32(kif::ArgOffset::num_jobs, img.num_jobs);
    lite_->write32(kif::ArgOffset::desc_offset, img.desc_offset);
  }

  /// Loads the image into a fresh memory and starts the call (arguments,
  /// interrupt enable, ap_start); returns at once.
  void start_call(const KernelImage& img, const std::vector<KernelJob>& jobs) {
    namespace kif = spatten::kernel_if;
    mem_ = std::make_unique<AxiMemory>(params_.hbm, 32);
    for (int l = 0; l < lanes_; ++l) mem_->add_master("lane" + std::to_string(l), false);
    mem_->add_master("ctrl", true);
    load(*mem_, img);
    call_ = RtlCall{};
    call_.jobs.clear();
    mem_->hbm().set_request_log(&call_.requests);
    mem_started_ = false;
    job_ = -1;
    expected_jobs_ = jobs.size();
    write_arguments(img);
    lite_->write32(kif::kRegGie, 1);
    lite_->write32(kif::kRegIer, kif::kRegIerDone);
    start_cycle_ = now_;
    lite_->write32(kif::kRegControl, kif::kRegControlApStart);
  }

  /// Steps until the interrupt (the call's ap_done), at most `limit` cycles;
  /// then acknowledges it and reads back results. `progress` (optional) is
  /// called every 65536 cycles with the cycle count.
  RtlCall finish_call(const KernelImage& img, const std::vector<KernelJob>& jobs, cmodel::Cycle limit,
                      const std::function<void(cmodel::Cycle)>& progress = {}) {
    namespace kif = spatten::kernel_if;
    while (!top_->__SYM__interrupt) {
      if (now_ - start_cycle_ > limit)
        throw std::runtime_error("RTL kernel: no interrupt within " + std::to_string(limit) + " cycles (job " +
                                 std::to_string(job_) + " of " + std::to_string(jobs.size()) + ")");
      step();
      if (progress && ((now_ - start_cycle_) & 0xFFFF) == 0) progress(now_ - start_cycle_);
    }
    call_.cycles = now_ - start_cycle_;
    lite_->write32(kif::kRegIsr, kif::kRegIsrDone);  // toggle-on-write clears it
    const std::uint32_t control = lite_->read32(kif::kRegControl);
    if ((control & kif::kRegControlApDone) == 0) throw std::runtime_error("RTL kernel: interrupt without ap_done");
    while (!mem_->idle()) step();  // nothing may still be in flight
    for (std::size_t i = 0; i < jobs.size(); ++i) call_.results.push_back(read_result(*mem_, img, jobs, i));
    call_.sentinels_ok = sentinels_intact(*mem_, img, jobs, &call_.sentinel_why);
    for (std::size_t k = 0; k < cmodel::kDramKinds; ++k)
      call_.bytes[k] = mem_->bytes_read(static_cast<cmodel::DramKind>(k)) + mem_->bytes_written(static_cast<cmodel::DramKind>(k));
    mem_->hbm().set_request_log(nullptr);
    return call_;
  }

  RtlCall run_call(const KernelImage& img, const std::vector<KernelJob>& jobs, cmodel::Cycle limit,
                   const std::function<void(cmodel::Cycle)>& progress = {}) {
    start_call(img, jobs);
    return finish_call(img, jobs, limit, progress);
  }

 private:
  void zero_memory_inputs() {
    top_->m_axi_lane_arready = 0;
    top_->m_axi_lane_rvalid = 0;
    top_->m_axi_lane_rlast = 0;
    top_->m_axi_ctrl_arready = 0;
    top_->m_axi_ctrl_rvalid = 0;
    top_->m_axi_ctrl_rlast = 0;
    top_->m_axi_ctrl_awready = 0;
    top_->m_axi_ctrl_wready = 0;
    top_->m_axi_ctrl_bvalid = 0;
  }
  // The lanes' one-bit signals go in as one mask each (lanes_ <= 32, checked
  // at construction): a per-lane read-modify-write of every field was a
  // measurable part of each simulated cycle.
  void push_memory_inputs() {
    std::uint64_t arready = 0, rvalid = 0, rlast = 0, rresp = 0;
    for (int l = 0; l < lanes_; ++l) {
      const AxiSignals& s = sig_[static_cast<std::size_t>(l)];
      arready |= std::uint64_t{s.arready} << l;
      rvalid |= std::uint64_t{s.rvalid} << l;
      rlast |= std::uint64_t{s.rlast} << l;
      rresp |= std::uint64_t{s.rresp} << (2 * l);
      if (s.rvalid) bits::put_bytes(top_->m_axi_lane_rdata, 256 * l, s.rdata);
    }
    bits::put(top_->m_axi_lane_arready, 0, lanes_, arready);
    bits::put(top_->m_axi_lane_rvalid, 0, lanes_, rvalid);
    bits::put(top_->m_axi_lane_rlast, 0, lanes_, rlast);
    bits::put(top_->m_axi_lane_rresp, 0, 2 * lanes_, rresp);
    const AxiSignals& c = sig_[static_cast<std::size_t>(lanes_)];
    top_->m_axi_ctrl_arready = c.arready;
    top_->m_axi_ctrl_rvalid = c.rvalid;
    top_->m_axi_ctrl_rlast = c.rlast;
    top_->m_axi_ctrl_rresp = c.rresp;
    if (c.rvalid) bits::put_bytes(top_->m_axi_ctrl_rdata, 0, c.rdata);
    top_->m_axi_ctrl_awready = c.awready;
    top_->m_axi_ctrl_wready = c.wready;
    top_->m_axi_ctrl_bvalid = c.bvalid;
    top_->m_axi_ctrl_bresp = c.bresp;
  }
  // A lane's AR fields are read only while arvalid: AxiMemory looks at them
  // only then (an address held without arvalid is not a request).
  void pull_memory_outputs() {
    const std::uint64_t arvalid = bits::get(top_->m_axi_lane_arvalid, 0, lanes_);
    const std::uint64_t rready = bits::get(top_->m_axi_lane_rready, 0, lanes_);
    for (int l = 0; l < lanes_; ++l) {
      AxiSignals& s = sig_[static_cast<std::size_t>(l)];
      s.arvalid = ((arvalid >> l) & 1u) != 0;
      s.rready = ((rready >> l) & 1u) != 0;
      if (!s.arvalid) continue;
      s.araddr = bits::get(top_->m_axi_lane_araddr, 64 * l, 64);
      s.arlen = static_cast<std::uint8_t>(bits::get(top_->m_axi_lane_arlen, 8 * l, 8));
      s.arsize = static_cast<std::uint8_t>(bits::get(top_->m_axi_lane_arsize, 3 * l, 3));
      s.arburst = static_cast<std::uint8_t>(bits::get(top_->m_axi_lane_arburst, 2 * l, 2));
    }
    AxiSignals& c = sig_[static_cast<std::size_t>(lanes_)];
    c.arvalid = top_->m_axi_ctrl_arvalid != 0;
    c.araddr = top_->m_axi_ctrl_araddr;
    c.arlen = top_->m_axi_ctrl_arlen;
    c.arsize = top_->m_axi_ctrl_arsize;
    c.arburst = top_->m_axi_ctrl_arburst;
    c.rready = top_->m_axi_ctrl_rready != 0;
    c.awvalid = top_->m_axi_ctrl_awvalid != 0;
    c.awaddr = top_->m_axi_ctrl_awaddr;
    c.awlen = top_->m_axi_ctrl_awlen;
    c.awsize = top_->m_axi_ctrl_awsize;
    c.awburst = top_->m_axi_ctrl_awburst;
    c.wvalid = top_->m_axi_ctrl_wvalid != 0;
    if (c.wvalid) bits::get_bytes(top_->m_axi_ctrl_wdata, 0, c.wdata);
    c.wstrb = top_->m_axi_ctrl_wstrb;
    c.wlast = top_->m_axi_ctrl_wlast != 0;
    c.bready = top_->m_axi_ctrl_bready != 0;
  }
  void observe() {
    if (!mem_started_) return;
    const cmodel::Cycle t = now_ - call_.x0;
    if (top_->obs_job_start) {
      if (job_ < 0 || call_.jobs[static_cast<std::size_t>(job_)].start != t) {
        ++job_;
        call_.jobs.emplace_back();
        call_.jobs.back().start = t;
        pass_ = 0;
      }
    }
    if (job_ < 0) return;
    RtlJobEvents& e = call_.jobs[static_cast<std::size_t>(job_)];
    if (top_->obs_key_start && pass_ < 2) e.key_start[pass_] = t;
    if (top_->obs_softmax_done && pass_ < 2) e.softmax_done[pass_++] = t;
    if (top_->obs_topk_start) e.topk_start = t;
    if (top_->obs_topk_done) e.topk_done = t;
    if (top_->obs_value_start) e.value_start = t;
    if (top_->obs_pv_done) e.pv_done = t;
    if (top_->obs_ap_done) call_.done = t;
  }

  cmodel::AccelParams params_;
  int lanes_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> top_;
  std::unique_ptr<AxiLiteMaster<Model>> lite_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::unique_ptr<AxiMemory> mem_;
  std::vector<AxiSignals> sig_;
  bool mem_started_ = false;
  cmodel::Cycle now_ = 0, mnow_ = 0, start_cycle_ = 0;
  RtlCall call_;
  int job_ = -1;
  int pass_ = 0;
  std::size_t expected_jobs_ = 0;
};

}  // namespace spatten::cosim
