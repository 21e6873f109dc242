// hw/rtl/spatten_attention_core.sv — the decode-attention datapath and its
// job controller: the units of hw/rtl wired as the cycle model's
// Accelerator wires them (sim/cmodel/src/accelerator.cpp), one head job at a
// time. Control arrives as ap_ctrl_hs signals and argument values (the top,
// spatten_attention.sv, puts s_axi_control in front); memory is LANES AXI4
// read masters shared by the key and value passes plus the job controller's
// read/write master.
//
//   job_controller  descriptor, query, phases, output and status
//   row_fetcher     K rows (with the live list) then V rows, over the lanes
//   key buffer      KEY_ROWS rows of D_MAX MSB and LSB words (slots of the
//                   fetcher's credit); a row leaves for the Q·K unit as
//                   msb*2^l + lsb (exact) or msb*2^l + 2^(l-1) (MSB only)
//   qk_unit         M_QK multipliers, ROWS_QK rows per cycle
//   softmax_unit    TOPK_P lanes; its normalize pass also fills the top-k
//                   engine's row memory and the probability memory
//   topk_engine     value top-k (positions kept, in order, to the fetcher)
//   value buffer    VALUE_ROWS rows of D_MAX MSB and LSB words
//   pv_unit         M_PV multipliers, ROWS_PV rows per cycle
//
// Buffer reads are asynchronous and the probability memory has ROWS_PV read
// ports: exact for simulation; a device build would register the reads one
// cycle ahead (the consumer's next rows are known a cycle early).
module spatten_attention_core #(
  parameter int LANES = 2,
  parameter int N_MAX = 4096,
  parameter int D_MAX = 128,
  parameter int Q_BITS = 12,
  parameter int K_MSB_BITS = 8,
  parameter int K_LSB_BITS = 4,
  parameter int V_MSB_BITS = 8,
  parameter int V_LSB_BITS = 4,
  parameter int LOGIT_FRAC = 10,
  parameter int PROB_FRAC = 16,
  parameter int OUT_FRAC = 4,
  parameter int M_QK = 64,
  parameter int M_PV = 64,
  parameter int LATENCY = 8,
  parameter int TOPK_P = 16,
  parameter int KEY_ROWS = 1024,
  parameter int VALUE_ROWS = 1024,
  parameter int MAX_OUT = 128
) (
  input  logic                        clk,
  input  logic                        rst_n,
  input  logic                        ap_start,
  output logic                        ap_done,
  output logic                        ap_idle,
  output logic                        ap_ready,
  input  logic [63:0]                 arg_k_msb,
  input  logic [63:0]                 arg_k_lsb,
  input  logic [63:0]                 arg_v_msb,
  input  logic [63:0]                 arg_v_lsb,
  input  logic [63:0]                 arg_meta,
  input  logic [63:0]                 arg_out,
  input  logic [31:0]                 arg_num_jobs,
  input  logic [31:0]                 arg_desc_offset,
  // lanes: AXI4 read masters
  output logic [LANES-1:0]            lane_ar_valid,
  input  logic [LANES-1:0]            lane_ar_ready,
  output logic [LANES*64-1:0]         lane_ar_addr,
  output logic [LANES*8-1:0]          lane_ar_len,
  input  logic [LANES-1:0]            lane_r_valid,
  input  logic [LANES*256-1:0]        lane_r_data,
  input  logic [LANES-1:0]            lane_r_last,
  output logic [LANES-1:0]            lane_r_ready,
  // ctrl: AXI4 read/write master
  output logic                        ctrl_ar_valid,
  input  logic                        ctrl_ar_ready,
  output logic [63:0]                 ctrl_ar_addr,
  output logic [7:0]                  ctrl_ar_len,
  input  logic                        ctrl_r_valid,
  input  logic [255:0]                ctrl_r_data,
  input  logic                        ctrl_r_last,
  output logic                        ctrl_aw_valid,
  input  logic                        ctrl_aw_ready,
  output logic [63:0]                 ctrl_aw_addr,
  output logic [7:0]                  ctrl_aw_len,
  output logic                        ctrl_w_valid,
  input  logic                        ctrl_w_ready,
  output logic [255:0]                ctrl_w_data,
  output logic [31:0]                 ctrl_w_strb,
  output logic                        ctrl_w_last,
  input  logic                        ctrl_b_valid,
  // observation (scoreboards)
  output logic                        obs_job_start,
  output logic                        obs_key_start,
  output logic                        obs_softmax_done,
  output logic                        obs_topk_start,
  output logic                        obs_topk_done,
  output logic                        obs_value_start,
  output logic                        obs_pv_done
);
  localparam int IW = $clog2(N_MAX + 1);
  localparam int HW = $clog2(D_MAX + 1);
  localparam int K_BITS = K_MSB_BITS + K_LSB_BITS;
  localparam int V_BITS = V_MSB_BITS + V_LSB_BITS;
  localparam int LOGIT_BITS = 16 + LOGIT_FRAC;
  localparam int PBW = PROB_FRAC + 1;
  localparam int OUT_BITS = V_BITS + OUT_FRAC;
  localparam int ROWS_QK = M_QK >= D_MAX ? M_QK / D_MAX : 1;
  localparam int ROWS_PV = M_PV >= D_MAX ? M_PV / D_MAX : 1;
  localparam int ROWS_F = ROWS_QK > ROWS_PV ? ROWS_QK : ROWS_PV;
  localparam int MRB = D_MAX / 16;                       // beats of a plane row (int16 words, 32-byte beats)
  localparam int BUF_ROWS = KEY_ROWS > VALUE_ROWS ? KEY_ROWS : VALUE_ROWS;
  localparam int SLW = BUF_ROWS > 1 ? $clog2(BUF_ROWS) : 1;
  localparam int BIW = MRB > 1 ? $clog2(MRB) : 1;
  localparam int SM_NB = (N_MAX + TOPK_P - 1) / TOPK_P;
  localparam int SM_RW = SM_NB > 1 ? $clog2(SM_NB) : 1;
  localparam int TW = $clog2(ROWS_F + 1);
  localparam int PAW = N_MAX > 1 ? $clog2(N_MAX) : 1;

  generate
    if (D_MAX % 16 != 0 || D_MAX < 16) begin : g_bad_dmax
      $fatal(1, "spatten_attention_core: D_MAX must be a multiple of 16");
    end
    if (KEY_ROWS != VALUE_ROWS) begin : g_bad_buffers
      // one fetcher credit for both passes (every shipped preset has equal buffers)
      $fatal(1, "spatten_attention_core: KEY_ROWS must equal VALUE_ROWS");
    end
    if (ROWS_QK > TOPK_P) begin : g_bad_rows
      $fatal(1, "spatten_attention_core: more Q.K rows per cycle than softmax lanes");
    end
  endgenerate

  // Status outputs of the units that the core's sequencing does not need (the
  // job controller follows the done pulses; the rest are for other users of
  // the units and for waveforms).
  /* verilator lint_off UNUSEDSIGNAL */
  logic progressive, job_busy, f_busy, qk_idle, sm_in_ready, sm_busy, pv_idle, topk_busy;
  logic [ROWS_QK-1:0][$clog2(N_MAX + 1)-1:0] qk_out_pos;
  logic [$clog2(N_MAX + 1)-1:0] sm_argmax;
  logic [25+$clog2(N_MAX)-1:0] sm_exp_sum;
  logic [TOPK_P-1:0][PROB_FRAC:0] sm_rd_prob;
  /* verilator lint_on UNUSEDSIGNAL */

  // ------------------------------------------------------------ controller
  logic [IW-1:0] n_live, keep;
  logic [HW-1:0] head_dim;
  logic [3:0] hd_log2;
  logic use_topk, q_load, key_start, key_exact, key_refetch, key_msbs_on_chip;
  logic topk_start, value_start, value_exact, value_phase, job_start;
  logic [16:0] threshold;
  logic [15:0] score_mult;
  logic [5:0] score_shift;
  logic [63:0] k_msb_base, k_lsb_base, v_msb_base, v_lsb_base, live_addr;
  logic [D_MAX*Q_BITS-1:0] query;
  logic sm_done, sm_refetch, topk_done, pv_done;
  logic [PROB_FRAC:0] sm_max_prob;
  logic [D_MAX-1:0][OUT_BITS-1:0] pv_out;
  logic [D_MAX*OUT_BITS-1:0] pv_out_flat;
  always_comb for (int d = 0; d < D_MAX; d++) pv_out_flat[d*OUT_BITS +: OUT_BITS] = pv_out[d];

  job_controller #(
    .N_MAX(N_MAX), .D_MAX(D_MAX), .Q_BITS(Q_BITS), .KEY_ROWS(KEY_ROWS), .PROB_FRAC(PROB_FRAC), .OUT_BITS(OUT_BITS)
  ) u_job_controller (
    .clk, .rst_n, .ap_start, .ap_done, .ap_idle, .ap_ready,
    .arg_k_msb, .arg_k_lsb, .arg_v_msb, .arg_v_lsb, .arg_meta, .arg_out, .arg_num_jobs, .arg_desc_offset,
    .ar_valid(ctrl_ar_valid), .ar_ready(ctrl_ar_ready), .ar_addr(ctrl_ar_addr), .ar_len(ctrl_ar_len),
    .r_valid(ctrl_r_valid), .r_data(ctrl_r_data), .r_last(ctrl_r_last),
    .aw_valid(ctrl_aw_valid), .aw_ready(ctrl_aw_ready), .aw_addr(ctrl_aw_addr), .aw_len(ctrl_aw_len),
    .w_valid(ctrl_w_valid), .w_ready(ctrl_w_ready), .w_data(ctrl_w_data), .w_strb(ctrl_w_strb),
    .w_last(ctrl_w_last), .b_valid(ctrl_b_valid),
    .n_live, .head_dim, .hd_log2, .progressive, .keep, .use_topk, .threshold, .score_mult, .score_shift,
    .k_msb_base, .k_lsb_base, .v_msb_base, .v_lsb_base, .live_addr, .query,
    .q_load, .key_start, .key_exact, .key_refetch, .key_msbs_on_chip,
    .softmax_done(sm_done), .softmax_refetch(sm_refetch), .softmax_max_prob(sm_max_prob),
    .topk_start, .topk_done, .value_start, .value_exact, .pv_done, .pv_out(pv_out_flat),
    .value_phase, .job_start, .job_busy);

  // ------------------------------------------------------------ fetcher
  logic f_start, f_two, f_id0, f_id1, f_live, f_sel;
  logic [IW-1:0] f_count;
  logic [63:0] f_base0, f_base1;
  logic [TW-1:0] f_take;
  logic [IW-1:0] delivered;
  logic [ROWS_F-1:0][IW-1:0] pos_rd_index, pos_rd;
  logic [TOPK_P-1:0] topk_out_valid;
  logic [TOPK_P*IW-1:0] topk_out_index;
  logic [LANES-1:0] bw_valid, bw_plane;
  logic [LANES*SLW-1:0] bw_slot;
  logic [LANES*BIW-1:0] bw_beat;
  logic [LANES*256-1:0] bw_data;

  always_comb begin
    f_start = key_start || value_start;
    if (value_phase || value_start) begin
      f_count = keep;
      f_two = value_exact;
      f_base0 = v_msb_base;
      f_base1 = v_lsb_base;
      f_id0 = 1'b0;
      f_id1 = 1'b1;
      f_live = 1'b0;
      f_sel = use_topk;
    end else begin
      f_count = n_live;
      f_live = !key_refetch;
      f_sel = 1'b0;
      if (key_refetch && key_msbs_on_chip) begin   // the LSB plane only
        f_two = 1'b0;
        f_base0 = k_lsb_base;
        f_base1 = k_lsb_base;
        f_id0 = 1'b1;
        f_id1 = 1'b1;
      end else begin
        f_two = key_exact;
        f_base0 = k_msb_base;
        f_base1 = k_lsb_base;
        f_id0 = 1'b0;
        f_id1 = 1'b1;
      end
    end
  end

  row_fetcher #(
    .LANES(LANES), .BEAT_BYTES(32), .BUF_ROWS(BUF_ROWS), .MAX_OUT(MAX_OUT), .N_MAX(N_MAX), .MAX_ROW_BEATS(MRB),
    .ROWS(ROWS_F), .P_SEL(TOPK_P)
  ) u_row_fetcher (
    .clk, .rst_n, .start(f_start), .count(f_count), .two_planes(f_two), .plane_base0(f_base0),
    .plane_base1(f_base1), .plane_id0(f_id0), .plane_id1(f_id1), .row_shift(hd_log2 + 4'd1),
    .row_beats_m1(8'((32'd1 << (hd_log2 - 4'd4)) - 32'd1)), .fetch_live(f_live), .live_addr(live_addr), .use_sel(f_sel),
    .take(f_take), .delivered(delivered), .busy(f_busy), .pos_rd_index(pos_rd_index), .pos_rd(pos_rd),
    .sel_clear(topk_start), .sel_wr_valid(topk_out_valid), .sel_wr_index(topk_out_index),
    .ar_valid(lane_ar_valid), .ar_ready(lane_ar_ready), .ar_addr(lane_ar_addr), .ar_len(lane_ar_len),
    .r_valid(lane_r_valid), .r_data(lane_r_data), .r_last(lane_r_last), .r_ready(lane_r_ready),
    .bw_valid, .bw_slot, .bw_plane, .bw_beat, .bw_data);

  // ------------------------------------------------------------ buffers
  // One entry = one 32-byte beat of a row: 16 words in the Q·K / prob·V
  // units' layout (msb*2^l + lsb), kept as two halves that the two planes
  // write independently (two lanes may deliver a row's planes in one cycle):
  // `hi` holds msb*2^l, `lo` holds lsb, or 2^(l-1) written with the MSB beat
  // when the pass uses MSB-only words. A row leaves as hi | lo.
  logic [15:0][K_BITS-1:0] khi_mem [KEY_ROWS*MRB];
  logic [15:0][K_BITS-1:0] klo_mem [KEY_ROWS*MRB];
  logic [15:0][V_BITS-1:0] vhi_mem [VALUE_ROWS*MRB];
  logic [15:0][V_BITS-1:0] vlo_mem [VALUE_ROWS*MRB];
  localparam logic [K_BITS-1:0] K_LO_MID = K_BITS'(1) << (K_LSB_BITS - 1);
  localparam logic [V_BITS-1:0] V_LO_MID = V_BITS'(1) << (V_LSB_BITS - 1);
  localparam logic [15:0][K_BITS-1:0] K_LO_BEAT = '{default: K_LO_MID};
  localparam logic [15:0][V_BITS-1:0] V_LO_BEAT = '{default: V_LO_MID};
  // each beat's 16 int16 words cut to the plane's bits, in their half. Cut
  // inside the write (functions, not a combinational array of every lane's
  // beat): the same netlist, and a simulator cuts only the valid beats.
  function automatic logic [15:0][K_BITS-1:0] cut_khi(input logic [255:0] beat);
    for (int w = 0; w < 16; w++) cut_khi[w] = {beat[w*16 +: K_MSB_BITS], K_LSB_BITS'(0)};
  endfunction
  function automatic logic [15:0][K_BITS-1:0] cut_klo(input logic [255:0] beat);
    for (int w = 0; w < 16; w++) cut_klo[w] = {K_MSB_BITS'(0), beat[w*16 +: K_LSB_BITS]};
  endfunction
  function automatic logic [15:0][V_BITS-1:0] cut_vhi(input logic [255:0] beat);
    for (int w = 0; w < 16; w++) cut_vhi[w] = {beat[w*16 +: V_MSB_BITS], V_LSB_BITS'(0)};
  endfunction
  function automatic logic [15:0][V_BITS-1:0] cut_vlo(input logic [255:0] beat);
    for (int w = 0; w < 16; w++) cut_vlo[w] = {V_MSB_BITS'(0), beat[w*16 +: V_LSB_BITS]};
  endfunction
  always_ff @(posedge clk) begin
    for (int j = 0; j < LANES; j++) begin
      if (bw_valid[j]) begin
        if (value_phase) begin
          if (bw_plane[j]) begin
            vlo_mem[int'(bw_slot[j*SLW +: SLW]) * MRB + int'(bw_beat[j*BIW +: BIW])] <= cut_vlo(bw_data[j*256 +: 256]);
          end else begin
            vhi_mem[int'(bw_slot[j*SLW +: SLW]) * MRB + int'(bw_beat[j*BIW +: BIW])] <= cut_vhi(bw_data[j*256 +: 256]);
            if (!value_exact) vlo_mem[int'(bw_slot[j*SLW +: SLW]) * MRB + int'(bw_beat[j*BIW +: BIW])] <= V_LO_BEAT;
          end
        end else begin
          if (bw_plane[j]) begin
            klo_mem[int'(bw_slot[j*SLW +: SLW]) * MRB + int'(bw_beat[j*BIW +: BIW])] <= cut_klo(bw_data[j*256 +: 256]);
          end else begin
            khi_mem[int'(bw_slot[j*SLW +: SLW]) * MRB + int'(bw_beat[j*BIW +: BIW])] <= cut_khi(bw_data[j*256 +: 256]);
            if (!key_exact) klo_mem[int'(bw_slot[j*SLW +: SLW]) * MRB + int'(bw_beat[j*BIW +: BIW])] <= K_LO_BEAT;
          end
        end
      end
    end
  end

  // ------------------------------------------------------------ Q·K
  logic [IW-1:0] cons;          // rows taken by the current pass's consumer
  logic [SLW-1:0] cons_slot;
  logic [IW-1:0] avail;
  assign avail = delivered - cons;
  logic [ROWS_QK-1:0] qk_in_valid;
  logic qk_in_ready;
  logic [ROWS_QK-1:0][D_MAX-1:0][K_BITS-1:0] qk_in_key;
  logic [ROWS_QK-1:0][IW-1:0] qk_in_pos;
  logic [ROWS_QK-1:0] qk_out_valid;
  logic [ROWS_QK-1:0][LOGIT_BITS-1:0] qk_out_logit;
  logic [D_MAX-1:0][Q_BITS-1:0] q_data;
  always_comb for (int d = 0; d < D_MAX; d++) q_data[d] = query[d*Q_BITS +: Q_BITS];

  function automatic logic [SLW-1:0] slot_plus(input logic [SLW-1:0] s, input int r, input int rows);
    slot_plus = SLW'(unsigned'((int'(s) + r) % rows));
  endfunction

  always_comb begin
    qk_in_valid = '0;
    qk_in_key = '0;
    qk_in_pos = '0;
    for (int r = 0; r < ROWS_QK; r++) begin
      logic [SLW-1:0] sl;
      sl = slot_plus(cons_slot, r, BUF_ROWS);
      qk_in_valid[r] = !value_phase && 32'(avail) > unsigned'(r);
      qk_in_pos[r] = cons + IW'(unsigned'(r));
      // assembled only for a row on offer (the unit reads in_key under in_valid)
      if (qk_in_valid[r])
        for (int b = 0; b < MRB; b++) qk_in_key[r][b*16 +: 16] = khi_mem[int'(sl) * MRB + b] | klo_mem[int'(sl) * MRB + b];
    end
  end

  qk_unit #(
    .M(M_QK), .D(D_MAX), .Q_BITS(Q_BITS), .K_BITS(K_BITS), .LOGIT_FRAC(LOGIT_FRAC), .LATENCY(LATENCY), .POS_BITS(IW)
  ) u_qk_unit (
    .clk, .rst_n, .q_load, .q_data, .mult(score_mult), .shift(score_shift), .head_dim(head_dim),
    .in_valid(qk_in_valid), .in_ready(qk_in_ready), .in_key(qk_in_key), .in_pos(qk_in_pos),
    .out_valid(qk_out_valid), .out_logit(qk_out_logit), .out_pos(qk_out_pos), .idle(qk_idle));

  // ------------------------------------------------------------ softmax
  logic [TOPK_P-1:0] sm_in_valid;
  logic [TOPK_P-1:0][LOGIT_BITS-1:0] sm_in_logit;
  logic [TOPK_P-1:0] sm_out_valid;
  logic [SM_RW-1:0] sm_out_row;
  logic [TOPK_P-1:0][PROB_FRAC:0] sm_out_prob;
  logic [TOPK_P*PBW-1:0] sm_out_prob_flat;
  always_comb for (int j = 0; j < TOPK_P; j++) sm_out_prob_flat[j*PBW +: PBW] = sm_out_prob[j];
  always_comb begin
    sm_in_valid = '0;
    sm_in_logit = '0;
    for (int r = 0; r < ROWS_QK; r++) begin
      sm_in_valid[r] = qk_out_valid[r];
      sm_in_logit[r] = qk_out_logit[r];
    end
  end
  softmax_unit #(.L(TOPK_P), .N_MAX(N_MAX), .F(LOGIT_FRAC), .P(PROB_FRAC)) u_softmax_unit (
    .clk, .rst_n, .start(key_start), .n(n_live), .thr(threshold), .in_ready(sm_in_ready), .in_valid(sm_in_valid),
    .in_logit(sm_in_logit), .busy(sm_busy), .done(sm_done), .argmax(sm_argmax), .max_prob(sm_max_prob),
    .exp_sum(sm_exp_sum), .refetch(sm_refetch), .out_valid(sm_out_valid), .out_row(sm_out_row),
    .out_prob(sm_out_prob), .rd_row('0), .rd_prob(sm_rd_prob));

  // probability memory (ROWS_PV read ports for the prob·V unit)
  logic [PROB_FRAC:0] prob_mem [N_MAX];
  always_ff @(posedge clk) begin
    for (int j = 0; j < TOPK_P; j++) begin
      if (sm_out_valid[j] && int'(sm_out_row) * TOPK_P + j < N_MAX) prob_mem[int'(sm_out_row) * TOPK_P + j] <= sm_out_prob[j];
    end
  end

  // ------------------------------------------------------------ top-k
  topk_engine #(.P(TOPK_P), .N_MAX(N_MAX), .W(PBW)) u_topk_engine (
    .clk, .rst_n, .wr_en(|sm_out_valid), .wr_row(sm_out_row), .wr_data(sm_out_prob_flat), .start(topk_start),
    .n(n_live), .k(keep), .busy(topk_busy), .done(topk_done), .out_valid(topk_out_valid), .out_index(topk_out_index));

  // ------------------------------------------------------------ prob·V
  logic [ROWS_PV-1:0] pv_in_valid;
  logic pv_in_ready;
  logic [ROWS_PV-1:0][PROB_FRAC:0] pv_in_prob;
  logic [ROWS_PV-1:0][D_MAX-1:0][V_BITS-1:0] pv_in_v;
  always_comb begin
    pv_in_valid = '0;
    pv_in_prob = '0;
    pv_in_v = '0;
    pos_rd_index = '0;
    for (int r = 0; r < ROWS_F; r++) pos_rd_index[r] = cons + IW'(unsigned'(r));
    for (int r = 0; r < ROWS_PV; r++) begin
      logic [SLW-1:0] sl;
      sl = slot_plus(cons_slot, r, BUF_ROWS);
      pv_in_valid[r] = value_phase && 32'(avail) > unsigned'(r);
      if (pv_in_valid[r]) begin   // as for Q·K: only a row on offer
        pv_in_prob[r] = prob_mem[PAW'(pos_rd[r])];
        for (int b = 0; b < MRB; b++) pv_in_v[r][b*16 +: 16] = vhi_mem[int'(sl) * MRB + b] | vlo_mem[int'(sl) * MRB + b];
      end
    end
  end
  pv_unit #(
    .M(M_PV), .D(D_MAX), .PROB_FRAC(PROB_FRAC), .V_BITS(V_BITS), .OUT_FRAC(OUT_FRAC), .LATENCY(LATENCY),
    .COUNT_BITS(IW)
  ) u_pv_unit (
    .clk, .rst_n, .start(value_start), .count(keep), .head_dim(head_dim), .in_valid(pv_in_valid),
    .in_ready(pv_in_ready), .in_prob(pv_in_prob), .in_v(pv_in_v), .done(pv_done), .out(pv_out), .idle(pv_idle));

  // ------------------------------------------------------------ consumer counters
  always_comb begin
    int t;
    t = 0;
    if (value_phase) begin
      if (pv_in_ready) for (int r = 0; r < ROWS_PV; r++) if (pv_in_valid[r]) t = t + 1;
    end else begin
      if (qk_in_ready) for (int r = 0; r < ROWS_QK; r++) if (qk_in_valid[r]) t = t + 1;
    end
    f_take = TW'(unsigned'(t));
  end
  always_ff @(posedge clk) begin
    if (!rst_n || f_start) begin
      cons <= '0;
      cons_slot <= '0;
    end else begin
      cons <= cons + IW'(f_take);
      cons_slot <= slot_plus(cons_slot, int'(f_take), BUF_ROWS);
    end
  end

  assign obs_job_start = job_start;
  assign obs_key_start = key_start;
  assign obs_softmax_done = sm_done;
  assign obs_topk_start = topk_start;
  assign obs_topk_done = topk_done;
  assign obs_value_start = value_start;
  assign obs_pv_done = pv_done;
endmodule
