// The kernel interface generated from models/kernel/spatten-kernel.yaml: the
// register map follows PLATFORM.md's ap_ctrl_hs table, the descriptor packs and
// unpacks losslessly, the three generated languages agree, and a damaged
// description fails with one clear message.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "spatten/kernel/interface.h"
#include "spatten/models/generate.h"
#include "spatten/models/presets.h"
#include "spatten_test_seed.h"

namespace {

namespace kif = spatten::kernel_if;
namespace sm = spatten::models;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(KernelInterface, RegisterMapFollowsApCtrlHs) {
  EXPECT_EQ(kif::kRegControl, 0x00u);
  EXPECT_EQ(kif::kRegGie, 0x04u);
  EXPECT_EQ(kif::kRegIer, 0x08u);
  EXPECT_EQ(kif::kRegIsr, 0x0Cu);
  EXPECT_EQ(kif::kRegControlApStart, 1u << 0);
  EXPECT_EQ(kif::kRegControlApDone, 1u << 1);
  EXPECT_EQ(kif::kRegControlApIdle, 1u << 2);
  EXPECT_EQ(kif::kRegControlApReady, 1u << 3);
  EXPECT_EQ(kif::kRegControlAutoRestart, 1u << 7);
  // arguments from 0x10; a pointer takes 0xC (low, high, reserved), a 32-bit scalar 0x8
  std::uint32_t expect = 0x10;
  for (const auto& a : kif::kArguments) {
    EXPECT_EQ(a.offset, expect) << a.name;
    expect += a.is_pointer ? 0xCu : 0x8u;
    if (a.is_pointer) {
      EXPECT_STRNE(a.bundle, "") << a.name;
    }
  }
  EXPECT_EQ(kif::kArgumentsEnd, expect);
  EXPECT_EQ(kif::ArgOffset::k_msb, 0x10u);
  EXPECT_EQ(kif::ArgOffset::k_lsb, 0x1Cu);
  EXPECT_EQ(kif::ArgOffset::out, 0x4Cu);
  EXPECT_EQ(kif::ArgOffset::num_jobs, 0x58u);
  EXPECT_EQ(kif::ArgOffset::desc_offset, 0x60u);
  EXPECT_EQ(kif::kDescriptorBytes, 64);
}

TEST(KernelInterface, DescriptorRoundTripsThroughBytes) {
  std::mt19937_64 rng(spatten::test::test_seed());
  for (int iter = 0; iter < 2000; ++iter) {
    std::uint32_t raw[kif::kNumDescriptorFields];
    kif::JobDescriptor d;
    std::uint32_t* fields[] = {&d.n_live, nullptr, nullptr, &d.value_keep, &d.requant_threshold_q16, nullptr, nullptr,
                               &d.k_msb_offset, &d.k_lsb_offset, &d.v_msb_offset, &d.v_lsb_offset, &d.live_offset,
                               &d.query_offset, &d.out_offset, &d.status_offset, &d.context_len, &d.sink_tokens,
                               &d.recent_tokens};
    static_assert(sizeof(fields) / sizeof(fields[0]) == kif::kNumDescriptorFields, "a pointer per field");
    for (int f = 0; f < kif::kNumDescriptorFields; ++f) {
      const int bits = kif::kDescriptorFields[f].bits;
      raw[f] = static_cast<std::uint32_t>(rng()) & (bits == 32 ? 0xFFFFFFFFu : ((1u << bits) - 1u));
      if (fields[f] != nullptr) *fields[f] = raw[f];
    }
    d.head_dim = static_cast<std::uint16_t>(raw[1]);
    d.flags = static_cast<std::uint16_t>(raw[2]);
    d.score_mult = static_cast<std::uint16_t>(raw[5]);
    d.score_shift = static_cast<std::uint8_t>(raw[6]);
    ASSERT_EQ(kif::descriptor_field_overflow(d), nullptr);
    std::uint8_t bytes[kif::kDescriptorBytes];
    kif::descriptor_to_bytes(d, bytes);
    // every field sits at its documented byte offset, little-endian
    for (int f = 0; f < kif::kNumDescriptorFields; ++f) {
      const auto& info = kif::kDescriptorFields[f];
      std::uint32_t v = 0;
      for (int b = 0; b < info.bytes; ++b) v |= static_cast<std::uint32_t>(bytes[info.byte_offset + b]) << (8 * b);
      ASSERT_EQ(v, raw[f]) << info.name;
    }
    const kif::JobDescriptor e = kif::descriptor_from_bytes(bytes);
    ASSERT_EQ(e.n_live, d.n_live);
    ASSERT_EQ(e.head_dim, d.head_dim);
    ASSERT_EQ(e.flags, d.flags);
    ASSERT_EQ(e.score_shift, d.score_shift);
    ASSERT_EQ(e.status_offset, d.status_offset);
    ASSERT_EQ(e.context_len, d.context_len);
    ASSERT_EQ(e.sink_tokens, d.sink_tokens);
    ASSERT_EQ(e.recent_tokens, d.recent_tokens);
  }
  kif::JobDescriptor big;
  big.head_dim = 512;  // 9 bits
  EXPECT_STREQ(kif::descriptor_field_overflow(big), "head_dim");
  big.head_dim = 0;
  big.score_shift = 64;
  EXPECT_STREQ(kif::descriptor_field_overflow(big), "score_shift");
}

TEST(KernelInterface, SvAndTclAgreeWithCpp) {
  const std::string sv = slurp(std::string(SPATTEN_GENERATED_DIR) + "/sv/spatten_kernel_pkg.sv");
  const std::string tcl = slurp(std::string(SPATTEN_GENERATED_DIR) + "/tcl/spatten-kernel.tcl");
  ASSERT_FALSE(sv.empty());
  ASSERT_FALSE(tcl.empty());
  for (const auto& a : kif::kArguments) {
    std::string up = a.name;
    for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    char hex[16];
    std::snprintf(hex, sizeof hex, "%02X", a.offset);
    EXPECT_NE(sv.find("ARG_" + up + "_OFFSET = 32'h" + hex + ";"), std::string::npos) << a.name;
    std::snprintf(hex, sizeof hex, "0x%X", a.offset);
    EXPECT_NE(tcl.find(std::string(a.name) + " " + hex), std::string::npos) << a.name;
    if (a.is_pointer) {
      EXPECT_NE(tcl.find(std::string(a.name) + " " + a.bundle), std::string::npos) << a.name;
    }
  }
  for (const auto& f : kif::kDescriptorFields) {
    std::string up = f.name;
    for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_NE(sv.find("DESC_" + up + "_LSB = " + std::to_string(8 * f.byte_offset) + ";"), std::string::npos);
    EXPECT_NE(sv.find("DESC_" + up + "_BITS = " + std::to_string(f.bits) + ";"), std::string::npos);
    EXPECT_NE(sv.find("logic [" + std::to_string(f.bits - 1) + ":0] " + f.name + ";"), std::string::npos);
  }
  // the packed struct covers exactly DESC_BITS
  std::regex field_re(R"(logic \[(\d+):0\] \w+;)");
  int total = 0;
  for (std::sregex_iterator it(sv.begin(), sv.end(), field_re), end; it != end; ++it) total += std::stoi((*it)[1]) + 1;
  EXPECT_EQ(total, 8 * kif::kDescriptorBytes);
}

std::string load_error(const std::string& text) {
  try {
    sm::load_kernel_interface_from_string(text, "k.yaml");
  } catch (const sm::PresetError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(KernelInterface, DamagedDescriptionsFailClearly) {
  const std::string good = slurp(sm::default_kernel_interface().string());
  ASSERT_NO_THROW(sm::load_kernel_interface_from_string(good, "k.yaml"));
  auto damaged = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    const auto pos = t.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) t.replace(pos, from.size(), to);
    return load_error(t);
  };
  EXPECT_NE(damaged("{name: head_dim, offset: 4,", "{name: head_dim, offset: 2,").find("overlaps field 'n_live'"),
            std::string::npos);
  EXPECT_NE(damaged("{name: score_mult, offset: 16,", "{name: score_mult, offset: 17,").find("not aligned"),
            std::string::npos);
  EXPECT_NE(damaged("bundle: gmem_klsb", "bundle: gmem_kmsb").find("is used by another pointer"), std::string::npos);
  EXPECT_NE(damaged("offset: 48, bits: 32", "offset: 64, bits: 32").find("out of range"), std::string::npos);
  EXPECT_NE(damaged("unit: meta, doc: \"word index of the query", "unit: nowhere, doc: \"word index of the query")
                .find("is not a pointer argument"),
            std::string::npos);
  EXPECT_NE(damaged("kind: scalar\n    element: uint32\n    doc: head jobs",
                    "kind: scalar\n    bundle: x\n    element: uint32\n    doc: head jobs")
                .find("a scalar has no m_axi bundle"),
            std::string::npos);
  EXPECT_NE(damaged("first_argument_offset:", "first_argument_ofset:").find("did you mean"), std::string::npos);
  EXPECT_NE(damaged("access: write\n    rtl_master: ctrl", "access: write\n    rtl_master: lane")
                .find("rtl_master = lane on a written pointer"),
            std::string::npos);
  EXPECT_NE(damaged("access: read\n    rtl_master: lane", "access: read").find("rtl_master"), std::string::npos)
      << "a pointer without rtl_master";
  EXPECT_NE(damaged("rtl_master: lane", "rtl_master: lanes").find("rtl_master"), std::string::npos);
  EXPECT_NE(damaged("kind: scalar\n    element: uint32\n    doc: head jobs",
                    "kind: scalar\n    rtl_master: ctrl\n    element: uint32\n    doc: head jobs")
                .find("a scalar has no m_axi bundle, access or rtl_master"),
            std::string::npos);
}

TEST(KernelInterface, RtlKernelFilesFollowThePresetAndTheRegisterMap) {
  const sm::KernelInterface k = sm::load_kernel_interface(sm::default_kernel_interface());
  for (const char* name : {"spatten-1-8", "alveo-u55c"}) {
    const sm::AcceleratorPreset p = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, name));
    const std::vector<std::string> masters = sm::rtl_kernel_masters(p);
    ASSERT_EQ(masters.size(), static_cast<std::size_t>(p.hardware.hbm_channels_used) + 1) << name;
    EXPECT_EQ(masters.front(), "m_axi_lane00");
    EXPECT_EQ(masters.back(), "m_axi_ctrl");
    const std::string sv = sm::generate_rtl_kernel_wrapper(p, k, "test");
    const std::string xml = sm::generate_rtl_kernel_xml(p, k);
    const std::string cfg = sm::generate_rtl_link_cfg(p, k, "test");
    const std::string top = k.name + "_" + sm::config_ident(p.name);
    EXPECT_NE(sv.find("module " + top + " ("), std::string::npos) << name;
    EXPECT_NE(xml.find("<kernel name=\"" + top + "\""), std::string::npos) << name;
    EXPECT_NE(cfg.find("nk=" + top + ":1:"), std::string::npos) << name;
    for (const std::string& m : masters) {
      EXPECT_NE(sv.find(m + "_arvalid,"), std::string::npos) << name << " " << m;
      EXPECT_NE(xml.find("<port name=\"" + m + "\" mode=\"master\""), std::string::npos) << name << " " << m;
      EXPECT_NE(cfg.find("." + m + ":HBM[0:" + std::to_string(p.hardware.hbm_channels - 1) + "]"), std::string::npos)
          << name << " " << m;
    }
    // every argument at the offset of the generated register map (kernel_if, the C++ side)
    for (const auto& a : spatten::kernel_if::kArguments) {
      char want[64];
      std::snprintf(want, sizeof want, "<arg name=\"%s\"", a.name);
      const auto at = xml.find(want);
      ASSERT_NE(at, std::string::npos) << a.name;
      char off[32];
      std::snprintf(off, sizeof off, "offset=\"0x%X\"", static_cast<unsigned>(a.offset));
      EXPECT_NE(xml.substr(at, xml.find("/>", at) - at).find(off), std::string::npos) << a.name << " " << off;
    }
  }
  // the s_axi_control address of the RTL (hw/rtl/spatten_attention.sv: 7 bits)
  EXPECT_EQ(sm::rtl_kernel_control_address_bits(k), 7);
}

TEST(KernelInterface, GeneratorCommandLine) {
  const std::string gen = SPATTEN_GEN_EXE;
  EXPECT_EQ(std::system((gen + " --kernel " + sm::default_kernel_interface().string() + " > /dev/null").c_str()), 0);
  EXPECT_NE(std::system((gen + " --kernel /nonexistent.yaml 2> /dev/null").c_str()), 0);
}

}  // namespace
