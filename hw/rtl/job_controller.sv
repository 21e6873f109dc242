// hw/rtl/job_controller.sv — the job controller: runs a call's head jobs one
// at a time, reads each 64-byte descriptor and the query, sequences the
// datapath's phases and writes the output and the status record, on its own
// AXI4 master (ctrl). Cycle model: sim/cmodel/src/accelerator.cpp
// (Accelerator::run_head) and units.h MemoryClient (job_controller).
//
// Phases of a job (a phase begins in the cycle after the previous one ended,
// the cycle model's "the next phase starts when the previous one reports
// done"; X0 is the first cycle of the job):
//   DESC   AR of the descriptor (2 beats) placed in the AR register in X0;
//          ends in the cycle after its last beat (the cycle model pops the
//          response then).
//   QUERY  validation; AR of the query (head_dim/8 beats); ends likewise;
//          the query, head_dim and score scale are loaded into the Q·K unit
//          in that last cycle (q_load).
//   KEY    fetcher, Q·K unit and softmax start in its first cycle; ends when
//          the softmax is done. A progressive job whose row is flat runs KEY
//          again (LSB plane, plus the MSB plane unless the n rows fit the key
//          buffer).
//   TOPK   when 0 < value_keep < n: the top-k engine starts in its first
//          cycle and the phase ends with its done.
//   VALUE  fetcher and prob·V unit start in its first cycle (none when no
//          row is kept: the phase is then one cycle, the cycle model's
//          one-cycle output stage); ends with the prob·V unit's done.
//   OUT    AW of the output (head_dim/8 beats) placed in the AW register in
//          its first cycle, the status record's AW (1 beat) when the first
//          leaves; W beats follow the AW order, one per cycle from the
//          second cycle; ends in the cycle after the second B.
// A job is rejected (its status record says so, nothing else is written,
// no cycle-model timing applies) when n_live is 0 or above N_MAX, head_dim
// is not a power of two in 16 .. D_MAX, or an offset is misaligned for
// whole-beat transfers: plane, query and out offsets multiples of head_dim,
// live and status offsets multiples of 8 words. A job with a misaligned
// status offset writes nothing at all.
// A call: ap_start seen in cycle s (idle) starts job 0 in s+1 and pulses
// ap_ready in s+1 (the arguments are latched: the host may write the next
// call's while this one runs); ap_done pulses in the cycle after the last
// job's OUT phase ended (s+2 with no jobs). A descriptor offset that is not a multiple of 16 words (64-byte
// descriptors) or a pointer argument that is not 4 KiB aligned runs no job.
module job_controller
  import spatten_kernel_pkg::*;
