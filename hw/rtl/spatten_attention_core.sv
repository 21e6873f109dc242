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
//   topk_engine     value top-k (positions kept, in order, to the fetcher),
//                   and a decision's top-k over 64-bit importance words
//   importance_unit the token importance memory: clear, accumulate, and a
//                   decision's gather and emit passes
//   value buffer    VALUE_ROWS rows of D_MAX MSB and LSB words
//   pv_unit         M_PV multipliers, ROWS_PV rows per cycle
//
// The key/value buffers are banked by lane with reads registered one cycle
// ahead ("buffers" below); the probability memory still has ROWS_PV
// asynchronous read ports and 16 write ports (hw/README.md).
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
  localparam int PBSW = TOPK_P > 1 ? $clog2(TOPK_P) : 1;   // probability bank number

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
    if (N_MAX < 2 * TOPK_P) begin : g_bad_importance
      $fatal(1, "spatten_attention_core: the importance memory needs at least two rows (N_MAX >= 2 TOPK_P)");
    end
  endgenerate

  // Status outputs of the units that the core's sequencing does not need (the
  // job controller follows the done pulses; the rest are for other users of
  // the units and for waveforms).
  /* verilator lint_off UNUSEDSIGNAL */
  logic progressive, job_busy, f_busy, qk_idle, sm_in_ready, sm_busy, pv_idle, topk_busy, imp_busy;
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
  // token importance and decisions
  localparam int KRW = SM_NB > 1 ? $clog2(SM_NB) : 1;
  localparam int GRW = $clog2(SM_NB + 1);
  logic decide, keep_all, use_engine, imp_done, live_start, ids_done;
  logic imp_clear_start, imp_acc_start, imp_gather_start, imp_emit_start;
  logic [31:0] context_len, sink_tokens, recent_tokens;
  logic [IW-1:0] n_cand, n_prot, cand_keep, kept_count;
  logic [KRW-1:0] kept_rd_row;
  logic [TOPK_P*32-1:0] kept_rd_data;
  logic [GRW-1:0] grp_index;
  logic [TOPK_P*32-1:0] grp_ids;
  logic [TOPK_P*PBW-1:0] grp_prob;
  always_comb for (int d = 0; d < D_MAX; d++) pv_out_flat[d*OUT_BITS +: OUT_BITS] = pv_out[d];

  job_controller #(
    .N_MAX(N_MAX), .D_MAX(D_MAX), .Q_BITS(Q_BITS), .KEY_ROWS(KEY_ROWS), .PROB_FRAC(PROB_FRAC), .OUT_BITS(OUT_BITS),
    .TOPK_P(TOPK_P)
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
    .value_phase, .decide, .context_len, .sink_tokens, .recent_tokens, .imp_clear_start, .imp_acc_start,
    .imp_gather_start, .imp_emit_start, .imp_done, .live_start, .ids_done, .n_cand, .n_prot, .cand_keep, .keep_all,
    .use_engine, .kept_count, .kept_rd_row, .kept_rd_data, .job_start, .job_busy);

  // ------------------------------------------------------------ fetcher
  logic f_start, f_two, f_id0, f_id1, f_live, f_sel;
  logic [IW-1:0] f_count;
  logic [63:0] f_base0, f_base1;
  logic [TW-1:0] f_take;
  logic [IW-1:0] delivered, delivered_n;
  logic [ROWS_F-1:0][IW-1:0] pos_rd;
  logic [IW-1:0] cons, cons_n;          // rows taken by the current pass's consumer (now, next cycle)
  logic [TOPK_P-1:0] topk_out_valid;
  logic [TOPK_P*IW-1:0] topk_out_index;
  logic [TOPK_P*32-1:0] topk_out_id;      // their token ids (the engine's payload)
  logic [LANES-1:0] bw_valid, bw_plane;
  logic [LANES*SLW-1:0] bw_slot;
  logic [LANES*BIW-1:0] bw_beat;
  logic [LANES*256-1:0] bw_data;

  always_comb begin
    f_start = key_start || value_start || live_start;   // live_start: a decision's list only
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

  logic [GRW-1:0] ids_group;   // the live-id group read (below, with the top-k engine)
  logic ids_group_en;

  row_fetcher #(
    .LANES(LANES), .BEAT_BYTES(32), .BUF_ROWS(BUF_ROWS), .MAX_OUT(MAX_OUT), .N_MAX(N_MAX), .MAX_ROW_BEATS(MRB),
    .ROWS(ROWS_F), .P_SEL(TOPK_P)
  ) u_row_fetcher (
    .clk, .rst_n, .start(f_start), .count(f_count), .two_planes(f_two), .plane_base0(f_base0),
    .plane_base1(f_base1), .plane_id0(f_id0), .plane_id1(f_id1), .row_shift(hd_log2 + 4'd1),
    .row_beats_m1(8'((32'd1 << (hd_log2 - 4'd4)) - 32'd1)), .fetch_live(f_live), .live_addr(live_addr), .use_sel(f_sel),
    .ids_only(decide), .ids_done, .ids_rd_en(ids_group_en), .ids_rd_group(ids_group), .ids_rd(grp_ids),
    .take(f_take), .delivered(delivered), .delivered_next(delivered_n), .busy(f_busy), .pos_rd_first(cons), .pos_rd(pos_rd),
    .sel_clear(topk_start), .sel_wr_valid(topk_out_valid), .sel_wr_index(topk_out_index), .sel_wr_id(topk_out_id),
    .ar_valid(lane_ar_valid), .ar_ready(lane_ar_ready), .ar_addr(lane_ar_addr), .ar_len(lane_ar_len),
    .r_valid(lane_r_valid), .r_data(lane_r_data), .r_last(lane_r_last), .r_ready(lane_r_ready),
    .bw_valid, .bw_slot, .bw_plane, .bw_beat, .bw_data);

  // ------------------------------------------------------------ buffers
  // One bank per lane: the row fetcher gives row i (slot i mod BUF_ROWS) to
  // lane i mod LANES, which requests all its planes, so bank j holds the
  // slots j, j + LANES, ... (BANK_ROWS rows, at slot / LANES) and takes at
  // most one beat per cycle, from its own lane. A bank keeps the MSB and the
  // LSB plane of a row in two memories (the planes' beats arrive as separate
  // requests); a pass that fetches MSBs only writes 2^(l-1) into the LSB
  // words with each MSB beat, the midpoint golden uses for missing bits.
  //
  // Reads are registered, one cycle ahead: at the edge that ends cycle t
  // each bank holding one of the rows the consumer may take in t+1 (slots
  // from the next cons_slot, rows below the fetcher's next `delivered`)
  // loads that row's planes into its read registers. A row counted in
  // `delivered` at t+1 had its last beat written at the edge ending t-1 at
  // the latest, and no write goes to a slot the consumer has not taken, so
  // the read sees the whole row. The ROWS_F rows of a cycle are consecutive
  // slots, hence distinct banks (ROWS_F <= LANES): one read and one write
  // port per memory, the shape of a block or distributed RAM.
  localparam int BANK_ROWS = BUF_ROWS / LANES;
  localparam int BRW = BANK_ROWS > 1 ? $clog2(BANK_ROWS) : 1;
  localparam int KHB = 16 * K_MSB_BITS, KLB = 16 * K_LSB_BITS;   // a beat of a plane memory
  localparam int VHB = 16 * V_MSB_BITS, VLB = 16 * V_LSB_BITS;
  typedef logic [D_MAX-1:0][K_BITS-1:0] key_row_t;     // a row as the Q·K unit takes it
  typedef logic [D_MAX-1:0][V_BITS-1:0] value_row_t;
  localparam logic [K_LSB_BITS-1:0] K_LSB_MID = K_LSB_BITS'(1) << (K_LSB_BITS - 1);
  localparam logic [V_LSB_BITS-1:0] V_LSB_MID = V_LSB_BITS'(1) << (V_LSB_BITS - 1);
  generate
    if (BUF_ROWS % LANES != 0 || ROWS_F > LANES) begin : g_bad_banks
      $fatal(1, "spatten_attention_core: the buffer rows must be a multiple of LANES and at most LANES rows read per cycle");
    end
    if (LANES % ROWS_QK != 0 || LANES % ROWS_PV != 0) begin : g_bad_row_lanes
      // unit lane k reads only the banks j = k (mod its rows per cycle): see "row selection"
      $fatal(1, "spatten_attention_core: LANES must be a multiple of the Q.K and prob.V rows per cycle");
    end
  endgenerate

  // the slot r rows after slot s
  function automatic logic [SLW-1:0] slot_plus(input logic [SLW-1:0] s, input int r, input int rows);
    slot_plus = SLW'(unsigned'((int'(s) + r) % rows));
  endfunction

  // next cycle's reads: bank, row within the bank (from the consumer's next
  // slot and the fetcher's next `delivered`)
  logic [SLW-1:0] cons_slot, cons_slot_n;
  logic [LANES-1:0] rd_en;
  logic [BRW-1:0] rd_row [LANES];
  always_comb begin
    logic [IW-1:0] avail_n;
    logic [SLW-1:0] sl;
    sl = '0;
    cons_n = f_start ? '0 : cons + IW'(f_take);
    cons_slot_n = f_start ? '0 : slot_plus(cons_slot, int'(f_take), BUF_ROWS);
    avail_n = delivered_n - cons_n;
    rd_en = '0;
    for (int j = 0; j < LANES; j++) rd_row[j] = '0;
    for (int r = 0; r < ROWS_F; r++) begin
      if (32'(avail_n) > unsigned'(r)) begin
        sl = slot_plus(cons_slot_n, r, BUF_ROWS);
        rd_en[int'(sl) % LANES] = 1'b1;
        rd_row[int'(sl) % LANES] = BRW'(unsigned'(int'(sl) / LANES));
      end
    end
  end

  // the banks and their read registers: a row with its planes joined
  // (msb * 2^l + lsb per word, the units' layout; the join is wiring), packed
  // and written per lane. Declared packed on purpose: Yosys folds a packed
  // register loaded from a memory into the memory's read port (memory_dff),
  // but not an unpacked array, which it takes for another memory.
  //
  // A plane memory's word is a row as MRB packed beats, and a beat is
  // written as one element, kmsb[row][beat]: Yosys then sees one write
  // enable per beat and maps a 512-row plane of 8 x 128 bits to 15 BRAM36,
  // a 64-row one to 152 RAM64M8. A part select at a computed offset
  // (kmsb[row][beat*KHB +: KHB]) gives it an enable per bit: it mapped
  // such a plane to LUTRAM a bit wide (128 BRAM36 by its cost model), and
  // alveo-u55c's capped core ran out of memory. A memory per beat maps as
  // well but costs Verilator a write flag per memory and cycle (32 lanes x
  // 8 beats x 4 planes on alveo-u55c: 13% more instructions per cycle).
  // (Each checked on a module of that coding.)
  //
  // A beat's planes as written (an LSB plane not fetched gets the
  // midpoint): formed under the write, not in a combinational block, which
  // would read the R data, a kernel input, in each eval() of Verilator's cycle
  function automatic logic [KHB-1:0] key_msb(input logic [255:0] d);
    for (int w = 0; w < 16; w++) key_msb[w*K_MSB_BITS +: K_MSB_BITS] = d[w*16 +: K_MSB_BITS];
  endfunction
  function automatic logic [KLB-1:0] key_lsb(input logic [255:0] d, input logic lsb);
    for (int w = 0; w < 16; w++) key_lsb[w*K_LSB_BITS +: K_LSB_BITS] = lsb ? d[w*16 +: K_LSB_BITS] : K_LSB_MID;
  endfunction
  function automatic logic [VHB-1:0] value_msb(input logic [255:0] d);
    for (int w = 0; w < 16; w++) value_msb[w*V_MSB_BITS +: V_MSB_BITS] = d[w*16 +: V_MSB_BITS];
  endfunction
  function automatic logic [VLB-1:0] value_lsb(input logic [255:0] d, input logic lsb);
    for (int w = 0; w < 16; w++) value_lsb[w*V_LSB_BITS +: V_LSB_BITS] = lsb ? d[w*16 +: V_LSB_BITS] : V_LSB_MID;
  endfunction
  // bank j's read registers are key_q[j / ROWS_QK][j % ROWS_QK] (and
  // value_q by ROWS_PV): grouped by the unit lane that reads them (row
  // selection, below)
  localparam int GQK = LANES / ROWS_QK, GPV = LANES / ROWS_PV;   // banks per unit lane
  logic [GQK-1:0][ROWS_QK-1:0][D_MAX*K_BITS-1:0] key_q;
  logic [GPV-1:0][ROWS_PV-1:0][D_MAX*V_BITS-1:0] value_q;
  for (genvar j = 0; j < LANES; j++) begin : g_bank
    logic [MRB-1:0][KHB-1:0] kmsb [BANK_ROWS];
    logic [MRB-1:0][KLB-1:0] klsb [BANK_ROWS];
    logic [MRB-1:0][VHB-1:0] vmsb [BANK_ROWS];
    logic [MRB-1:0][VLB-1:0] vlsb [BANK_ROWS];
    logic [BRW-1:0] wr_row;
    logic [BIW-1:0] wr_beat;
    logic [255:0] wr_data;
    logic wr_lsb;
    assign wr_row = BRW'(unsigned'(int'(bw_slot[j*SLW +: SLW]) / LANES));
    assign wr_beat = bw_beat[j*BIW +: BIW];
    assign wr_data = bw_data[j*256 +: 256];
    assign wr_lsb = bw_plane[j];
    always_ff @(posedge clk) begin
      // the buffer of the pass: next cycle's consumer is the prob·V unit
      // exactly when this one is (at value_start nothing is delivered yet)
      if (rd_en[j] && !value_phase) begin
        logic [MRB-1:0][KHB-1:0] kh;
        logic [MRB-1:0][KLB-1:0] kl;
        kh = kmsb[rd_row[j]];
        kl = klsb[rd_row[j]];
        for (int w = 0; w < D_MAX; w++)
          key_q[j / ROWS_QK][j % ROWS_QK][w*K_BITS +: K_BITS] <= {kh[w / 16][(w % 16)*K_MSB_BITS +: K_MSB_BITS], kl[w / 16][(w % 16)*K_LSB_BITS +: K_LSB_BITS]};
      end
      if (rd_en[j] && value_phase) begin
        logic [MRB-1:0][VHB-1:0] vh;
        logic [MRB-1:0][VLB-1:0] vl;
        vh = vmsb[rd_row[j]];
        vl = vlsb[rd_row[j]];
        for (int w = 0; w < D_MAX; w++)
          value_q[j / ROWS_PV][j % ROWS_PV][w*V_BITS +: V_BITS] <= {vh[w / 16][(w % 16)*V_MSB_BITS +: V_MSB_BITS], vl[w / 16][(w % 16)*V_LSB_BITS +: V_LSB_BITS]};
      end
      if (bw_valid[j]) begin
        if (value_phase) begin
          if (!wr_lsb) vmsb[wr_row][wr_beat] <= value_msb(wr_data);
          if (wr_lsb || !value_exact) vlsb[wr_row][wr_beat] <= value_lsb(wr_data, wr_lsb);
        end else begin
          if (!wr_lsb) kmsb[wr_row][wr_beat] <= key_msb(wr_data);
          if (wr_lsb || !key_exact) klsb[wr_row][wr_beat] <= key_lsb(wr_data, wr_lsb);
        end
      end
    end
  end

  // ------------------------------------------------------------ Q·K
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

  // Row selection. The rows a unit may take in a cycle are the consecutive
  // slots cons_slot, cons_slot + 1, ... (offset r < its rows per cycle R).
  // Unit lane k takes the one whose slot is k (mod R), offset
  // (k - cons_slot) mod R, from the banks j = k (mod R) (bank = slot mod
  // LANES, LANES a multiple of R): a LANES/R-way selection of a whole row per
  // lane, not LANES-way (on alveo-u55c 8-way instead of 32-way, for 4 lanes
  // of 1,536 bits in each buffer). The lanes then hold the rows rotated by
  // cons_slot mod R. The Q·K lanes work independently and their logits are
  // rotated back into position order for the softmax below; the prob·V unit
  // adds its lanes' products (a sum modulo 2^ACC_BITS: the lane order does
  // not change it). Cycles and results are those of lanes in offset order.
  function automatic int row_offset(input logic [SLW-1:0] s, input int k, input int rows);
    row_offset = (k + rows - int'(s) % rows) % rows;
  endfunction
  always_comb begin
    qk_in_valid = '0;
    qk_in_key = '0;
    qk_in_pos = '0;
    for (int k = 0; k < ROWS_QK; k++) begin
      int r;
      logic [SLW-1:0] sl;
      r = row_offset(cons_slot, k, ROWS_QK);
      sl = slot_plus(cons_slot, r, BUF_ROWS);
      qk_in_valid[k] = !value_phase && 32'(avail) > unsigned'(r);
      qk_in_pos[k] = cons + IW'(unsigned'(r));
      // copied only for a row on offer (the unit reads in_key under in_valid)
      if (qk_in_valid[k]) qk_in_key[k] = key_row_t'(key_q[(int'(sl) % LANES) / ROWS_QK][k]);
    end
  end
  // the rotation of the lanes taken in cycle t, at their outputs in t + LATENCY
  localparam int RQW = ROWS_QK > 1 ? $clog2(ROWS_QK) : 1;
  logic [RQW-1:0] qk_rot_out;
  if (ROWS_QK > 1) begin : g_qk_rot
    logic [LATENCY-1:0][RQW-1:0] rot;
    always_ff @(posedge clk) rot <= {rot[LATENCY-2:0], RQW'(int'(cons_slot) % ROWS_QK)};
    assign qk_rot_out = rot[LATENCY-1];
  end else begin : g_qk_one_lane
    assign qk_rot_out = '0;
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
  always_comb begin
    sm_in_valid = '0;
    sm_in_logit = '0;
    // position order: offset r was on Q·K lane (r + rotation) mod ROWS_QK
    for (int r = 0; r < ROWS_QK; r++) begin
      sm_in_valid[r] = qk_out_valid[(r + int'(qk_rot_out)) % ROWS_QK];
      sm_in_logit[r] = qk_out_logit[(r + int'(qk_rot_out)) % ROWS_QK];
    end
  end
  softmax_unit #(.L(TOPK_P), .N_MAX(N_MAX), .F(LOGIT_FRAC), .P(PROB_FRAC)) u_softmax_unit (
    .clk, .rst_n, .start(key_start), .n(n_live), .thr(threshold), .in_ready(sm_in_ready), .in_valid(sm_in_valid),
    .in_logit(sm_in_logit), .busy(sm_busy), .done(sm_done), .argmax(sm_argmax), .max_prob(sm_max_prob),
    .exp_sum(sm_exp_sum), .refetch(sm_refetch), .out_valid(sm_out_valid), .out_row(sm_out_row),
    .out_prob(sm_out_prob), .rd_row('0), .rd_prob(sm_rd_prob));

  // probability memory: TOPK_P banks by position mod TOPK_P. The softmax
  // writes lane j's probability of its row r at position r * TOPK_P + j, so
  // into bank j at address r; the importance unit reads a group's TOPK_P
  // positions, one per bank; the prob·V unit reads ROWS_PV positions
  // anywhere (a bank reads those of its positions, then a bank select):
  // ROWS_PV + 1 read ports a bank.
  logic [PBW-1:0] prob_grp_rd [TOPK_P];
  logic [TOPK_P-1:0][ROWS_PV-1:0][PBW-1:0] prob_pv_rd;   // packed: a bank's default is one store
  logic [PBSW-1:0] pv_bank [ROWS_PV];
  logic [SM_RW-1:0] pv_addr [ROWS_PV];
  always_comb begin
    for (int r = 0; r < ROWS_PV; r++) begin
      pv_bank[r] = PBSW'(pos_rd[r] % IW'(unsigned'(TOPK_P)));
      pv_addr[r] = SM_RW'(pos_rd[r] / IW'(unsigned'(TOPK_P)));
    end
  end
  for (genvar b = 0; b < TOPK_P; b++) begin : g_prob_bank
    logic [PBW-1:0] mem [SM_NB];
    always_ff @(posedge clk) begin
      if (sm_out_valid[b] && int'(sm_out_row) * TOPK_P + b < N_MAX) mem[sm_out_row] <= sm_out_prob[b];
    end
    assign prob_grp_rd[b] = mem[SM_RW'(grp_index)];
    // (read only for the row whose position is in this bank, in the value
    // pass: Verilator evaluates these reads in every cycle)
    always_comb begin
      prob_pv_rd[b] = '0;
      if (value_phase) begin
        for (int r = 0; r < ROWS_PV; r++) begin
          if (pv_bank[r] == PBSW'(unsigned'(b))) prob_pv_rd[b][r] = mem[pv_addr[r]];
        end
      end
    end
  end

  // ------------------------------------------------------------ top-k
  // One engine for both selections: the value top-k over probabilities
  // (written by the softmax's normalize pass, zero-extended) and a decision's
  // over 64-bit importance words (written by the importance unit's gather).
  logic eng_wr_en, imp_wr_en;
  logic [KRW-1:0] eng_wr_row, imp_wr_row;
  logic [TOPK_P*64-1:0] eng_wr_data, imp_wr_data;
  always_comb begin
    if (decide) begin
      eng_wr_en = imp_wr_en;
      eng_wr_row = imp_wr_row;
      eng_wr_data = imp_wr_data;
    end else begin
      eng_wr_en = |sm_out_valid;
      eng_wr_row = sm_out_row;   // the same width (ceil(N_MAX / TOPK_P) rows)
      for (int j = 0; j < TOPK_P; j++) eng_wr_data[j*64 +: 64] = 64'(sm_out_prob[j]);
    end
  end
  // The live-id group read serves the softmax's normalize pass (the row it
  // writes into the top-k engine, whose payload is the ids) and, after the
  // value pass or in a decision, the importance unit: never both in a cycle.
  assign ids_group = (!decide && sm_out_valid != '0) ? GRW'(sm_out_row) : grp_index;
  // (the importance unit loads a group in its start cycle, before busy)
  assign ids_group_en = (!decide && sm_out_valid != '0) || imp_busy || imp_acc_start || imp_gather_start ||
                        imp_emit_start;
  // The payload is each position's token id (the value top-k's; a
  // decision's is unused), read from the fetcher's live-id banks as the
  // softmax writes the row: the selected list then carries the ids, and the
  // value pass reads no live-id memory.
  topk_engine #(.P(TOPK_P), .N_MAX(N_MAX), .W(64), .PLW(32)) u_topk_engine (
    .clk, .rst_n, .wr_en(eng_wr_en), .wr_row(eng_wr_row), .wr_data(eng_wr_data), .wr_payload(grp_ids),
    .start(topk_start), .n(decide ? n_cand : n_live), .k(decide ? cand_keep : keep), .busy(topk_busy),
    .done(topk_done), .out_valid(topk_out_valid), .out_index(topk_out_index), .out_payload(topk_out_id));

  // ------------------------------------------------------------ token importance
  always_comb begin
    for (int l = 0; l < TOPK_P; l++) begin
      logic [31:0] q;
      q = 32'(grp_index) * unsigned'(TOPK_P) + unsigned'(l);
      grp_prob[l*PBW +: PBW] = q < unsigned'(N_MAX) ? prob_grp_rd[l] : '0;
    end
  end
  importance_unit #(.P(TOPK_P), .N_MAX(N_MAX), .PBW(PBW)) u_importance_unit (
    .clk, .rst_n, .clear_start(imp_clear_start), .acc_start(imp_acc_start), .gather_start(imp_gather_start),
    .emit_start(imp_emit_start), .n(n_live), .context_len, .sink_tokens, .recent_tokens, .keep_all,
    .sel_none(!use_engine), .grp_index, .grp_ids, .grp_prob, .eng_wr_en(imp_wr_en), .eng_wr_row(imp_wr_row),
    .eng_wr_data(imp_wr_data), .sel_clear(topk_start && decide), .sel_valid(topk_out_valid),
    .sel_index(topk_out_index), .n_cand, .n_prot, .kept_rd_row, .kept_rd_data, .kept_count, .busy(imp_busy),
    .done(imp_done));

  // ------------------------------------------------------------ prob·V
  logic [ROWS_PV-1:0] pv_in_valid;
  logic pv_in_ready;
  logic [ROWS_PV-1:0][PROB_FRAC:0] pv_in_prob;
  logic [ROWS_PV-1:0][D_MAX-1:0][V_BITS-1:0] pv_in_v;
  always_comb begin
    pv_in_valid = '0;
    pv_in_prob = '0;
    pv_in_v = '0;
    // lane k: offset (k - cons_slot) mod ROWS_PV (row selection, above)
    for (int k = 0; k < ROWS_PV; k++) begin
      int r;
      logic [SLW-1:0] sl;
      r = row_offset(cons_slot, k, ROWS_PV);
      sl = slot_plus(cons_slot, r, BUF_ROWS);
      pv_in_valid[k] = value_phase && 32'(avail) > unsigned'(r);
      if (pv_in_valid[k]) begin   // as for Q·K: only a row on offer
        pv_in_prob[k] = prob_pv_rd[pv_bank[r]][r];
        pv_in_v[k] = value_row_t'(value_q[(int'(sl) % LANES) / ROWS_PV][k]);
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
      cons <= cons_n;
      cons_slot <= cons_slot_n;
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
