// The JSON record of a run and its terminal summary (report.h).
#include "spatten/cmodel/report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spatten::cmodel {
namespace {

using nlohmann::json;

json by_kind(const std::array<std::uint64_t, kDramKinds>& a, std::uint64_t total) {
  json j = json::object();
  for (std::size_t k = 0; k < kDramKinds; ++k) j[dram_kind_name(static_cast<DramKind>(k))] = a[k];
  j["total"] = total;
  return j;
}

std::uint64_t sum(const std::array<std::uint64_t, kDramKinds>& a) {
  std::uint64_t s = 0;
  for (std::uint64_t v : a) s += v;
  return s;
}

json ops_json(const OpCounts& o) {
  return json{{"qk_macs", o.qk_macs},
              {"pv_macs", o.pv_macs},
              {"exp_ops", o.exp_ops},
              {"divisions", o.divisions},
              {"prob_multiplies", o.prob_multiplies},
              {"topk_comparisons", o.topk_comparisons},
              {"importance_adds", o.importance_adds},
              {"key_sram_read_bytes", o.key_sram_read_bytes},
              {"key_sram_write_bytes", o.key_sram_write_bytes},
              {"value_sram_read_bytes", o.value_sram_read_bytes},
              {"value_sram_write_bytes", o.value_sram_write_bytes}};
}

json energy_json(const EnergyBreakdown& e) {
  const EnergyRates& r = e.rates;
  return json{
      {"table", e.table},
      {"node_nm", e.node_nm},
      {"note", fmt::format("energy table {} is at {} nm; not scaled to the preset's process node", e.table,
                           e.node_nm)},
      {"softmax_pj", {{"exp", e.softmax_exp_pj}, {"divide", e.softmax_divide_pj}, {"normalize", e.softmax_normalize_pj}}},
      {"rates_pj",
       {{"qk_mac", r.qk_mac_pj},
        {"pv_mac", r.pv_mac_pj},
        {"exp", r.exp_pj},
        {"divide", r.divide_pj},
        {"normalize", r.normalize_pj},
        {"topk_compare", r.topk_compare_pj},
        {"importance_add", r.importance_add_pj},
        {"key_sram_per_64bit", r.key_sram_pj_per_64bit},
        {"value_sram_per_64bit", r.value_sram_pj_per_64bit},
        {"dram_per_byte", r.dram_pj_per_byte}}},
      {"widths_bits",
       {{"qk_multiply", json::array({r.qk_mult_a, r.qk_mult_b})},
        {"qk_accumulate", r.qk_acc_bits},
        {"pv_multiply", json::array({r.pv_mult_a, r.pv_mult_b})},
        {"pv_accumulate", r.pv_acc_bits},
        {"logit", r.logit_bits},
        {"exp_sum", r.exp_sum_bits},
        {"reciprocal", r.recip_bits}}}};
}

// ---- summary helpers -------------------------------------------------------

std::string group(std::uint64_t v) {
  std::string s = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  return out;
}

std::string bytes_str(double b) {
  if (b >= 1e9) return fmt::format("{:.2f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.2f} MB", b / 1e6);
  if (b >= 1e3) return fmt::format("{:.2f} kB", b / 1e3);
  return fmt::format("{:.0f} B", b);
}

std::string energy_str(double pj) {
  if (pj >= 1e12) return fmt::format("{:.3f} J", pj / 1e12);
  if (pj >= 1e9) return fmt::format("{:.3f} mJ", pj / 1e9);
  if (pj >= 1e6) return fmt::format("{:.3f} uJ", pj / 1e6);
  if (pj >= 1e3) return fmt::format("{:.3f} nJ", pj / 1e3);
  return fmt::format("{:.3f} pJ", pj);
}

std::string time_str(double s) {
  if (s >= 1.0) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.3f} us", s * 1e6);
}

double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

std::string str_or(const json& j, const char* key, const std::string& fallback = {}) {
  if (j.is_object() && j.contains(key)) {
    const json& v = j.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean()) return v.dump();
  }
  return fallback;
}

double num_or(const json& j, const char* key, double fallback = 0.0) {
  if (j.is_object() && j.contains(key) && j.at(key).is_number()) return j.at(key).get<double>();
  return fallback;
}

bool is_count(const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0); }

std::uint64_t uint_or(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && is_count(j.at(key))) return j.at(key).get<std::uint64_t>();
  return 0;
}

std::string workload_line(const json& w, const json& c) {
  std::string what;
  const std::string kind = str_or(w, "kind");
  if (kind == "trace") {
    what = fmt::format("trace {}", str_or(w, "file", "?"));
    if (w.contains("rows")) what += fmt::format(" ({} rows)", str_or(w, "rows"));
  } else if (kind == "decode") {
    what = fmt::format("{} decode, policy {}, context {} + {} steps", str_or(w, "model", "?"),
                       str_or(w, "policy", "?"), str_or(w, "context", "?"), str_or(w, "steps", "?"));
  } else if (!kind.empty()) {
    what = kind;
  }
  const std::string preset = str_or(c, "preset");
  if (preset.empty()) return what;
  return what.empty() ? fmt::format("preset {}", preset) : fmt::format("{} on preset {}", what, preset);
}

}  // namespace

