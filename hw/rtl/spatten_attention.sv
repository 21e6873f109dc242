// hw/rtl/spatten_attention.sv — the Vitis RTL kernel top: s_axi_control
// (ap_ctrl_hs and the argument registers of models/kernel/spatten-kernel.yaml)
// in front of spatten_attention_core, AXI4 masters with 64-bit addresses and
// 256-bit data, ap_clk, ap_rst_n, interrupt. No vendor IP.
//
// Parameters come from one preset's generated package
// (build/generated/sv/<preset>.sv): define SPATTEN_PRESET_PKG to its name
// (e.g. +define+SPATTEN_PRESET_PKG=spatten_alveo_u55c_pkg); the default is
// spatten-1-8's. Nothing here repeats a number of a preset.
//
// Masters
//   m_axi_ctrl   read/write: descriptors, queries (reads), outputs and status
//                records (writes); the job controller's.
//   m_axi_lane   LANES read-only masters (hbm_channels_used), packed: lane i's
//                signals are bits [i*W +: W] of each vector; K and V rows and
//                the live-token lists. Packaging for v++ needs one named
//                interface per lane (m_axi_lane<i>_*): the per-preset wrapper
//                that only renames is generated (spatten-gen --rtl-kernel,
//                scripts/rtl/README.md).
// Every burst is INCR of 32-byte beats (arsize/awsize 5), aligned, within a
// 4 KiB page (the job controller rejects jobs whose layout would break that).
// rready and bready are always 1 (the kernel reserves buffer space before it
// asks); rresp/bresp are not checked (an error response cannot be reported
// through ap_ctrl_hs; the status record has no field for it).
`ifndef SPATTEN_PRESET_PKG
`define SPATTEN_PRESET_PKG spatten_spatten_1_8_pkg
`endif
module spatten_attention
  import `SPATTEN_PRESET_PKG::*;
