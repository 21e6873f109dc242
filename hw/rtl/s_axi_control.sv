// s_axi_control.sv — the AXI4-Lite control slave of the Vitis RTL kernel
// (ap_ctrl_hs): the control register, the interrupt registers and the argument
// registers of the kernel's s_axilite interface, as Vitis HLS generates them.
// The register map is spatten_kernel_pkg's (generated from
// models/kernel/spatten-kernel.yaml); no offset is written here.
//
// Parameters
//   ADDR_BITS  width of awaddr/araddr, $clog2(ARGUMENTS_END) .. 32 (7 for the
//              map's 0x68 bytes). Data are 32 bits.
//
// Ports
//   clk, rst_n            rising edge; synchronous active-low reset of every
//                         register (control, interrupt, arguments, channels).
//   s_axi_control_*       AXI4-Lite slave (no *prot). bresp and rresp are
//                         always OKAY (2'b00).
//   ap_start              to the core: high from a host start until the core's
//                         ap_ready (level, as HLS).
//   ap_done               from the core: one-cycle pulse when a call finishes.
//   ap_idle               from the core: level, high while no call runs. The
//                         core must drop it from the cycle after its ap_ready
//                         until its ap_done (an HLS core drops it in the cycle
//                         it takes ap_start).
//   ap_ready              from the core: one-cycle pulse, the core took the
//                         start (it latches the arguments then: they are plain
//                         registers and change as soon as the host writes them).
//   interrupt             GIE & (ISR[done] | ISR[ready]), from registers.
//   k_msb .. out          the 64-bit pointer arguments (low word at the
//                         argument's offset, high word at offset + 4);
//   num_jobs, desc_offset the 32-bit scalar arguments.
//
// Register map (spatten_kernel_pkg; addresses are byte addresses, the low two
// bits are ignored: a word is addressed and wstrb selects its bytes)
//   REG_CONTROL  bit AP_START     r/w: a write of 1 (with its byte strobe)
//                                 sets ap_start only when ap_start is low and
//                                 ap_idle is high in the write cycle; otherwise
//                                 (a call pending or running) it is ignored, so
//                                 a start while busy never starts a second call.
//                                 Writing 0 never clears it; ap_ready does.
//                bit AP_DONE      ro, set by the ap_done pulse, cleared by a
//                                 read of REG_CONTROL (clear on read).
//                bit AP_IDLE      ro, the ap_idle input.
//                bit AP_READY     ro, set by the ap_ready pulse, clear on read.
//                bit AUTO_RESTART r/w, stored on every write of the control
//                                 register's byte (even when the ap_start bit
//                                 is ignored) and honoured as HLS does: on
//                                 ap_ready, ap_start takes the value of
//                                 auto_restart, so the core is restarted right
//                                 after each call until the host clears it.
//                other bits       read 0, writes ignored (AP_CONTINUE too:
//                                 the protocol is ap_ctrl_hs).
//   REG_GIE      bit ENABLE       r/w.
//   REG_IER      bits DONE, READY r/w.
//   REG_ISR      bits DONE, READY set by the ap_done / ap_ready pulse while the
//                                 IER bit is set; a write toggles the bits
//                                 written 1 (toggle on write). An event in the
//                                 cycle of a toggling write wins (bit set).
//   ARG_*_OFFSET                  r/w: the low word, and for pointers the high
//                                 word at +4. The reserved word after each
//                                 argument reads 0, writes are ignored.
//   any other address             reads 0 with OKAY; writes are ignored, OKAY.
//
// Timing contract (cycle t = the clock period ending with rising edge t)
//   Write  AW and W may be handshaken in the same cycle or in different cycles,
//          in either order; awready = wready = 1 when idle. An accepted AW
//          (or W) is held and its awready (wready) stays low until its
//          partner comes. The write takes effect in the cycle t of the
//          second handshake (both in one cycle: that cycle): the register
//          holds the new value from t+1 (outputs ap_start, pointers, scalars,
//          interrupt included), and bvalid is high from t+1 until the cycle
//          of the B handshake (bvalid & bready), b. awready and wready are low
//          from t+1 through b and high again from b+1.
//   Read   AR handshake in cycle t (arready = 1 when no response is pending):
//          rdata is the register's value in cycle t (before any write taking
//          effect in t; ap_idle as sampled in t), rvalid and rdata appear from
//          t+1 and hold until the R handshake r; arready is low from t+1
//          through r. A read of REG_CONTROL clears AP_DONE / AP_READY from
//          t+1, unless its pulse comes in t (set wins; that read returns 0,
//          the next returns 1). Reads and writes are independent.
//   Core   ap_start rises at t+1 after a starting write in t; an ap_ready pulse
//          in cycle r drops it from r+1 (keeps it high if auto_restart). An
//          ap_done / ap_ready pulse in cycle e sets AP_DONE / AP_READY and,
//          with its IER bit set in e, the ISR bit from e+1, so interrupt
//          rises at e+1 when GIE is set.
module s_axi_control #(
  parameter int ADDR_BITS = 7
) (
  input  logic                 clk,
  input  logic                 rst_n,
  // AXI4-Lite slave
  input  logic                 s_axi_control_awvalid,
  output logic                 s_axi_control_awready,
  input  logic [ADDR_BITS-1:0] s_axi_control_awaddr,
  input  logic                 s_axi_control_wvalid,
  output logic                 s_axi_control_wready,
  input  logic [31:0]          s_axi_control_wdata,
  input  logic [3:0]           s_axi_control_wstrb,
  output logic                 s_axi_control_bvalid,
  input  logic                 s_axi_control_bready,
  output logic [1:0]           s_axi_control_bresp,
  input  logic                 s_axi_control_arvalid,
  output logic                 s_axi_control_arready,
  input  logic [ADDR_BITS-1:0] s_axi_control_araddr,
  output logic                 s_axi_control_rvalid,
  input  logic                 s_axi_control_rready,
  output logic [31:0]          s_axi_control_rdata,
  output logic [1:0]           s_axi_control_rresp,
  // core side
  output logic                 ap_start,
  input  logic                 ap_done,
  input  logic                 ap_idle,
  input  logic                 ap_ready,
  // Vitis names the interrupt port "interrupt"; Verilator warns that the
  // name is a common C++ word (an attribute on some targets), harmlessly.
  /* verilator lint_off SYMRSVDWORD */
  output logic                 interrupt,
  /* verilator lint_on SYMRSVDWORD */
  // arguments
  output logic [63:0]          k_msb,
  output logic [63:0]          k_lsb,
  output logic [63:0]          v_msb,
  output logic [63:0]          v_lsb,
  output logic [63:0]          meta,
  output logic [63:0]          out,
  output logic [31:0]          num_jobs,
  output logic [31:0]          desc_offset
);
  // ---- the register map (spatten_kernel_pkg) -------------------------------
  localparam int unsigned CONTROL = spatten_kernel_pkg::REG_CONTROL;
  localparam int unsigned GIE = spatten_kernel_pkg::REG_GIE;
  localparam int unsigned IER = spatten_kernel_pkg::REG_IER;
  localparam int unsigned ISR = spatten_kernel_pkg::REG_ISR;
  localparam int unsigned B_START = spatten_kernel_pkg::CONTROL_AP_START_BIT;
  localparam int unsigned B_DONE = spatten_kernel_pkg::CONTROL_AP_DONE_BIT;
  localparam int unsigned B_IDLE = spatten_kernel_pkg::CONTROL_AP_IDLE_BIT;
  localparam int unsigned B_READY = spatten_kernel_pkg::CONTROL_AP_READY_BIT;
  localparam int unsigned B_AUTO = spatten_kernel_pkg::CONTROL_AUTO_RESTART_BIT;
  localparam int unsigned B_GIE = spatten_kernel_pkg::GIE_ENABLE_BIT;
  localparam int unsigned B_IER_DONE = spatten_kernel_pkg::IER_DONE_BIT;
  localparam int unsigned B_IER_READY = spatten_kernel_pkg::IER_READY_BIT;
  localparam int unsigned B_ISR_DONE = spatten_kernel_pkg::ISR_DONE_BIT;
  localparam int unsigned B_ISR_READY = spatten_kernel_pkg::ISR_READY_BIT;
  localparam int unsigned A_K_MSB = spatten_kernel_pkg::ARG_K_MSB_OFFSET;
  localparam int unsigned A_K_LSB = spatten_kernel_pkg::ARG_K_LSB_OFFSET;
  localparam int unsigned A_V_MSB = spatten_kernel_pkg::ARG_V_MSB_OFFSET;
  localparam int unsigned A_V_LSB = spatten_kernel_pkg::ARG_V_LSB_OFFSET;
  localparam int unsigned A_META = spatten_kernel_pkg::ARG_META_OFFSET;
  localparam int unsigned A_OUT = spatten_kernel_pkg::ARG_OUT_OFFSET;
  localparam int unsigned A_NUM_JOBS = spatten_kernel_pkg::ARG_NUM_JOBS_OFFSET;
  localparam int unsigned A_DESC_OFFSET = spatten_kernel_pkg::ARG_DESC_OFFSET_OFFSET;
  localparam int unsigned ARGS_END = spatten_kernel_pkg::ARGUMENTS_END;

  // ---- elaboration checks ---------------------------------------------------
  if (ADDR_BITS < $clog2(ARGS_END) || ADDR_BITS > 32) begin : g_bad_addr_bits
    $fatal(1, "s_axi_control: ADDR_BITS must cover spatten_kernel_pkg::ARGUMENTS_END (and be <= 32)");
  end
  if (spatten_kernel_pkg::NUM_ARGUMENTS != 8 || spatten_kernel_pkg::ARG_K_MSB_WORDS != 2 ||
      spatten_kernel_pkg::ARG_K_LSB_WORDS != 2 || spatten_kernel_pkg::ARG_V_MSB_WORDS != 2 ||
      spatten_kernel_pkg::ARG_V_LSB_WORDS != 2 || spatten_kernel_pkg::ARG_META_WORDS != 2 ||
      spatten_kernel_pkg::ARG_OUT_WORDS != 2 || spatten_kernel_pkg::ARG_NUM_JOBS_WORDS != 1 ||
      spatten_kernel_pkg::ARG_DESC_OFFSET_WORDS != 1) begin : g_bad_arguments
    $fatal(1, "s_axi_control: the ports expect six 64-bit pointers and two 32-bit scalars (spatten-kernel.yaml changed)");
  end
  if (((A_K_MSB | A_K_LSB | A_V_MSB | A_V_LSB | A_META | A_OUT | A_NUM_JOBS | A_DESC_OFFSET) % 4) != 0)
  begin : g_bad_alignment
    $fatal(1, "s_axi_control: argument offsets must be word aligned");
  end

  /// The word-aligned byte address of an AXI address, 32 bits wide.
  function automatic logic [31:0] word_addr(input logic [ADDR_BITS-1:0] a);
    word_addr = 32'(a) & ~32'd3;
  endfunction
  /// old with the bytes selected by strb replaced by those of data.
  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] data, input logic [3:0] strb);
    logic [31:0] mask;
    mask = {{8{strb[3]}}, {8{strb[2]}}, {8{strb[1]}}, {8{strb[0]}}};
    merge = (old & ~mask) | (data & mask);
  endfunction

  // ---- write channel: AW and W in any order, then B --------------------------
  logic                 aw_full, w_full;  // an accepted AW (W) waiting for its partner
  logic [ADDR_BITS-1:0] aw_addr_q;
  logic [31:0]          w_data_q;
  logic [3:0]           w_strb_q;
  logic                 bvalid_q;
  logic                 aw_hs, w_hs, wr_fire;
  logic [31:0]          wr_addr, wr_data;
  logic [3:0]           wr_strb;

  assign s_axi_control_awready = !aw_full && !bvalid_q;
  assign s_axi_control_wready = !w_full && !bvalid_q;
  assign s_axi_control_bvalid = bvalid_q;
  assign s_axi_control_bresp = 2'b00;
  assign aw_hs = s_axi_control_awvalid && s_axi_control_awready;
  assign w_hs = s_axi_control_wvalid && s_axi_control_wready;
  assign wr_fire = (aw_full || aw_hs) && (w_full || w_hs);
  assign wr_addr = word_addr(aw_full ? aw_addr_q : s_axi_control_awaddr);
  assign wr_data = w_full ? w_data_q : s_axi_control_wdata;
  assign wr_strb = w_full ? w_strb_q : s_axi_control_wstrb;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      aw_full <= 1'b0;
      w_full <= 1'b0;
      bvalid_q <= 1'b0;
    end else begin
      aw_full <= !wr_fire && (aw_full || aw_hs);
      w_full <= !wr_fire && (w_full || w_hs);
      if (wr_fire) bvalid_q <= 1'b1;
      else if (s_axi_control_bready) bvalid_q <= 1'b0;
    end
  end
  always_ff @(posedge clk) begin  // held AW / W payloads (not reset)
    if (aw_hs) aw_addr_q <= s_axi_control_awaddr;
    if (w_hs) begin
      w_data_q <= s_axi_control_wdata;
      w_strb_q <= s_axi_control_wstrb;
    end
  end

  // ---- read channel: AR, then R ----------------------------------------------
  logic        rvalid_q, ar_hs;
  logic [31:0] rd_addr, rd_word, rdata_q;

  assign s_axi_control_arready = !rvalid_q;
  assign s_axi_control_rvalid = rvalid_q;
  assign s_axi_control_rdata = rdata_q;
  assign s_axi_control_rresp = 2'b00;
  assign ar_hs = s_axi_control_arvalid && s_axi_control_arready;
  assign rd_addr = word_addr(s_axi_control_araddr);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rvalid_q <= 1'b0;
      rdata_q <= '0;
    end else begin
      if (ar_hs) rvalid_q <= 1'b1;
      else if (s_axi_control_rready) rvalid_q <= 1'b0;
      if (ar_hs) rdata_q <= rd_word;
    end
  end

  // ---- control and interrupt registers ---------------------------------------
  logic ap_start_q, ap_done_q, ap_ready_q, auto_restart_q;
  logic gie_q, ier_done_q, ier_ready_q, isr_done_q, isr_ready_q;
  logic ctrl_wr, gie_wr, ier_wr, isr_wr, ctrl_rd, start_wr;

  assign ctrl_wr = wr_fire && wr_addr == CONTROL;
  assign gie_wr = wr_fire && wr_addr == GIE;
  assign ier_wr = wr_fire && wr_addr == IER;
  assign isr_wr = wr_fire && wr_addr == ISR;
  assign ctrl_rd = ar_hs && rd_addr == CONTROL;
  assign start_wr = ctrl_wr && wr_strb[B_START / 8] && wr_data[B_START] && !ap_start_q && ap_idle;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      ap_start_q <= 1'b0;
      ap_done_q <= 1'b0;
      ap_ready_q <= 1'b0;
      auto_restart_q <= 1'b0;
      gie_q <= 1'b0;
      ier_done_q <= 1'b0;
      ier_ready_q <= 1'b0;
      isr_done_q <= 1'b0;
      isr_ready_q <= 1'b0;
    end else begin
      if (start_wr) ap_start_q <= 1'b1;
      else if (ap_ready) ap_start_q <= auto_restart_q;

      if (ap_done) ap_done_q <= 1'b1;
      else if (ctrl_rd) ap_done_q <= 1'b0;
      if (ap_ready) ap_ready_q <= 1'b1;
      else if (ctrl_rd) ap_ready_q <= 1'b0;
      if (ctrl_wr && wr_strb[B_AUTO / 8]) auto_restart_q <= wr_data[B_AUTO];

      if (gie_wr && wr_strb[B_GIE / 8]) gie_q <= wr_data[B_GIE];
      if (ier_wr && wr_strb[B_IER_DONE / 8]) ier_done_q <= wr_data[B_IER_DONE];
      if (ier_wr && wr_strb[B_IER_READY / 8]) ier_ready_q <= wr_data[B_IER_READY];

      if (ier_done_q && ap_done) isr_done_q <= 1'b1;
      else if (isr_wr && wr_strb[B_ISR_DONE / 8] && wr_data[B_ISR_DONE]) isr_done_q <= !isr_done_q;
      if (ier_ready_q && ap_ready) isr_ready_q <= 1'b1;
      else if (isr_wr && wr_strb[B_ISR_READY / 8] && wr_data[B_ISR_READY]) isr_ready_q <= !isr_ready_q;
    end
  end
  assign ap_start = ap_start_q;
  assign interrupt = gie_q && (isr_done_q || isr_ready_q);

  // ---- argument registers ----------------------------------------------------
  logic [63:0] k_msb_q, k_lsb_q, v_msb_q, v_lsb_q, meta_q, out_q;
  logic [31:0] num_jobs_q, desc_offset_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      k_msb_q <= '0;
      k_lsb_q <= '0;
      v_msb_q <= '0;
      v_lsb_q <= '0;
      meta_q <= '0;
      out_q <= '0;
      num_jobs_q <= '0;
      desc_offset_q <= '0;
    end else if (wr_fire) begin
      case (wr_addr)
        A_K_MSB:           k_msb_q[31:0] <= merge(k_msb_q[31:0], wr_data, wr_strb);
        A_K_MSB + 32'd4:   k_msb_q[63:32] <= merge(k_msb_q[63:32], wr_data, wr_strb);
        A_K_LSB:           k_lsb_q[31:0] <= merge(k_lsb_q[31:0], wr_data, wr_strb);
        A_K_LSB + 32'd4:   k_lsb_q[63:32] <= merge(k_lsb_q[63:32], wr_data, wr_strb);
        A_V_MSB:           v_msb_q[31:0] <= merge(v_msb_q[31:0], wr_data, wr_strb);
        A_V_MSB + 32'd4:   v_msb_q[63:32] <= merge(v_msb_q[63:32], wr_data, wr_strb);
        A_V_LSB:           v_lsb_q[31:0] <= merge(v_lsb_q[31:0], wr_data, wr_strb);
        A_V_LSB + 32'd4:   v_lsb_q[63:32] <= merge(v_lsb_q[63:32], wr_data, wr_strb);
        A_META:            meta_q[31:0] <= merge(meta_q[31:0], wr_data, wr_strb);
        A_META + 32'd4:    meta_q[63:32] <= merge(meta_q[63:32], wr_data, wr_strb);
        A_OUT:             out_q[31:0] <= merge(out_q[31:0], wr_data, wr_strb);
        A_OUT + 32'd4:     out_q[63:32] <= merge(out_q[63:32], wr_data, wr_strb);
        A_NUM_JOBS:        num_jobs_q <= merge(num_jobs_q, wr_data, wr_strb);
        A_DESC_OFFSET:     desc_offset_q <= merge(desc_offset_q, wr_data, wr_strb);
        default: ;
      endcase
    end
  end
  assign k_msb = k_msb_q;
  assign k_lsb = k_lsb_q;
  assign v_msb = v_msb_q;
  assign v_lsb = v_lsb_q;
  assign meta = meta_q;
  assign out = out_q;
  assign num_jobs = num_jobs_q;
  assign desc_offset = desc_offset_q;

  // ---- read data -------------------------------------------------------------
  always_comb begin
    rd_word = '0;
    case (rd_addr)
      CONTROL: begin
        rd_word[B_START] = ap_start_q;
        rd_word[B_DONE] = ap_done_q;
        rd_word[B_IDLE] = ap_idle;
        rd_word[B_READY] = ap_ready_q;
        rd_word[B_AUTO] = auto_restart_q;
      end
      GIE: rd_word[B_GIE] = gie_q;
      IER: begin
        rd_word[B_IER_DONE] = ier_done_q;
        rd_word[B_IER_READY] = ier_ready_q;
      end
      ISR: begin
        rd_word[B_ISR_DONE] = isr_done_q;
        rd_word[B_ISR_READY] = isr_ready_q;
      end
      A_K_MSB:         rd_word = k_msb_q[31:0];
      A_K_MSB + 32'd4: rd_word = k_msb_q[63:32];
      A_K_LSB:         rd_word = k_lsb_q[31:0];
      A_K_LSB + 32'd4: rd_word = k_lsb_q[63:32];
      A_V_MSB:         rd_word = v_msb_q[31:0];
      A_V_MSB + 32'd4: rd_word = v_msb_q[63:32];
      A_V_LSB:         rd_word = v_lsb_q[31:0];
      A_V_LSB + 32'd4: rd_word = v_lsb_q[63:32];
      A_META:          rd_word = meta_q[31:0];
      A_META + 32'd4:  rd_word = meta_q[63:32];
      A_OUT:           rd_word = out_q[31:0];
      A_OUT + 32'd4:   rd_word = out_q[63:32];
      A_NUM_JOBS:      rd_word = num_jobs_q;
      A_DESC_OFFSET:   rd_word = desc_offset_q;
      default:         rd_word = '0;
    endcase
  end
endmodule