#(
  parameter int N_MAX = 4096,
  parameter int D_MAX = 128,
  parameter int Q_BITS = 12,
  parameter int KEY_ROWS = 1024,
  parameter int PROB_FRAC = 16,
  parameter int OUT_BITS = 16,
  parameter int IW = $clog2(N_MAX + 1),
  parameter int HW = $clog2(D_MAX + 1)
) (
  input  logic                      clk,
  input  logic                      rst_n,
  // ap_ctrl_hs core side and arguments (s_axi_control)
  input  logic                      ap_start,
  output logic                      ap_done,
  output logic                      ap_idle,
  output logic                      ap_ready,
  input  logic [63:0]               arg_k_msb,
  input  logic [63:0]               arg_k_lsb,
  input  logic [63:0]               arg_v_msb,
  input  logic [63:0]               arg_v_lsb,
  input  logic [63:0]               arg_meta,
  input  logic [63:0]               arg_out,
  input  logic [31:0]               arg_num_jobs,
  input  logic [31:0]               arg_desc_offset,
  // AXI4 master ctrl (256-bit data)
  output logic                      ar_valid,
  input  logic                      ar_ready,
  output logic [63:0]               ar_addr,
  output logic [7:0]                ar_len,
  input  logic                      r_valid,
  input  logic [255:0]              r_data,
  input  logic                      r_last,
  output logic                      aw_valid,
  input  logic                      aw_ready,
  output logic [63:0]               aw_addr,
  output logic [7:0]                aw_len,
  output logic                      w_valid,
  input  logic                      w_ready,
  output logic [255:0]              w_data,
  output logic [31:0]               w_strb,
  output logic                      w_last,
  input  logic                      b_valid,
  // job parameters to the datapath (stable through the job)
  output logic [IW-1:0]             n_live,
  output logic [HW-1:0]             head_dim,
  output logic [3:0]                hd_log2,
  output logic                      progressive,
  output logic [IW-1:0]             keep,          // value rows kept: min(value_keep, n)
  output logic                      use_topk,      // 0 < value_keep < n
  output logic [16:0]               threshold,
  output logic [15:0]               score_mult,
  output logic [5:0]                score_shift,
  output logic [63:0]               k_msb_base,
  output logic [63:0]               k_lsb_base,
  output logic [63:0]               v_msb_base,
  output logic [63:0]               v_lsb_base,
  output logic [63:0]               live_addr,
  output logic [D_MAX*Q_BITS-1:0]   query,
  // phase control
  output logic                      q_load,        // load query/scale into the Q·K unit
  output logic                      key_start,     // first cycle of a key pass
  output logic                      key_exact,     // this key pass uses exact keys (MSB+LSB)
  output logic                      key_refetch,   // this key pass is the LSB refetch
  output logic                      key_msbs_on_chip,
  input  logic                      softmax_done,
  input  logic                      softmax_refetch,
  input  logic [PROB_FRAC:0]        softmax_max_prob,
  output logic                      topk_start,
  input  logic                      topk_done,
  output logic                      value_start,   // first cycle of the value pass (kept >= 1)
  output logic                      value_exact,
  input  logic                      pv_done,
  input  logic [D_MAX*OUT_BITS-1:0] pv_out,
  output logic                      value_phase,   // the value pass is running (buffer routing)
  output logic                      job_start,     // first cycle of a job (X0, for observers)
  output logic                      job_busy       // a call is running (for observers)
);
  typedef enum logic [3:0] {
    S_IDLE, S_DESC, S_DESC_WAIT, S_QUERY, S_QUERY_WAIT, S_KEY, S_TOPK, S_VALUE, S_VALUE_EMPTY,
    S_OUT, S_OUT_WAIT, S_NEXT, S_DONE
  } state_t;
  state_t state;

  logic [31:0] job_idx;
  logic [31:0] num_jobs_r;
  // the descriptor's reserved bytes are read with it and not used
  /* verilator lint_off UNUSEDSIGNAL */
  logic [511:0] desc;
  /* verilator lint_on UNUSEDSIGNAL */
  logic        desc_beat;          // which descriptor beat comes next
  logic [5:0]  q_beat;
  logic        resp_done;          // the last beat of the AR in flight arrived (registered)
  logic        rejected;
  logic        first;              // first cycle of the current state
  logic        refetched;
  logic [PROB_FRAC:0] msb_max_prob;
  logic [PROB_FRAC:0] final_max_prob;
  logic [1:0]  aw_sent;            // AWs accepted in OUT
  logic [1:0]  b_got;
  logic [5:0]  w_beat;             // W beats sent in OUT
  logic [5:0]  out_beats;          // head_dim / 8

  // the call's arguments, latched when it starts (ap_ready): the host may
  // write the next call's arguments while this one runs
  logic [63:0] a_k_msb, a_k_lsb, a_v_msb, a_v_lsb, a_meta, a_out;
  logic [31:0] a_desc_offset;

  // descriptor fields
  logic [31:0] d_n, d_value_keep;
  logic [16:0] d_thr;
  logic [15:0] d_hd, d_flags, d_mult;
  logic [5:0]  d_shift;
  logic [31:0] d_kmsb, d_klsb, d_vmsb, d_vlsb, d_live, d_query, d_out, d_status;
  always_comb begin
    d_n = desc[DESC_N_LIVE_LSB +: 32] & ((32'd1 << DESC_N_LIVE_BITS) - 1);
    d_hd = desc[DESC_HEAD_DIM_LSB +: 16] & 16'((32'd1 << DESC_HEAD_DIM_BITS) - 1);
    d_flags = desc[DESC_FLAGS_LSB +: 16];
    d_value_keep = desc[DESC_VALUE_KEEP_LSB +: 32] & ((32'd1 << DESC_VALUE_KEEP_BITS) - 1);
    d_thr = desc[DESC_REQUANT_THRESHOLD_Q16_LSB +: 17];
    d_mult = desc[DESC_SCORE_MULT_LSB +: 16];
    d_shift = desc[DESC_SCORE_SHIFT_LSB +: 6];
    d_kmsb = desc[DESC_K_MSB_OFFSET_LSB +: 32];
    d_klsb = desc[DESC_K_LSB_OFFSET_LSB +: 32];
    d_vmsb = desc[DESC_V_MSB_OFFSET_LSB +: 32];
    d_vlsb = desc[DESC_V_LSB_OFFSET_LSB +: 32];
    d_live = desc[DESC_LIVE_OFFSET_LSB +: 32];
    d_query = desc[DESC_QUERY_OFFSET_LSB +: 32];
    d_out = desc[DESC_OUT_OFFSET_LSB +: 32];
    d_status = desc[DESC_STATUS_OFFSET_LSB +: 32];
  end

  generate
    if (DESC_REQUANT_THRESHOLD_Q16_BITS != 17 || DESC_SCORE_SHIFT_BITS != 6 || DESC_SCORE_MULT_BITS != 16 ||
        DESC_BYTES != 64) begin : g_bad_layout
      $fatal(1, "job_controller: the descriptor layout in spatten_kernel_pkg changed; update the field widths here");
    end
  endgenerate

  // validation of the descriptor (combinational on the registered descriptor)
  logic hd_pow2;
  logic [31:0] hd_mask;        // head_dim - 1
  logic [3:0] hd_l2;
  always_comb begin
    hd_pow2 = 1'b0;
    hd_l2 = 4'd0;
    for (int b = 4; b <= 8; b++) begin
      if (32'(d_hd) == (32'd1 << b) && (1 << b) <= D_MAX) begin
        hd_pow2 = 1'b1;
        hd_l2 = 4'(unsigned'(b));
      end
    end
    hd_mask = 32'(d_hd) - 32'd1;
  end
  wire desc_status_ok = d_status[2:0] == 3'd0;
  wire desc_ok = d_n != 0 && d_n <= unsigned'(N_MAX) && hd_pow2 && (d_kmsb & hd_mask) == 0 &&
                 (d_klsb & hd_mask) == 0 && (d_vmsb & hd_mask) == 0 && (d_vlsb & hd_mask) == 0 &&
                 (d_query & hd_mask) == 0 && (d_out & hd_mask) == 0 && d_live[2:0] == 3'd0 && desc_status_ok;
  wire call_ok = arg_desc_offset[3:0] == 4'd0 && arg_k_msb[11:0] == 12'd0 && arg_k_lsb[11:0] == 12'd0 &&
                 arg_v_msb[11:0] == 12'd0 && arg_v_lsb[11:0] == 12'd0 && arg_meta[11:0] == 12'd0 &&
                 arg_out[11:0] == 12'd0;

  // job parameters
  logic [IW-1:0] n_r;
  logic [HW-1:0] hd_r;
  logic [3:0]    hd_log2_r;
  logic          prog_r;
  logic [IW-1:0] keep_r;
  logic          use_topk_r;
  logic [16:0]   thr_r;
  logic [15:0]   mult_r;
  logic [5:0]    shift_r;
  logic [63:0]   out_addr_r, status_addr_r;
  assign n_live = n_r;
  assign head_dim = hd_r;
  assign hd_log2 = hd_log2_r;
  assign progressive = prog_r;
  assign keep = keep_r;
  assign use_topk = use_topk_r;
  assign threshold = thr_r;
  assign score_mult = mult_r;
  assign score_shift = shift_r;

  // outputs of the state machine
  assign ap_idle = state == S_IDLE;
  assign job_busy = state != S_IDLE && state != S_DONE;
  assign job_start = state == S_DESC;
  assign value_phase = state == S_VALUE;
  assign key_start = state == S_KEY && first;
  assign topk_start = state == S_TOPK && first;
  assign value_start = state == S_VALUE && first;
  assign value_exact = !prog_r || refetched;   // golden value_rows_exact
  assign key_exact = !prog_r || refetched;
  assign key_refetch = refetched;
  assign key_msbs_on_chip = 32'(n_r) <= unsigned'(KEY_ROWS);

  // W data of OUT: output beats then the status beat
  logic no_rows;
  assign no_rows = keep_r == '0;
  always_comb begin
    w_data = '0;
    w_strb = 32'hFFFF_FFFF;
    w_last = 1'b1;
    w_valid = state == S_OUT_WAIT && w_beat <= out_beats;
    if (w_beat < out_beats) begin
      for (int k = 0; k < 8; k++) begin
        // no kept row: the output is zero (the prob·V unit did not run)
        if (int'(w_beat) * 8 + k < D_MAX && !no_rows)
          w_data[k*32 +: 32] = unsigned'(32'(signed'(pv_out[(int'(w_beat) * 8 + k) * OUT_BITS +: OUT_BITS])));
      end
      w_last = w_beat + 1'b1 == out_beats;   // the output is one burst
    end else begin
      // the status record's STATUS_WORDS words; the rest of the beat is not written
      w_strb = 32'((64'd1 << (4 * STATUS_WORDS)) - 1);
      w_data[32 * STATUS_FLAGS_INDEX + STATUS_REJECTED_BIT] = rejected;
      w_data[32 * STATUS_FLAGS_INDEX + STATUS_LSB_REFETCHED_BIT] = refetched;
      if (!rejected) begin
        w_data[32 * STATUS_MAX_PROB_INDEX +: 32] = 32'(final_max_prob);
        w_data[32 * STATUS_MSB_MAX_PROB_INDEX +: 32] = 32'(msb_max_prob);
        w_data[32 * STATUS_VALUES_KEPT_INDEX +: 32] = 32'(keep_r);
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IDLE;
      first <= 1'b0;
      ar_valid <= 1'b0;
      aw_valid <= 1'b0;
      ap_done <= 1'b0;
      ap_ready <= 1'b0;
      q_load <= 1'b0;
      resp_done <= 1'b0;
      desc_beat <= 1'b0;
      q_beat <= '0;
      aw_sent <= '0;
      b_got <= '0;
      w_beat <= '0;
      refetched <= 1'b0;
      rejected <= 1'b0;
    end else begin
      ap_done <= 1'b0;
      ap_ready <= 1'b0;
      q_load <= 1'b0;
      first <= 1'b0;
      if (ar_valid && ar_ready) ar_valid <= 1'b0;
      // read data: descriptor or query beats
      if (r_valid) begin
        if (state == S_DESC_WAIT) begin
          if (desc_beat) desc[511:256] <= r_data;
          else desc[255:0] <= r_data;
          desc_beat <= ~desc_beat;
        end else begin
          for (int k = 0; k < 8; k++) begin
            if (int'(q_beat) * 8 + k < D_MAX) query[(int'(q_beat) * 8 + k) * Q_BITS +: Q_BITS] <= r_data[k*32 +: Q_BITS];
          end
          q_beat <= q_beat + 1'b1;
        end
        if (r_last) resp_done <= 1'b1;
      end
      case (state)
        S_IDLE: begin
          if (ap_start) begin
            ap_ready <= 1'b1;   // the arguments are taken: ap_start drops before the call ends
            a_k_msb <= arg_k_msb;
            a_k_lsb <= arg_k_lsb;
            a_v_msb <= arg_v_msb;
            a_v_lsb <= arg_v_lsb;
            a_meta <= arg_meta;
            a_out <= arg_out;
            a_desc_offset <= arg_desc_offset;
            num_jobs_r <= call_ok ? arg_num_jobs : 32'd0;
            job_idx <= '0;
            state <= (call_ok && arg_num_jobs != 0) ? S_DESC : S_DONE;
            first <= 1'b1;
          end
        end
        S_DESC: begin
          ar_valid <= 1'b1;
          ar_addr <= a_meta + ((64'(a_desc_offset) + 64'(job_idx) * 16) << 2);
          ar_len <= 8'd1;
          desc_beat <= 1'b0;
          resp_done <= 1'b0;
          state <= S_DESC_WAIT;
        end
        S_DESC_WAIT: begin
          if (resp_done) begin
            resp_done <= 1'b0;
            state <= S_QUERY;
            first <= 1'b1;
          end
        end
        S_QUERY: begin
          // latch the job
          n_r <= IW'(d_n);
          hd_r <= HW'(d_hd);
          hd_log2_r <= hd_l2;
          prog_r <= d_flags[DESC_FLAGS_PROGRESSIVE_BIT];
          keep_r <= d_value_keep >= d_n ? IW'(d_n) : IW'(d_value_keep);
          use_topk_r <= d_value_keep != 0 && d_value_keep < d_n;
          thr_r <= d_thr;
          mult_r <= d_mult;
          shift_r <= d_shift;
          k_msb_base <= a_k_msb + (64'(d_kmsb) << 1);
          k_lsb_base <= a_k_lsb + (64'(d_klsb) << 1);
          v_msb_base <= a_v_msb + (64'(d_vmsb) << 1);
          v_lsb_base <= a_v_lsb + (64'(d_vlsb) << 1);
          live_addr <= a_meta + (64'(d_live) << 2);
          out_addr_r <= a_out + (64'(d_out) << 2);
          status_addr_r <= a_out + (64'(d_status) << 2);
          out_beats <= 6'(d_hd >> 3);
          refetched <= 1'b0;
          rejected <= !desc_ok;
          msb_max_prob <= '0;
          final_max_prob <= '0;
          if (!desc_ok) begin
            state <= desc_status_ok ? S_OUT : S_NEXT;
            out_beats <= '0;
            first <= 1'b1;
          end else begin
            ar_valid <= 1'b1;
            ar_addr <= a_meta + (64'(d_query) << 2);
            ar_len <= 8'(d_hd >> 3) - 8'd1;
            q_beat <= '0;
            resp_done <= 1'b0;
            state <= S_QUERY_WAIT;
          end
        end
        S_QUERY_WAIT: begin
          if (resp_done) begin
            resp_done <= 1'b0;
            q_load <= 1'b1;   // with the query registered at the last beat's edge
            state <= S_KEY;
            first <= 1'b1;
          end
        end
        S_KEY: begin
          if (softmax_done) begin
            if (!refetched) msb_max_prob <= softmax_max_prob;
            final_max_prob <= softmax_max_prob;
            first <= 1'b1;
            if (prog_r && !refetched && softmax_refetch) begin
              refetched <= 1'b1;
              state <= S_KEY;
            end else if (use_topk_r) begin
              state <= S_TOPK;
            end else begin
              state <= keep_r != 0 ? S_VALUE : S_VALUE_EMPTY;
            end
          end
        end
        S_TOPK: begin
          if (topk_done) begin
            state <= S_VALUE;
            first <= 1'b1;
          end
        end
        S_VALUE: begin
          if (pv_done) begin
            state <= S_OUT;
            first <= 1'b1;
          end
        end
        S_VALUE_EMPTY: begin
          state <= S_OUT;
          first <= 1'b1;
        end
        S_OUT: begin
          aw_valid <= 1'b1;
          aw_addr <= rejected ? status_addr_r : out_addr_r;
          aw_len <= rejected ? 8'd0 : 8'(out_beats) - 8'd1;
          aw_sent <= rejected ? 2'd1 : 2'd0;
          b_got <= rejected ? 2'd1 : 2'd0;
          w_beat <= '0;
          state <= S_OUT_WAIT;
        end
        S_OUT_WAIT: begin
          if (aw_valid && aw_ready) begin
            if (aw_sent == 2'd0) begin
              aw_addr <= status_addr_r;
              aw_len <= 8'd0;
            end else begin
              aw_valid <= 1'b0;
            end
            aw_sent <= aw_sent + 1'b1;
          end
          if (w_valid && w_ready) w_beat <= w_beat + 1'b1;
          if (b_valid) b_got <= b_got + 1'b1;
          if (b_got == 2'd2) state <= S_NEXT;
        end
        S_NEXT: ;
        S_DONE: ;
        default: state <= S_IDLE;
      endcase
      // S_NEXT and S_DONE act in the same cycle they are entered from, below
      if (state == S_NEXT || (state == S_OUT_WAIT && b_got == 2'd2)) begin
        if (job_idx + 1 < num_jobs_r) begin
          job_idx <= job_idx + 1;
          state <= S_DESC;
        end else begin
          state <= S_DONE;
        end
      end
      if (state == S_DONE) begin
        ap_done <= 1'b1;
        state <= S_IDLE;
      end
    end
  end
endmodule