json to_json(const RunResult& run, const EnergyBreakdown& e, const json& config_echo, const json& workload_echo) {
  json j;
  j["record_version"] = kRecordVersion;
  j["cycles"] = static_cast<std::uint64_t>(run.cycles);
  j["seconds"] = run.seconds;
  std::array<std::uint64_t, kDramKinds> both{};
  for (std::size_t k = 0; k < kDramKinds; ++k) both[k] = run.dram_read[k] + run.dram_written[k];
  j["dram_bytes"] = by_kind(both, run.dram_total);
  j["dram_bytes_read"] = by_kind(run.dram_read, sum(run.dram_read));
  j["dram_bytes_written"] = by_kind(run.dram_written, sum(run.dram_written));
  j["hbm_utilization"] = run.hbm_utilization;

  json busy = json::object(), stall = json::object();
  for (const UnitReport& u : run.units) {
    std::string name = u.name;
    for (int n = 2; busy.contains(name); ++n) name = fmt::format("{}#{}", u.name, n);
    busy[name] = u.busy_cycles;
    stall[name] = u.stall_cycles;
  }
  j["busy_cycles"] = std::move(busy);
  j["stall_cycles"] = std::move(stall);

  json epj = json::object();
  for (const auto& [name, pj] : e.components()) epj[name] = pj;
  epj["total"] = e.total_pj;
  j["energy_pj"] = std::move(epj);
  j["energy"] = energy_json(e);

  j["ops"] = ops_json(run.ops);
  j["facts"] = json{{"head_jobs", run.head_jobs},
                    {"requant_rows", run.requant_rows},
                    {"keys_fetched", run.keys_fetched},
                    {"values_fetched", run.values_fetched},
                    {"token_topk_events", run.token_topk_events},
                    {"head_topk_events", run.head_topk_events}};
  j["config"] = config_echo;
  j["workload"] = workload_echo;
  return j;
}

std::string text_summary(const json& r) {
  std::string s;
  const json empty = json::object();
  const json& cfg = r.contains("config") ? r.at("config") : empty;
  const json& wl = r.contains("workload") ? r.at("workload") : empty;
  const std::string head = workload_line(wl, cfg);
  if (!head.empty()) s += fmt::format("spatten-sim: {}\n", head);

  const std::uint64_t cycles = uint_or(r, "cycles");
  const double seconds = num_or(r, "seconds");
  double mhz = num_or(cfg, "clock_mhz");
  if (mhz <= 0 && seconds > 0) mhz = static_cast<double>(cycles) / seconds / 1e6;
  s += fmt::format("{:<14}{}", "cycles", group(cycles));
  if (seconds > 0 || mhz > 0) s += fmt::format("   ({} at {:.0f} MHz)", time_str(seconds), mhz);
  s += "\n";

  if (r.contains("facts")) {
    const json& f = r.at("facts");
    const std::uint64_t jobs = uint_or(f, "head_jobs"), rq = uint_or(f, "requant_rows");
    s += fmt::format("{:<14}{}   requant rows {} ({:.1f}%)   token top-k {}   head top-k {}\n", "head jobs",
                     group(jobs), group(rq), pct(static_cast<double>(rq), static_cast<double>(jobs)),
                     group(uint_or(f, "token_topk_events")), group(uint_or(f, "head_topk_events")));
    s += fmt::format("{:<14}keys {}   values {}\n", "fetched", group(uint_or(f, "keys_fetched")),
                     group(uint_or(f, "values_fetched")));
  }

  if (r.contains("dram_bytes")) {
    const json& d = r.at("dram_bytes");
    const double total = num_or(d, "total");
    s += fmt::format("{:<14}{} ({} B)   HBM utilization {:.1f}% of peak\n", "DRAM", bytes_str(total),
                     group(uint_or(d, "total")), 100.0 * num_or(r, "hbm_utilization"));
    for (std::size_t k = 0; k < kDramKinds; ++k) {
      const char* name = dram_kind_name(static_cast<DramKind>(k));
      const double b = num_or(d, name);
      s += fmt::format("  {:<12}{:>12}  {:5.1f}%\n", name, bytes_str(b), pct(b, total));
    }
  }

  if (r.contains("energy_pj")) {
    const json& en = r.at("energy_pj");
    const double total = num_or(en, "total");
    std::string table;
    if (r.contains("energy")) {
      const json& meta = r.at("energy");
      table = fmt::format("   (table {}, {} nm, not scaled to the preset's node)", str_or(meta, "table", "?"),
                          str_or(meta, "node_nm", "?"));
    }
    s += fmt::format("{:<14}{}{}\n", "energy", energy_str(total), table);
    std::vector<std::pair<std::string, double>> parts;
    for (const auto& [name, v] : en.items())
      if (name != "total" && v.is_number()) parts.emplace_back(name, v.get<double>());
    std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [name, pj] : parts)
      s += fmt::format("  {:<16}{:>12}  {:5.1f}%\n", name, energy_str(pj), pct(pj, total));
  }

  if (r.contains("busy_cycles") && r.at("busy_cycles").is_object() && !r.at("busy_cycles").empty()) {
    const json& busy = r.at("busy_cycles");
    const json& stall = r.contains("stall_cycles") ? r.at("stall_cycles") : empty;
    std::vector<std::pair<std::string, std::uint64_t>> units;
    for (const auto& [name, v] : busy.items())
      if (is_count(v)) units.emplace_back(name, v.get<std::uint64_t>());
    std::stable_sort(units.begin(), units.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    constexpr std::size_t kShown = 6;
    s += fmt::format("busiest units (of {}; % of cycles busy / stalled)\n", units.size());
    const double c = static_cast<double>(cycles);
    for (std::size_t i = 0; i < units.size() && i < kShown; ++i) {
      const std::uint64_t st = uint_or(stall, units[i].first.c_str());
      s += fmt::format("  {:<20}{:6.1f}%  {:6.1f}%\n", units[i].first, pct(static_cast<double>(units[i].second), c),
                       pct(static_cast<double>(st), c));
    }
  }
  return s;
}

}  // namespace spatten::cmodel