#(
  parameter int LANES = int'(HBM_CHANNELS_USED)   // must keep this value
) (
  input  logic                   ap_clk,
  input  logic                   ap_rst_n,
  // AXI4-Lite control slave
  input  logic                   s_axi_control_awvalid,
  output logic                   s_axi_control_awready,
  input  logic [6:0]             s_axi_control_awaddr,
  input  logic                   s_axi_control_wvalid,
  output logic                   s_axi_control_wready,
  input  logic [31:0]            s_axi_control_wdata,
  input  logic [3:0]             s_axi_control_wstrb,
  output logic                   s_axi_control_bvalid,
  input  logic                   s_axi_control_bready,
  output logic [1:0]             s_axi_control_bresp,
  input  logic                   s_axi_control_arvalid,
  output logic                   s_axi_control_arready,
  input  logic [6:0]             s_axi_control_araddr,
  output logic                   s_axi_control_rvalid,
  input  logic                   s_axi_control_rready,
  output logic [31:0]            s_axi_control_rdata,
  output logic [1:0]             s_axi_control_rresp,
  /* verilator lint_off SYMRSVDWORD */
  output logic                   interrupt,   // Vitis requires this name
  /* verilator lint_on SYMRSVDWORD */
  // AXI4 master ctrl
  output logic                   m_axi_ctrl_arvalid,
  input  logic                   m_axi_ctrl_arready,
  output logic [63:0]            m_axi_ctrl_araddr,
  output logic [7:0]             m_axi_ctrl_arlen,
  output logic [2:0]             m_axi_ctrl_arsize,
  output logic [1:0]             m_axi_ctrl_arburst,
  input  logic                   m_axi_ctrl_rvalid,
  output logic                   m_axi_ctrl_rready,
  input  logic [255:0]           m_axi_ctrl_rdata,
  input  logic                   m_axi_ctrl_rlast,
  input  logic [1:0]             m_axi_ctrl_rresp,
  output logic                   m_axi_ctrl_awvalid,
  input  logic                   m_axi_ctrl_awready,
  output logic [63:0]            m_axi_ctrl_awaddr,
  output logic [7:0]             m_axi_ctrl_awlen,
  output logic [2:0]             m_axi_ctrl_awsize,
  output logic [1:0]             m_axi_ctrl_awburst,
  output logic                   m_axi_ctrl_wvalid,
  input  logic                   m_axi_ctrl_wready,
  output logic [255:0]           m_axi_ctrl_wdata,
  output logic [31:0]            m_axi_ctrl_wstrb,
  output logic                   m_axi_ctrl_wlast,
  input  logic                   m_axi_ctrl_bvalid,
  output logic                   m_axi_ctrl_bready,
  input  logic [1:0]             m_axi_ctrl_bresp,
  // AXI4 read masters lane 0 .. LANES-1
  output logic [LANES-1:0]       m_axi_lane_arvalid,
  input  logic [LANES-1:0]       m_axi_lane_arready,
  output logic [LANES*64-1:0]    m_axi_lane_araddr,
  output logic [LANES*8-1:0]     m_axi_lane_arlen,
  output logic [LANES*3-1:0]     m_axi_lane_arsize,
  output logic [LANES*2-1:0]     m_axi_lane_arburst,
  input  logic [LANES-1:0]       m_axi_lane_rvalid,
  output logic [LANES-1:0]       m_axi_lane_rready,
  input  logic [LANES*256-1:0]   m_axi_lane_rdata,
  input  logic [LANES-1:0]       m_axi_lane_rlast,
  input  logic [LANES*2-1:0]     m_axi_lane_rresp,
  // observation for co-simulation scoreboards (unconnected on a device)
  output logic                   obs_job_start,
  output logic                   obs_key_start,
  output logic                   obs_softmax_done,
  output logic                   obs_topk_start,
  output logic                   obs_topk_done,
  output logic                   obs_value_start,
  output logic                   obs_pv_done,
  output logic                   obs_ap_done
);
  localparam int KEY_ROW_BYTES = int'(MAX_HEAD_DIM * (K_MSB_BITS + K_LSB_BITS) / 8);
  localparam int VALUE_ROW_BYTES = int'(MAX_HEAD_DIM * (V_MSB_BITS + V_LSB_BITS) / 8);
  // the cycle model's buffer rows (accelerator.cpp key_rows/value_rows)
  localparam longint unsigned KEY_ROWS_L = KEY_SRAM_BYTES / 64'(unsigned'(KEY_ROW_BYTES));
  localparam longint unsigned VALUE_ROWS_L = VALUE_SRAM_BYTES / 64'(unsigned'(VALUE_ROW_BYTES));
  localparam int KEY_ROWS = KEY_ROWS_L > 0 ? int'(KEY_ROWS_L) : 1;
  localparam int VALUE_ROWS = VALUE_ROWS_L > 0 ? int'(VALUE_ROWS_L) : 1;

  generate
    if (LANES != int'(HBM_CHANNELS_USED)) begin : g_bad_lanes
      $fatal(1, "spatten_attention: LANES is derived from the preset; do not override it");
    end
    if (HBM_TRANSACTION_BYTES != 32) begin : g_bad_beat
      $fatal(1, "spatten_attention: the RTL kernel's data width is 256 bits (hbm_transaction_bytes 32)");
    end
  endgenerate

  // the AXI responses' error codes are not used (see above)
  /* verilator lint_off UNUSEDSIGNAL */
  logic [1:0] unused_ctrl_resp;
  logic [LANES*2-1:0] unused_lane_resp;
  assign unused_ctrl_resp = m_axi_ctrl_rresp | m_axi_ctrl_bresp;
  assign unused_lane_resp = m_axi_lane_rresp;
  /* verilator lint_on UNUSEDSIGNAL */

  logic ap_start, ap_done, ap_idle, ap_ready;
  logic [63:0] arg_k_msb, arg_k_lsb, arg_v_msb, arg_v_lsb, arg_meta, arg_out;
  logic [31:0] arg_num_jobs, arg_desc_offset;

  s_axi_control #(.ADDR_BITS(7)) u_s_axi_control (
    .clk(ap_clk), .rst_n(ap_rst_n),
    .s_axi_control_awvalid, .s_axi_control_awready, .s_axi_control_awaddr, .s_axi_control_wvalid,
    .s_axi_control_wready, .s_axi_control_wdata, .s_axi_control_wstrb, .s_axi_control_bvalid,
    .s_axi_control_bready, .s_axi_control_bresp, .s_axi_control_arvalid, .s_axi_control_arready,
    .s_axi_control_araddr, .s_axi_control_rvalid, .s_axi_control_rready, .s_axi_control_rdata,
    .s_axi_control_rresp,
    .ap_start, .ap_done, .ap_idle, .ap_ready, .interrupt,
    .k_msb(arg_k_msb), .k_lsb(arg_k_lsb), .v_msb(arg_v_msb), .v_lsb(arg_v_lsb), .meta(arg_meta), .out(arg_out),
    .num_jobs(arg_num_jobs), .desc_offset(arg_desc_offset));

  spatten_attention_core #(
    .LANES(LANES), .N_MAX(int'(MAX_CONTEXT)), .D_MAX(int'(MAX_HEAD_DIM)), .Q_BITS(int'(Q_BITS)),
    .K_MSB_BITS(int'(K_MSB_BITS)), .K_LSB_BITS(int'(K_LSB_BITS)), .V_MSB_BITS(int'(V_MSB_BITS)),
    .V_LSB_BITS(int'(V_LSB_BITS)), .LOGIT_FRAC(int'(LOGIT_FRAC_BITS)), .PROB_FRAC(int'(PROB_FRAC_BITS)),
    .OUT_FRAC(int'(OUT_FRAC_BITS)), .M_QK(int'(QK_MULTIPLIERS)), .M_PV(int'(PV_MULTIPLIERS)),
    .LATENCY(int'(QK_ADDER_TREE_LATENCY)), .TOPK_P(int'(TOPK_PARALLELISM)), .KEY_ROWS(KEY_ROWS),
    .VALUE_ROWS(VALUE_ROWS), .MAX_OUT(int'(HBM_MAX_OUTSTANDING))
  ) u_core (
    .clk(ap_clk), .rst_n(ap_rst_n), .ap_start, .ap_done, .ap_idle, .ap_ready,
    .arg_k_msb, .arg_k_lsb, .arg_v_msb, .arg_v_lsb, .arg_meta, .arg_out, .arg_num_jobs, .arg_desc_offset,
    .lane_ar_valid(m_axi_lane_arvalid), .lane_ar_ready(m_axi_lane_arready), .lane_ar_addr(m_axi_lane_araddr),
    .lane_ar_len(m_axi_lane_arlen), .lane_r_valid(m_axi_lane_rvalid), .lane_r_data(m_axi_lane_rdata),
    .lane_r_last(m_axi_lane_rlast), .lane_r_ready(m_axi_lane_rready),
    .ctrl_ar_valid(m_axi_ctrl_arvalid), .ctrl_ar_ready(m_axi_ctrl_arready), .ctrl_ar_addr(m_axi_ctrl_araddr),
    .ctrl_ar_len(m_axi_ctrl_arlen), .ctrl_r_valid(m_axi_ctrl_rvalid), .ctrl_r_data(m_axi_ctrl_rdata),
    .ctrl_r_last(m_axi_ctrl_rlast), .ctrl_aw_valid(m_axi_ctrl_awvalid), .ctrl_aw_ready(m_axi_ctrl_awready),
    .ctrl_aw_addr(m_axi_ctrl_awaddr), .ctrl_aw_len(m_axi_ctrl_awlen), .ctrl_w_valid(m_axi_ctrl_wvalid),
    .ctrl_w_ready(m_axi_ctrl_wready), .ctrl_w_data(m_axi_ctrl_wdata), .ctrl_w_strb(m_axi_ctrl_wstrb),
    .ctrl_w_last(m_axi_ctrl_wlast), .ctrl_b_valid(m_axi_ctrl_bvalid),
    .obs_job_start, .obs_key_start, .obs_softmax_done, .obs_topk_start, .obs_topk_done, .obs_value_start,
    .obs_pv_done);

  assign obs_ap_done = ap_done;
  assign m_axi_ctrl_arsize = 3'd5;
  assign m_axi_ctrl_arburst = 2'd1;
  assign m_axi_ctrl_awsize = 3'd5;
  assign m_axi_ctrl_awburst = 2'd1;
  assign m_axi_ctrl_rready = 1'b1;
  assign m_axi_ctrl_bready = 1'b1;
  always_comb begin
    for (int i = 0; i < LANES; i++) begin
      m_axi_lane_arsize[i*3 +: 3] = 3'd5;
      m_axi_lane_arburst[i*2 +: 2] = 2'd1;
    end
  end
endmodule
