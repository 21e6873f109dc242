// A whole co-simulation run of many jobs, split into calls (the spatten-cosim
// tool, bench/bench_cosim.cpp): each call is one memory image (lay_out), one
// run of the cycle model (run_cmodel), the golden result of every job and one
// RTL run_call on a KernelCosim that lives for the whole run (reset once, the
// calls back to back, as the driver would issue them). The run stops at the
// first call that diverges (compare() != "" or the RTL broke the AXI protocol
// or never raised its interrupt). Wall time is kept apart for the workload
// set-up (data and layout), golden, the cycle model and the RTL.
#pragma once

#include <array>
#include <chrono>
#include <ctime>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "kernel_cosim.h"
#include "kernel_workload.h"

namespace spatten::cosim {

struct CosimRunConfig {
  cmodel::AccelParams params;  ///< the preset's parameters, jitter set in params.hbm (both models get them)
  std::string wave;            ///< FST file of the whole RTL run ("" none)
  std::uint64_t axilite_seed = 0;  ///< AXI-Lite master handshake jitter (KernelCosim)
  bool rtl = true;             ///< false: the cycle model (and golden) only, for timing it alone
};

struct CosimTotals {
  std::size_t calls = 0;  ///< calls run (the divergent one included)
  std::size_t jobs = 0;   ///< jobs in those calls
  std::size_t progressive_jobs = 0;   ///< of them: progressive (MSB pass first)
  std::size_t refetched_jobs = 0;     ///< of them: golden refetched the LSBs
  std::size_t value_pruned_jobs = 0;  ///< of them: head jobs with value_keep < n (the value top-k ran)
  std::size_t decision_jobs = 0;      ///< of them: cascade token decisions
  cmodel::Cycle rtl_cycles = 0;      ///< RTL clock cycles of the calls (ap_start write to interrupt)
  /// Every clock cycle the RTL model was stepped in rtl_seconds: rtl_cycles
  /// plus each call's AXI-Lite argument writes before ap_start and its
  /// interrupt clear, status read and memory drain after (the simulation
  /// rate is clocked_cycles / rtl_seconds: the time of those cycles is in
  /// rtl_seconds too)
  cmodel::Cycle clocked_cycles = 0;
  cmodel::Cycle checked_cycles = 0;  ///< cycles from job 0's start to ap_done, summed (compare() checks them)
  cmodel::Cycle cmodel_cycles = 0;   ///< the cycle model's RunResult::cycles, summed
  double setup_seconds = 0, golden_seconds = 0, cmodel_seconds = 0, rtl_seconds = 0;  ///< wall
  double rtl_cpu_seconds = 0;  ///< CPU time of the calling thread in the RTL runs (robust to a loaded machine)
  std::array<std::uint64_t, cmodel::kDramKinds> rtl_bytes{};     ///< read + written by kind
  std::array<std::uint64_t, cmodel::kDramKinds> cmodel_bytes{};  ///< read + written by kind
  std::string divergence;            ///< "" when every call agreed
  std::size_t divergent_call = 0;    ///< valid when divergence is set
  std::size_t divergent_first_job = 0;  ///< index (over the run) of that call's job 0
  std::size_t divergent_jobs = 0;       ///< jobs of that call
  bool agree() const { return divergence.empty(); }
  /// The simulation rate: clocked cycles per wall-second (per CPU-second) of the RTL runs.
  double cycles_per_second() const {
    return rtl_seconds > 0 ? static_cast<double>(clocked_cycles) / rtl_seconds : 0.0;
  }
  double cycles_per_cpu_second() const {
    return rtl_cpu_seconds > 0 ? static_cast<double>(clocked_cycles) / rtl_cpu_seconds : 0.0;
  }
};

/// Called every 65536 RTL cycles and after each call: calls done, jobs done,
/// RTL cycles so far.
using CosimProgress = std::function<void(std::size_t calls_done, std::size_t jobs_done, cmodel::Cycle rtl_cycles)>;

/// Runs `calls` calls; jobs_of(c) makes call c's jobs (its time counts as set-up).
/// CPU seconds of the calling thread.
inline double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <class Model>
CosimTotals run_cosim(const CosimRunConfig& cfg, std::size_t calls,
                      const std::function<std::vector<KernelJob>(std::size_t)>& jobs_of,
                      const CosimProgress& progress = {}) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  CosimTotals tot;
  std::unique_ptr<KernelCosim<Model>> sim;
  if (cfg.rtl) {
    sim = std::make_unique<KernelCosim<Model>>(cfg.params, cfg.params.hbm.channels, cfg.axilite_seed);
    if (!cfg.wave.empty()) sim->open_wave(cfg.wave);
    sim->reset();
  }
  // the token importance the calls leave to each other (the RTL keeps its own)
  std::vector<std::uint64_t> golden_importance(static_cast<std::size_t>(KernelCfg::max_context), 0);
  std::vector<std::uint64_t> cmodel_importance = golden_importance;
  for (std::size_t c = 0; c < calls; ++c) {
    auto t0 = Clock::now();
    const std::vector<KernelJob> jobs = jobs_of(c);
    if (jobs.empty()) continue;
    const KernelImage img = lay_out(jobs);
    tot.setup_seconds += since(t0);

    t0 = Clock::now();
    const std::vector<KernelResult> golden = golden_results(jobs, golden_importance);
    tot.golden_seconds += since(t0);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (jobs[i].job.progressive) ++tot.progressive_jobs;
      if ((golden[i].status[spatten::kernel_if::StatusIndex::flags] & spatten::kernel_if::kStatusLsbRefetched) != 0)
        ++tot.refetched_jobs;
      if (jobs[i].decide) {
        ++tot.decision_jobs;
      } else if (jobs[i].job.value_keep < jobs[i].job.n) {
        ++tot.value_pruned_jobs;
      }
    }

