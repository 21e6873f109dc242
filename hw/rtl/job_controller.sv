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
//   ACC    (flag accumulate) after VALUE: the importance unit adds the
//          final probabilities (importance_unit.sv); ends with its done.
//   OUT    AW of the output (head_dim/8 beats) placed in the AW register in
//          its first cycle, the status record's AW (1 beat) when the first
//          leaves; W beats follow the AW order, one per cycle from the
//          second cycle; ends in the cycle after the last B.
// A job with clear_importance runs CLEAR (the importance unit zeroes its
// rows, starting in QUERY's first cycle) and then QUERY again, which goes on
// as usual. A decision job (flag decide): DESC, QUERY (validation; [CLEAR]),
// LIVE (the fetcher reads the live list only, from its first cycle; ends
// with its ids_done), GATHER (importance unit; ends with its done), TOPK
// (only when 0 < keep - protected < candidates: the engine on the
// candidates), EMIT (importance unit), OUT: the kept ids in whole beats, one
// burst per 4 KiB page (the last beat strobed to the ids), then the status
// record (values_kept = ids kept). The cycle model's run_decision.
// A job is rejected (its status record says so, nothing else is written,
// no cycle-model timing applies) when n_live is 0 or above N_MAX, or an
// offset is misaligned for whole-beat transfers: live and status offsets
// multiples of 8 words; a head job also when head_dim is not a power of two
// in 16 .. D_MAX or a plane, query or out offset is not a multiple of
// head_dim; a decision job also when its out offset is not a multiple of 8
// words. A job with a misaligned status offset writes nothing at all.
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
  parameter int TOPK_P = 16,                     // importance row / kept-id row width (a multiple of 8)
  parameter int IW = $clog2(N_MAX + 1),
  parameter int HW = $clog2(D_MAX + 1),
  parameter int KRW = ((N_MAX + TOPK_P - 1) / TOPK_P) > 1 ? $clog2((N_MAX + TOPK_P - 1) / TOPK_P) : 1
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
  // token importance and cascade decisions (importance_unit.sv)
  output logic                      decide,        // the job is a decision
  output logic [31:0]               context_len,
  output logic [31:0]               sink_tokens,
  output logic [31:0]               recent_tokens,
  output logic                      imp_clear_start,
  output logic                      imp_acc_start,
  output logic                      imp_gather_start,
  output logic                      imp_emit_start,
  input  logic                      imp_done,
  output logic                      live_start,    // decision: the fetcher reads the live list only
  input  logic                      ids_done,
  input  logic [IW-1:0]             n_cand,        // after GATHER
  input  logic [IW-1:0]             n_prot,
  output logic [IW-1:0]             cand_keep,     // decision: candidates to select (keep - protected, >= 0)
  output logic                      keep_all,      // decision: keep >= n
  output logic                      use_engine,    // decision: the engine runs (0 < cand_keep < n_cand)
  input  logic [IW-1:0]             kept_count,
  output logic [KRW-1:0]            kept_rd_row,
  input  logic [TOPK_P*32-1:0]      kept_rd_data,
  output logic                      job_start,     // first cycle of a job (X0, for observers)
  output logic                      job_busy       // a call is running (for observers)
);
  typedef enum logic [4:0] {
    S_IDLE, S_DESC, S_DESC_WAIT, S_QUERY, S_QUERY_WAIT, S_KEY, S_TOPK, S_VALUE, S_VALUE_EMPTY,
    S_OUT, S_OUT_WAIT, S_NEXT, S_DONE, S_CLEAR, S_ACC, S_LIVE, S_GATHER, S_EMIT
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
  logic [5:0]  out_beats;          // head_dim / 8
  // OUT: data beats (the output, or a decision's kept ids) in bursts that do
  // not cross 4 KiB, then the status beat
  localparam int BCW = IW;          // beat counts (ids / 8 < N_MAX)
  logic [BCW-1:0] aw_left;          // data beats not yet in an AW
  logic [63:0] aw_next;             // address of the next data burst
  logic        aw_status_due;       // the status AW is still to come
  logic        aw_all;              // every AW accepted
  logic [BCW:0] aw_cnt, b_cnt;      // AWs accepted, Bs received
  logic [BCW-1:0] w_db;             // data beats sent
  logic [BCW-1:0] w_total;          // data beats of the job
  logic [11:0] w_page_off;          // the next data beat's offset in its 4 KiB page (W bursts end at pages)
  logic [8:0]  w_burst_left;        // beats left in the current W burst
  logic        w_status_sent;
  logic        cleared;             // CLEAR ran for this job
  logic        acc_r;               // the job's accumulate flag
  logic [31:0] d_ctx, d_sinks, d_recent;

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
    d_ctx = desc[DESC_CONTEXT_LEN_LSB +: 32] & ((32'd1 << DESC_CONTEXT_LEN_BITS) - 1);
    d_sinks = desc[DESC_SINK_TOKENS_LSB +: 32] & ((32'd1 << DESC_SINK_TOKENS_BITS) - 1);
    d_recent = desc[DESC_RECENT_TOKENS_LSB +: 32] & ((32'd1 << DESC_RECENT_TOKENS_BITS) - 1);
  end

  generate
    if (DESC_REQUANT_THRESHOLD_Q16_BITS != 17 || DESC_SCORE_SHIFT_BITS != 6 || DESC_SCORE_MULT_BITS != 16 ||
        DESC_BYTES != 64 || DESC_CONTEXT_LEN_BITS > 32) begin : g_bad_layout
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
  wire d_decide = d_flags[DESC_FLAGS_DECIDE_BIT];
  wire d_clear = d_flags[DESC_FLAGS_CLEAR_IMPORTANCE_BIT];
  wire head_ok = hd_pow2 && (d_kmsb & hd_mask) == 0 && (d_klsb & hd_mask) == 0 && (d_vmsb & hd_mask) == 0 &&
                 (d_vlsb & hd_mask) == 0 && (d_query & hd_mask) == 0 && (d_out & hd_mask) == 0;
  wire desc_ok = d_n != 0 && d_n <= unsigned'(N_MAX) && d_live[2:0] == 3'd0 && desc_status_ok &&
                 (d_decide ? d_out[2:0] == 3'd0 : head_ok);
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
  logic          decide_r;
  logic [31:0]   ctx_r, sinks_r, recent_r;
  assign n_live = n_r;
  assign head_dim = hd_r;
  assign hd_log2 = hd_log2_r;
  assign progressive = prog_r;
  assign keep = keep_r;
  assign use_topk = use_topk_r;
  assign threshold = thr_r;
  assign score_mult = mult_r;
  assign score_shift = shift_r;
  assign decide = decide_r;
  assign context_len = ctx_r;
  assign sink_tokens = sinks_r;
  assign recent_tokens = recent_r;
  // decision: candidates to select and whether the engine has a choice
  assign keep_all = keep_r == n_r;
  assign cand_keep = keep_r > n_prot ? keep_r - n_prot : '0;
  assign use_engine = !keep_all && cand_keep != '0 && cand_keep < n_cand;
  // QUERY's first cycle with a valid descriptor: CLEAR, LIVE or the query read
  wire query_go = state == S_QUERY && desc_ok;
  assign imp_clear_start = query_go && d_clear && !cleared;
  assign imp_acc_start = state == S_ACC && first;
  assign imp_gather_start = state == S_GATHER && first;
  assign imp_emit_start = state == S_EMIT && first;
  assign live_start = state == S_LIVE && first;
  // outputs of the state machine
  assign ap_idle = state == S_IDLE;
  assign job_busy = state != S_IDLE && state != S_DONE;
  assign job_start = state == S_DESC;
  assign value_phase = state == S_VALUE;
  assign key_start = state == S_KEY && first;
  assign topk_start = state == S_TOPK && first;   // the value top-k, or a decision's
  assign value_start = state == S_VALUE && first;
  assign value_exact = !prog_r || refetched;   // golden value_rows_exact
  assign key_exact = !prog_r || refetched;
  assign key_refetch = refetched;
  assign key_msbs_on_chip = 32'(n_r) <= unsigned'(KEY_ROWS);

  // W data of OUT: data beats (output words or kept ids) then the status beat
  logic no_rows;
  assign no_rows = keep_r == '0;
  localparam int KBEATS = TOPK_P / 8;   // beats of a kept-id row
  generate
    if (TOPK_P % 8 != 0) begin : g_bad_p
      $fatal(1, "job_controller: TOPK_P must be a multiple of 8 (kept-id rows are whole beats)");
    end
  endgenerate
  assign kept_rd_row = KRW'(w_db / BCW'(unsigned'(KBEATS)));
  always_comb begin
    w_data = '0;
    w_strb = 32'hFFFF_FFFF;
    w_last = 1'b1;
    w_valid = state == S_OUT_WAIT && !w_status_sent;
    if (w_db < w_total) begin
      if (decide_r) begin
        w_data = kept_rd_data[(int'(w_db) % KBEATS) * 256 +: 256];
        // the last beat: only the kept ids' words
        if (w_db + 1'b1 == w_total && kept_count[2:0] != 3'd0) w_strb = 32'((64'd1 << (4 * int'(kept_count[2:0]))) - 1);
      end else begin
        for (int k = 0; k < 8; k++) begin
          // no kept row: the output is zero (the prob·V unit did not run)
          if (int'(w_db) * 8 + k < D_MAX && !no_rows)
            w_data[k*32 +: 32] = unsigned'(32'(signed'(pv_out[(int'(w_db) * 8 + k) * OUT_BITS +: OUT_BITS])));
        end
      end
      w_last = w_burst_left == 9'd1;
    end else begin
      // the status record's STATUS_WORDS words; the rest of the beat is not written
      w_strb = 32'((64'd1 << (4 * STATUS_WORDS)) - 1);
      w_data[32 * STATUS_FLAGS_INDEX + STATUS_REJECTED_BIT] = rejected;
      w_data[32 * STATUS_FLAGS_INDEX + STATUS_LSB_REFETCHED_BIT] = refetched;
      if (!rejected) begin
        w_data[32 * STATUS_MAX_PROB_INDEX +: 32] = decide_r ? 32'd0 : 32'(final_max_prob);
        w_data[32 * STATUS_MSB_MAX_PROB_INDEX +: 32] = decide_r ? 32'd0 : 32'(msb_max_prob);
        w_data[32 * STATUS_VALUES_KEPT_INDEX +: 32] = decide_r ? 32'(kept_count) : 32'(keep_r);
      end
    end
  end

  // OUT: data beats of the job, bursts within 4 KiB pages, the end
  logic [BCW-1:0] data_beats;
  always_comb begin
    data_beats = '0;
    if (!rejected) data_beats = decide_r ? BCW'((32'(kept_count) + 32'd7) >> 3) : BCW'(out_beats);
  end
  function automatic logic [31:0] burst_beats(input logic [11:0] page_offset, input logic [BCW-1:0] left);
    logic [31:0] room;
    room = (32'd4096 - 32'(page_offset)) >> 5;
    burst_beats = 32'(left) < room ? 32'(left) : room;
  endfunction
  wire out_end = state == S_OUT_WAIT && aw_all && b_cnt == aw_cnt;
  // this cycle's W handshake counted (a decision's AWs follow their data)
  wire w_data_hs = w_valid && w_ready && w_db < w_total;
  wire [BCW-1:0] w_sent_next = w_db + BCW'(w_data_hs);
  wire status_sent_next = w_status_sent || (w_valid && w_ready && w_db >= w_total);
  wire [BCW-1:0] aw_done_beats = w_total - aw_left;   // data beats of the AWs already loaded

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
      aw_cnt <= '0;
      b_cnt <= '0;
      aw_all <= 1'b0;
      w_db <= '0;
      w_total <= '0;
      w_status_sent <= 1'b0;
      refetched <= 1'b0;
      rejected <= 1'b0;
      cleared <= 1'b0;
      decide_r <= 1'b0;
      acc_r <= 1'b0;
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
          cleared <= 1'b0;
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
          decide_r <= d_decide;
          acc_r <= d_flags[DESC_FLAGS_ACCUMULATE_BIT];
          ctx_r <= d_ctx;
          sinks_r <= d_sinks;
          recent_r <= d_recent;
          if (!desc_ok) begin
            state <= desc_status_ok ? S_OUT : S_NEXT;
            out_beats <= '0;
            first <= 1'b1;
          end else if (d_clear && !cleared) begin
            state <= S_CLEAR;   // the importance unit started this cycle (imp_clear_start)
          end else if (d_decide) begin
            state <= S_LIVE;
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
            state <= decide_r ? S_EMIT : S_VALUE;
            first <= 1'b1;
          end
        end
        S_VALUE: begin
          if (pv_done) begin
            state <= acc_r ? S_ACC : S_OUT;
            first <= 1'b1;
          end
        end
        S_VALUE_EMPTY: begin
          state <= acc_r ? S_ACC : S_OUT;
          first <= 1'b1;
        end
        S_CLEAR: begin
          if (imp_done) begin
            cleared <= 1'b1;
            state <= S_QUERY;
          end
        end
        S_ACC, S_EMIT: begin
          if (imp_done) begin
            state <= S_OUT;
            first <= 1'b1;
          end
        end
        S_LIVE: begin
          if (ids_done) begin
            state <= S_GATHER;
            first <= 1'b1;
          end
        end
        S_GATHER: begin
          if (imp_done) begin
            state <= use_engine ? S_TOPK : S_EMIT;
            first <= 1'b1;
          end
        end
        S_OUT: begin
          aw_valid <= 1'b1;
          if (decide_r && !rejected) begin
            // a decision's ids go first: each AW waits for its burst's W beats
            aw_valid <= 1'b0;
            aw_next <= out_addr_r;
            aw_left <= data_beats;
            aw_status_due <= 1'b1;
          end else if (data_beats != '0) begin
            aw_addr <= out_addr_r;
            aw_len <= 8'(burst_beats(out_addr_r[11:0], data_beats) - 32'd1);
            aw_next <= out_addr_r + (64'(burst_beats(out_addr_r[11:0], data_beats)) << 5);
            aw_left <= data_beats - BCW'(burst_beats(out_addr_r[11:0], data_beats));
            aw_status_due <= 1'b1;
          end else begin
            aw_addr <= status_addr_r;
            aw_len <= 8'd0;
            aw_left <= '0;
            aw_status_due <= 1'b0;
          end
          aw_cnt <= '0;
          b_cnt <= '0;
          aw_all <= 1'b0;
          w_db <= '0;
          w_total <= data_beats;
          w_page_off <= out_addr_r[11:0];
          w_burst_left <= 9'(burst_beats(out_addr_r[11:0], data_beats));
          w_status_sent <= 1'b0;
          state <= S_OUT_WAIT;
        end
        S_OUT_WAIT: begin
          if (decide_r && !rejected) begin
            if (aw_valid && aw_ready) aw_cnt <= aw_cnt + 1'b1;
            if (!aw_valid || aw_ready) begin
              if (aw_left != '0 && 32'(w_sent_next) >= 32'(aw_done_beats) + burst_beats(aw_next[11:0], aw_left)) begin
                aw_valid <= 1'b1;
                aw_addr <= aw_next;
                aw_len <= 8'(burst_beats(aw_next[11:0], aw_left) - 32'd1);
                aw_next <= aw_next + (64'(burst_beats(aw_next[11:0], aw_left)) << 5);
                aw_left <= aw_left - BCW'(burst_beats(aw_next[11:0], aw_left));
              end else if (aw_left == '0 && aw_status_due && status_sent_next) begin
                aw_valid <= 1'b1;
                aw_addr <= status_addr_r;
                aw_len <= 8'd0;
                aw_status_due <= 1'b0;
              end else begin
                aw_valid <= 1'b0;
                if (aw_valid && aw_left == '0 && !aw_status_due) aw_all <= 1'b1;
              end
            end
          end else if (aw_valid && aw_ready) begin
            aw_cnt <= aw_cnt + 1'b1;
            if (aw_left != '0) begin
              aw_addr <= aw_next;
              aw_len <= 8'(burst_beats(aw_next[11:0], aw_left) - 32'd1);
              aw_next <= aw_next + (64'(burst_beats(aw_next[11:0], aw_left)) << 5);
              aw_left <= aw_left - BCW'(burst_beats(aw_next[11:0], aw_left));
            end else if (aw_status_due) begin
              aw_addr <= status_addr_r;
              aw_len <= 8'd0;
              aw_status_due <= 1'b0;
            end else begin
              aw_valid <= 1'b0;
              aw_all <= 1'b1;
            end
          end
          if (w_valid && w_ready) begin
            if (w_db < w_total) begin
              w_db <= w_db + 1'b1;
              w_page_off <= w_page_off + 12'd32;
              w_burst_left <= w_burst_left == 9'd1 ? 9'(burst_beats(w_page_off + 12'd32, w_total - w_db - 1'b1))
                                                   : w_burst_left - 9'd1;
            end else begin
              w_status_sent <= 1'b1;
            end
          end
          if (b_valid) b_cnt <= b_cnt + 1'b1;
          if (out_end) state <= S_NEXT;
        end
        S_NEXT: ;
        S_DONE: ;
        default: state <= S_IDLE;
      endcase
      // S_NEXT and S_DONE act in the same cycle they are entered from, below
      if (state == S_NEXT || out_end) begin
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