    t0 = Clock::now();
    const CmodelCall cm = run_cmodel(cfg.params, img, jobs, &cmodel_importance);
    tot.cmodel_seconds += since(t0);
    tot.cmodel_cycles += cm.run.cycles;
    for (std::size_t k = 0; k < cmodel::kDramKinds; ++k) tot.cmodel_bytes[k] += cm.run.dram_read[k] + cm.run.dram_written[k];

    const std::size_t first_job = tot.jobs;
    ++tot.calls;
    tot.jobs += jobs.size();
    if (!cfg.rtl) {
      if (progress) progress(tot.calls, tot.jobs, 0);
      continue;
    }
    auto mark = [&](std::string why) {
      tot.divergence = std::move(why);
      tot.divergent_call = c;
      tot.divergent_first_job = first_job;
      tot.divergent_jobs = jobs.size();
    };
    const cmodel::Cycle before = tot.rtl_cycles;
    const cmodel::Cycle limit = 4 * cm.run.cycles + 100000;
    t0 = Clock::now();
    const double cpu0 = thread_cpu_seconds();
    const cmodel::Cycle clock0 = sim->now();
    RtlCall rtl;
    try {
      rtl = sim->run_call(img, jobs, limit, [&](cmodel::Cycle cyc) {
        if (progress) progress(tot.calls - 1, first_job, before + cyc);
      });
    } catch (const std::exception& e) {
      tot.rtl_seconds += since(t0);
      tot.rtl_cpu_seconds += thread_cpu_seconds() - cpu0;
      tot.clocked_cycles += sim->now() - clock0;
      mark(std::string("RTL kernel: ") + e.what());
      break;
    }
    tot.rtl_seconds += since(t0);
    tot.rtl_cpu_seconds += thread_cpu_seconds() - cpu0;
    tot.clocked_cycles += sim->now() - clock0;
    tot.rtl_cycles += rtl.cycles;
    tot.checked_cycles += rtl.done == cmodel::kNever ? 0 : rtl.done;
    for (std::size_t k = 0; k < cmodel::kDramKinds; ++k) tot.rtl_bytes[k] += rtl.bytes[k];
    if (progress) progress(tot.calls, tot.jobs, tot.rtl_cycles);
    if (std::string why = compare(rtl, cm, jobs, golden); !why.empty()) {
      mark(std::move(why));
      break;
    }
  }
  return tot;
}

}  // namespace spatten::cosim
