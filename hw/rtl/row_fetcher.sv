// hw/rtl/row_fetcher.sv — the key/value fetcher: streams the rows (by token
// id) of one or two DRAM planes over LANES AXI4 read masters, after reading
// the live-token list when asked; credit-limited by the buffer its rows go
// to; reports rows complete in fetch order. Cycle model:
// sim/cmodel/include/spatten/cmodel/units.h, RowFetcher (key_fetcher and
// value_fetcher share these lanes, as here: one instance serves both passes).
//
// A run (start pulse in cycle s with its job inputs, held stable until the
// next start) fetches `count` rows. Fetch index i is row position
// pos(i) = use_sel ? sel[i] : i, token tok(pos(i)) from the live-id memory,
// plane p's row at plane_base[p] + tok << row_shift (row_shift = log2 of the
// plane row's bytes; a row is row_beats beats of BEAT_BYTES).
//
// Cycle t of a run (s included), the cycle model's order:
//  1. a response's last beat sampled at the edge that ends t-1 has left its
//     lane's queue (queues are in request order per lane); so in cycle t,
//     from the queue heads:
//       chunks_in_order = min(chunks requested, the head chunk index of any
//                             lane whose head is a chunk)
//       ids_ready       = min(count, 8 * chunks_in_order)  (fetch_live; else all)
//       rows_done       = min(next row to issue, the index of the oldest row
//                             in any lane's queue: a lane queues its chunks
//                             before its rows, so that is the entry after them)
//     rows_done is registered as `delivered` (rows 0 .. delivered-1 are in
//     the buffer, visible to the consumer in t+1: the cycle model pushes them
//     to its row FIFO in t);
//  2. (AR channel) a lane's request register is offered (ar_valid); it
//     leaves at the edge if ar_ready;
//  3. lanes in index order whose register is free after this edge
//     (!ar_valid || ar_ready) and whose queue holds fewer than MAX_OUT
//     entries get a request: the lane's own next live-list chunk while it
//     has any left (one BEAT_BYTES beat each, 8 ids; chunks j, j + LF, ...
//     on lane j < LF, LF below), else its next row request. Lane j owns rows j,
//     j + LANES, j + 2 LANES, ... and requests each row's planes in order itself, so every plane
//     beat of a buffer slot comes on one lane (the slot's bank, in the core,
//     when BUF_ROWS is a multiple of LANES). A new row i goes out only when
//     pos(i) < ids_ready and its slot (i mod BUF_ROWS) is free:
//     i - consumed < BUF_ROWS, `consumed` counting takes of earlier cycles.
//     Lanes do not wait for each other.
//  ids_only (a cascade decision's list): only the live-list chunks are
//     requested, no row; the run ends in the cycle in which the last chunk
//     is in order (ids_done pulses then; the cycle model's RowFetcher with no
//     planes), and `delivered` stays 0.
//  R beats: every beat on lane j (r_valid[j]; r_ready is always 1) belongs to
//  the head of lane j's queue: a chunk's beat writes its 8 ids into the
//  live-id memory; a plane's beat is passed to the buffer on bw_* (slot,
//  plane id, beat index) in the same cycle; the last beat (r_last) pops the
//  queue at the edge.
//
// Parameters
//   LANES          memory lanes (hbm_channels_used)
//   BEAT_BYTES     AXI data width in bytes (hbm_transaction_bytes); 32 (8 ids)
//   BUF_ROWS       rows of the buffer filled (the credit), >= 1
//   MAX_OUT        requests per lane in its register or awaiting data (hbm_max_outstanding)
//   N_MAX          longest row list (max_context), >= 8
//   MAX_ROW_BEATS  beats of the largest plane row, >= 1 (row_beats <= this)
//   ROWS           position read ports (rows the consumer takes per cycle)
//
// Memories (sized for a build: see scripts/README.md, memory inventory):
//  - the selected positions are SB banks (position index mod SB, SB a
//    multiple of LANES of at least P_SEL and ROWS entries). A cycle's
//    P_SEL top-k writes go to consecutive indices, so to P_SEL different
//    banks; lane j reads only indices i with i mod LANES = j, so only the
//    banks b with b mod LANES = j; the consumer's ROWS reads are
//    consecutive indices, so one per bank. Each bank has one write and two
//    read ports.
//  - each lane's request queue is its own memory (one write, two reads).
//  - the selected positions carry their token ids (sel_wr_id, from the
//    top-k engine's payload): a selected run reads no live-id memory.
//  - the live-id memory is LB banks by position mod LB: LB = lcm(LANES, 8)
//    when that is at least P_SEL, else the least multiple of 8 LANES that
//    is. Chunk c (positions 8c .. 8c+7) fills banks 8 (c mod LCL) .. + 7
//    (LCL = LB / 8 chunk classes) and comes on lane c mod LF, LF = min(LANES,
//    LCL) (the cycle model's RowFetcher::live_list_lanes): each class comes
//    on one lane, so each bank takes at most one write a cycle. Lane j's
//    lookups (positions j, j + LANES, ...) read only the banks b with b mod
//    LANES = j (one bank when LB = LANES); a group of P_SEL consecutive
//    positions reads one entry per bank. One write and two read ports a
//    bank.
module row_fetcher #(
  parameter int LANES = 2,
  parameter int BEAT_BYTES = 32,
  parameter int BUF_ROWS = 1024,
  parameter int MAX_OUT = 128,
  parameter int N_MAX = 4096,
  parameter int MAX_ROW_BEATS = 8,
  parameter int ROWS = 1,
  parameter int P_SEL = 16,                     // position write lanes (the top-k engine's)
  parameter int IW = $clog2(N_MAX + 1),         // counts and fetch indices; must keep this value
  parameter int SLW = BUF_ROWS > 1 ? $clog2(BUF_ROWS) : 1,   // buffer slot; must keep this value
  parameter int BIW = MAX_ROW_BEATS > 1 ? $clog2(MAX_ROW_BEATS) : 1  // beat index; must keep this value
) (
  input  logic                        clk,
  input  logic                        rst_n,
  // job
  input  logic                        start,
  input  logic [IW-1:0]               count,
  input  logic                        two_planes,     // planes 0 and 1, else plane 0 only
  input  logic [63:0]                 plane_base0,
  input  logic [63:0]                 plane_base1,
  input  logic                        plane_id0,      // the buffer half plane 0 fills (0 MSB, 1 LSB)
  input  logic                        plane_id1,
  input  logic [3:0]                  row_shift,      // log2(plane row bytes)
  input  logic [7:0]                  row_beats_m1,   // beats per plane row - 1
  input  logic                        fetch_live,
  input  logic [63:0]                 live_addr,
  input  logic                        use_sel,
  input  logic                        ids_only,       // read the live list only (no rows)
  output logic                        ids_done,       // ids_only: the last chunk is in order (the run's last cycle)
  // P_SEL ids by position (the importance unit's group, the top-k engine's
  // payload): positions ids_rd_group * P_SEL + l (asynchronous; positions
  // past the list are junk, past N_MAX 0)
  input  logic                        ids_rd_en,      // ids_rd is used this cycle (else it is 0)
  input  logic [$clog2((N_MAX + P_SEL - 1) / P_SEL + 1)-1:0] ids_rd_group,
  output logic [P_SEL*32-1:0]         ids_rd,
  // consumer: rows taken this cycle (in fetch order)
  input  logic [$clog2(ROWS + 1)-1:0] take,
  output logic [IW-1:0]               delivered,      // rows 0 .. delivered-1 complete
  output logic [IW-1:0]               delivered_next, // `delivered` of the next cycle (for reads one cycle ahead)
  output logic                        busy,
  // the positions of fetch indices pos_rd_first + r, r < ROWS (the rows the
  // consumer takes are consecutive)
  input  logic [IW-1:0]               pos_rd_first,
  output logic [ROWS-1:0][IW-1:0]     pos_rd,
  // the selected positions (top-k output stream): cleared by sel_clear,
  // then the valid lanes of each cycle are the next entries
  input  logic                        sel_clear,
  input  logic [P_SEL-1:0]            sel_wr_valid,
  input  logic [P_SEL*IW-1:0]         sel_wr_index,
  input  logic [P_SEL*32-1:0]         sel_wr_id,      // the token id of each written position
  // AXI4 read masters (one per lane)
  output logic [LANES-1:0]            ar_valid,
  input  logic [LANES-1:0]            ar_ready,
  output logic [LANES*64-1:0]         ar_addr,
  output logic [LANES*8-1:0]          ar_len,
  input  logic [LANES-1:0]            r_valid,
  input  logic [LANES*BEAT_BYTES*8-1:0] r_data,
  input  logic [LANES-1:0]            r_last,
  output logic [LANES-1:0]            r_ready,
  // plane beats to the buffer (slot, plane and beat are meaningful under bw_valid)
  output logic [LANES-1:0]            bw_valid,
  output logic [LANES*SLW-1:0]        bw_slot,
  output logic [LANES-1:0]            bw_plane,
  output logic [LANES*BIW-1:0]        bw_beat,
  output logic [LANES*BEAT_BYTES*8-1:0] bw_data
);
  localparam int IDS_PER_BEAT = BEAT_BYTES / 4;
  localparam int NCH = (N_MAX + IDS_PER_BEAT - 1) / IDS_PER_BEAT;   // live-list chunks
  localparam int CHW = $clog2(NCH + 1);
  localparam int CLW = $clog2(NCH + LANES + 1);        // a lane's next chunk: <= NCH + LANES
  localparam int OW = $clog2(MAX_OUT + 1);
  localparam int QW = MAX_OUT > 1 ? $clog2(MAX_OUT) : 1;
  localparam int EW = 1 + IW + SLW + 1;        // queue entry: chunk, index, slot, plane id
  localparam int SEW = IW + 32;                // selected entry: token id, position
  // live-id banks (header): LB banks, LCL = LB / 8 chunk classes (chunk c
  // fills the 8 banks of class c mod LCL), LF lanes fetch the list
  localparam int LANES_LCM8 = LANES % 8 == 0 ? LANES : LANES % 4 == 0 ? 2 * LANES : LANES % 2 == 0 ? 4 * LANES
                                                                                      : 8 * LANES;
  localparam int LB = LANES_LCM8 >= P_SEL ? LANES_LCM8 : 8 * LANES * ((P_SEL + 8 * LANES - 1) / (8 * LANES));
  localparam int LCL = LB / 8;
  localparam int LF = LCL < LANES ? LCL : LANES;
  localparam int LPL = LB / LANES;                         // a lane's banks
  localparam int GS = LB % P_SEL == 0 ? P_SEL : 1;         // a group's first bank is a multiple of GS
  localparam int LSW = LPL > 1 ? $clog2(LPL) : 1;
  localparam logic [IW-1:0] LANES_IW = IW'(LANES);
  localparam logic [IW-1:0] LPL_IW = IW'(LPL);
  localparam int LBD = (N_MAX + LB - 1) / LB;              // entries per bank
  localparam int LBW = LB > 1 ? $clog2(LB) : 1;            // bank number
  localparam int LAW = LBD > 1 ? $clog2(LBD) : 1;          // bank address
  localparam logic [IW-1:0] LB_IW = IW'(LB);
  localparam logic [IW-1:0] LCL_IW = IW'(LCL);
  localparam logic [IW:0] LB_G = (IW + 1)'(LB);
  localparam int LW = IW + 1;      // a lane's next fetch index: < N_MAX + LANES <= 2 N_MAX
  localparam int LANES_MOD_BUF = LANES % BUF_ROWS;
  // position banks: a multiple of LANES, at least P_SEL (a cycle's writes)
  // and ROWS (the consumer's reads)
  localparam int SB_MIN = P_SEL > ROWS ? P_SEL : ROWS;
  localparam int SB = LANES * ((SB_MIN + LANES - 1) / LANES);
  localparam int SBD = (N_MAX + SB - 1) / SB;              // entries per bank
  localparam int SBW = SB > 1 ? $clog2(SB) : 1;            // bank number
  localparam int SAW = SBD > 1 ? $clog2(SBD) : 1;          // bank address
  localparam int SSW = SB / LANES > 1 ? $clog2(SB / LANES) : 1;   // a lane's bank among its own
  localparam logic [IW-1:0] SB_IW = IW'(SB);

  // the slot LANES rows after slot s: (s + LANES) mod BUF_ROWS
  function automatic logic [SLW-1:0] slot_step(input logic [SLW-1:0] sl);
    logic [SLW:0] t;
    t = {1'b0, sl} + (SLW + 1)'(unsigned'(LANES_MOD_BUF));
    slot_step = t >= (SLW + 1)'(unsigned'(BUF_ROWS)) ? SLW'(t - (SLW + 1)'(unsigned'(BUF_ROWS))) : SLW'(t);
  endfunction
  localparam logic [OW-1:0] MAX_OUT_OW = OW'(MAX_OUT);

  generate
    if (BEAT_BYTES != 32) begin : g_bad_beat
      $fatal(1, "row_fetcher: BEAT_BYTES must be 32 (8 token ids per beat)");
    end
    if (N_MAX < 8 || BUF_ROWS < 1 || MAX_OUT < 1 || LANES < 1 || ROWS < 1 || LANES > N_MAX) begin : g_bad_size
      $fatal(1, "row_fetcher: bad size parameters");
    end
  endgenerate

  // ------------------------------------------------------------ memories
  // (the live-id banks g_live_bank and the selected-position banks
  // g_sel_bank are below)
  logic [IW-1:0] sel_cnt;             // selected positions written since sel_clear

  // per-lane queues (g_lane[j].q_mem): entries in request order (in the AR
  // register or awaiting data)
  logic [QW-1:0] q_head [LANES];
  logic [QW-1:0] q_tail [LANES];
  logic [OW-1:0] q_cnt  [LANES];
  logic [BIW-1:0] beat_cnt [LANES];

  // AR registers
  logic [63:0]   ar_addr_r [LANES];
  logic [7:0]    ar_len_r  [LANES];
  logic [LANES-1:0] ar_valid_r;

  // run state
  logic          active;
  logic [IW-1:0] consumed;
  logic [CHW-1:0] chunks_total;
  logic [IW-1:0] delivered_r;
  // each lane's own rows: fetch indices j, j + LANES, ... (LW bits: the index
  // past the last row may exceed N_MAX), the plane it requests next and the
  // buffer slot of its row (index mod BUF_ROWS, kept stepping beside the
  // index so no divider is needed when BUF_ROWS is not a power of two)
  logic [LW-1:0] lane_row [LANES];
  logic [CLW-1:0] lane_chunk [LANES];   // the lane's next live-list chunk (j, j + LF, ...; NCH: none)
  logic [LANES-1:0] lane_plane;
  logic [SLW-1:0] lane_slot [LANES];

  // effective state in cycle t (the start cycle begins a fresh run)
  logic [IW-1:0] count_r;              // the run's count, latched at start: the
                                       // core switches `count` between passes
                                       // while this unit is idle
  logic          ids_only_r;           // latched at start, as count
  logic          c_active, c_ids_only;
  logic [IW-1:0] c_count, c_consumed;
  logic [CHW-1:0] c_chunks_total;
  logic [LW-1:0] c_lane_row [LANES];
  logic [CLW-1:0] c_lane_chunk [LANES];
  logic [LANES-1:0] c_lane_plane;
  logic [SLW-1:0] c_lane_slot [LANES];

  always_comb begin
    if (start) begin
      c_active = count != '0;
      c_ids_only = ids_only;
      c_count = count;
      c_consumed = '0;
      c_chunks_total = fetch_live ? CHW'((32'(count) + unsigned'(IDS_PER_BEAT) - 32'd1) / unsigned'(IDS_PER_BEAT)) : '0;
      c_lane_plane = '0;
      for (int j = 0; j < LANES; j++) begin
        c_lane_row[j] = LW'(unsigned'(j));
        c_lane_chunk[j] = j < LF ? CLW'(unsigned'(j)) : CLW'(unsigned'(NCH));   // (NCH: none)
        c_lane_slot[j] = SLW'(unsigned'(j % BUF_ROWS));
      end
    end else begin
      c_active = active;
      c_ids_only = ids_only_r;
      c_count = count_r;
      c_consumed = consumed;
      c_chunks_total = chunks_total;
      c_lane_plane = lane_plane;
      for (int j = 0; j < LANES; j++) begin
        c_lane_row[j] = lane_row[j];
        c_lane_chunk[j] = lane_chunk[j];
        c_lane_slot[j] = lane_slot[j];
      end
    end
  end

  // ------------------------------------------------ 1. heads: ids and rows done
  logic [CHW-1:0] chunks_in_order;
  logic [IW-1:0]  ids_ready;
  logic           ids_all;
  logic [IW-1:0]  rows_done;
  // each lane's queue head, and its first row entry: a lane's queue holds its
  // live-list chunks first (every chunk is requested before any row), so the
  // oldest row of a lane sits q_chunks entries behind the head
  logic [EW-1:0] head_e [LANES];
  logic [EW-1:0] first_row_e [LANES];
  logic [OW-1:0] q_chunks [LANES];
  // (read from g_lane[j].q_mem below)
  always_comb begin
    // chunks requested: those before every lane's next one
    logic [31:0] requested;
    requested = 32'(c_chunks_total);
    for (int j = 0; j < LANES; j++) begin
      if (32'(c_lane_chunk[j]) < requested) requested = 32'(c_lane_chunk[j]);
    end
    chunks_in_order = CHW'(requested);
    // rows not yet requested: the smallest of the lanes' next rows
    rows_done = c_count;
    for (int j = 0; j < LANES; j++) begin
      if (c_lane_row[j] < LW'(c_count)) begin
        if (IW'(c_lane_row[j]) < rows_done) rows_done = IW'(c_lane_row[j]);
      end
    end
    for (int j = 0; j < LANES; j++) begin
      if (q_chunks[j] != '0) begin
        if (CHW'(head_e[j][EW-2 -: IW]) < chunks_in_order) chunks_in_order = CHW'(head_e[j][EW-2 -: IW]);
      end
      if (q_cnt[j] > q_chunks[j]) begin
        if (first_row_e[j][EW-2 -: IW] < rows_done) rows_done = first_row_e[j][EW-2 -: IW];
      end
    end
  end
  always_comb begin
    ids_all = !fetch_live;
    ids_ready = (32'(chunks_in_order) * unsigned'(IDS_PER_BEAT) >= 32'(c_count)) ? c_count
                                                                             : IW'(32'(chunks_in_order) * unsigned'(IDS_PER_BEAT));
  end

  // ------------------------------------------------ selected positions
  // Bank b (g_sel_bank[b]) holds fetch indices b, b + SB, b + 2 SB, ... at
  // address index / SB. A cycle's valid write lanes go, in lane order, to
  // indices sel_cnt, sel_cnt + 1, ...: one per bank.
  // (Packed, so that the defaults are a few word stores: Verilator evaluates
  // this block in every cycle.)
  logic [SB-1:0]  sel_we;
  logic [SB-1:0][SAW-1:0] sel_wa;
  logic [SB-1:0][SEW-1:0] sel_wd;
  always_comb begin
    logic [SBW-1:0] b;
    logic [SAW-1:0] a;
    sel_we = '0;
    sel_wa = '0;
    sel_wd = '0;
    b = SBW'(sel_cnt % SB_IW);
    a = SAW'(sel_cnt / SB_IW);
    if (!sel_clear && sel_wr_valid != '0) begin
      for (int l = 0; l < P_SEL; l++) begin
        if (sel_wr_valid[l]) begin
          sel_we[b] = 1'b1;
          sel_wa[b] = a;
          sel_wd[b] = {sel_wr_id[l*32 +: 32], sel_wr_index[l*IW +: IW]};
          if (b == SBW'(unsigned'(SB - 1))) begin
            b = '0;
            a = a + 1'b1;
          end else begin
            b = b + 1'b1;
          end
        end
      end
    end
  end
  // reads: lane j's next row is in bank j + LANES * lane_ssub[j], one of the
  // banks b with b mod LANES = j (a selection among those alone: an index over
  // all SB banks would be an SB-to-1 multiplexer per lane in synthesis); the
  // consumer's first index is in bank cons_sbank, the following ones in the
  // next banks (wrapping to bank 0 one address on)
  logic [SSW-1:0] lane_ssub [LANES];
  logic [SAW-1:0] lane_saddr [LANES];
  logic [SBW-1:0] cons_sbank;
  logic [SEW-1:0] sel_lane_rd [SB];     // bank b at lane (b mod LANES)'s address (id, position)
  logic [IW-1:0]  sel_cons_rd [SB];     // bank b at the consumer's index in it (position)
  always_comb begin
    for (int j = 0; j < LANES; j++) begin
      lane_ssub[j] = '0;
      lane_saddr[j] = '0;
      if (use_sel) begin   // (used only then)
        lane_ssub[j] = SSW'(c_lane_row[j] / LW'(unsigned'(LANES)) % LW'(unsigned'(SB / LANES)));
        lane_saddr[j] = SAW'(c_lane_row[j] / LW'(SB_IW));
      end
    end
    cons_sbank = SBW'(pos_rd_first % SB_IW);
  end
  for (genvar b = 0; b < SB; b++) begin : g_sel_bank
    logic [SEW-1:0] mem [SBD];
    always_ff @(posedge clk) begin
      if (rst_n && sel_we[b]) mem[sel_wa[b]] <= sel_wd[b];
    end
    // read only for a selected run (the reads are not used otherwise)
    always_comb begin
      sel_lane_rd[b] = '0;
      sel_cons_rd[b] = '0;
      if (use_sel) begin
        sel_lane_rd[b] = mem[lane_saddr[b % LANES]];
        // the consumer's index in this bank: pos_rd_first + (b - cons_sbank) mod SB
        sel_cons_rd[b] = IW'(mem[SAW'((pos_rd_first + IW'((unsigned'(b) + unsigned'(SB) - 32'(cons_sbank))
                                                          % unsigned'(SB))) / SB_IW)]);
      end
    end
  end

  // ------------------------------------------------ live-id banks
  // Bank b (g_live_bank[b]) holds the ids of positions b, b + LB, ... at
  // address position / LB. Writes: chunk c's beat (on lane c mod LF, the
  // head of its queue) writes word w into bank 8 (c mod LCL) + w at address
  // c / LCL. Reads: lane (b mod LANES)'s row position (a key pass, or a value
  // pass over every position), and the group's position in this bank.
  // (The write side reads only registers here, and r_valid at the edge: a
  // block that reads a kernel input is evaluated in each eval() of a cycle.)
  logic [LCL-1:0] live_cls_hit;         // class k's lane has a chunk of class k at its queue head
  logic [LAW-1:0] live_cls_wa [LCL];    // its address
  logic [LAW-1:0] live_lane_ra [LANES];
  logic [LSW-1:0] live_lane_sub [LANES];   // lane j's row is in bank j + LANES * live_lane_sub[j]
  logic [31:0]    live_lane_rd [LB];    // bank b at lane (b mod LANES)'s address
  logic [31:0]    live_grp_rd [LB];     // bank b at the group's position in it
  logic [LBW-1:0] grp_bank;             // the bank of the group's first position
  logic [LAW-1:0] grp_addr;             // its address; banks below grp_bank read the next one
  logic [IW:0]    grp_first;            // (< N_MAX + P_SEL: one bit more than a position)
  always_comb begin
    for (int k = 0; k < LCL; k++) begin
      // class k's only writer: lane k mod LF
      live_cls_hit[k] = q_cnt[k % LF] != '0 && head_e[k % LF][EW-1] &&
                        head_e[k % LF][EW-2 -: IW] % LCL_IW == IW'(unsigned'(k));
      live_cls_wa[k] = LAW'(head_e[k % LF][EW-2 -: IW] / LCL_IW);
    end
    for (int j = 0; j < LANES; j++) begin
      live_lane_sub[j] = LSW'(IW'(c_lane_row[j]) / LANES_IW % LPL_IW);
      live_lane_ra[j] = LAW'(IW'(c_lane_row[j]) / LB_IW);
    end
    grp_first = (IW + 1)'(32'(ids_rd_group) * unsigned'(P_SEL));
    grp_bank = LBW'(grp_first % LB_G);
    grp_addr = LAW'(grp_first / LB_G);
  end
  for (genvar b = 0; b < LB; b++) begin : g_live_bank
    logic [31:0] mem [LBD];
    always_ff @(posedge clk) begin
      if (rst_n && r_valid[b / 8 % LF] && live_cls_hit[b / 8])
        mem[live_cls_wa[b / 8]] <= r_data[(b / 8 % LF) * BEAT_BYTES * 8 + (b % 8) * 32 +: 32];
    end
    assign live_lane_rd[b] = mem[live_lane_ra[b % LANES]];
    // the group's position in this bank: grp_first + (b - grp_bank) mod LB
    // (read only when asked: Verilator evaluates these reads in every cycle)
    always_comb begin
      live_grp_rd[b] = '0;
      if (ids_rd_en) live_grp_rd[b] = mem[unsigned'(b) < 32'(grp_bank) ? grp_addr + 1'b1 : grp_addr];
    end
  end

  // ------------------------------------------------ 3. fill the AR registers
  // In two parts for simulation speed: Verilator evaluates every block that
  // reads a kernel input (here ar_ready) in each eval() of a cycle, so the
  // per-lane row lookups (position, token id, address), which read only
  // registers, are (a) a combinational block, and the ready-dependent choice
  // (b) is taken at the edge.
  //
  // a. each lane's next row, as if its AR register were free: row_ok when
  //    the row exists, its slot is free (row - consumed < BUF_ROWS) and its
  //    id is known (tested after the slot: the position is only looked up
  //    for a lane that may issue)
  logic [LANES-1:0]  lane_room;         // running, and the lane's queue has room
  logic [LANES-1:0]  row_ok;
  logic [LANES*64-1:0] row_addr;
  always_comb begin
    logic [IW-1:0] pos;
    logic [31:0] tok;
    logic [63:0] base;
    row_ok = '0;
    row_addr = '0;
    pos = '0;
    tok = '0;
    base = '0;
    for (int j = 0; j < LANES; j++) begin
      lane_room[j] = c_active && q_cnt[j] < MAX_OUT_OW;
      if (lane_room[j] && !c_ids_only && c_lane_row[j] < LW'(c_count) &&
          (c_lane_plane[j] || (IW'(c_lane_row[j]) - c_consumed) < IW'(unsigned'(BUF_ROWS)))) begin
        pos = use_sel ? IW'(sel_lane_rd[j + LANES * int'(lane_ssub[j])]) : IW'(c_lane_row[j]);
        if (ids_all || pos < ids_ready) begin
          tok = use_sel ? sel_lane_rd[j + LANES * int'(lane_ssub[j])][IW +: 32]
                        : live_lane_rd[j + LANES * int'(live_lane_sub[j])];
          base = c_lane_plane[j] ? plane_base1 : plane_base0;
          row_ok[j] = 1'b1;
          row_addr[j*64 +: 64] = base + (64'(tok) << row_shift);
        end
      end
    end
  end
  // b. (in the state update below) lanes in index order whose register is
  //    free after this edge (!ar_valid || ar_ready) and whose queue has
  //    room get the next live-list chunk while any is left, else their row
  //    when row_ok. Decided at the edge, not in a combinational block: a
  //    block that reads ar_ready, a kernel input, is evaluated in each
  //    eval() of a cycle.

  // ------------------------------------------------ R beats
  // Only bw_valid reads r_valid: the part evaluated on every change of the
  // kernel's inputs stays one AND. The fields are the queue head's whatever
  // it holds (the core reads them only under bw_valid): no multiplexer per
  // field, and a simulator does not test each lane once per field.
  logic [LANES-1:0] head_row;           // the lane's queue head is a plane row
  always_comb begin
    for (int j = 0; j < LANES; j++) begin
      head_row[j] = q_cnt[j] != '0 && !head_e[j][EW-1];
      bw_slot[j*SLW +: SLW] = head_e[j][1 +: SLW];
      bw_plane[j] = head_e[j][0];
      bw_beat[j*BIW +: BIW] = beat_cnt[j];
    end
  end
  assign r_ready = '1;
  assign bw_valid = r_valid & head_row;
  assign bw_data = r_data;

  // ------------------------------------------------ outputs
  always_comb begin
    ar_valid = ar_valid_r;
    for (int j = 0; j < LANES; j++) begin
      ar_addr[j*64 +: 64] = ar_addr_r[j];
      ar_len[j*8 +: 8] = ar_len_r[j];
    end
    for (int r = 0; r < ROWS; r++) begin
      pos_rd[r] = use_sel ? sel_cons_rd[SBW'((32'(cons_sbank) + unsigned'(r)) % unsigned'(SB))]
                          : pos_rd_first + IW'(unsigned'(r));
    end
  end
  assign delivered = delivered_r;
  assign delivered_next = (start || c_ids_only) ? '0 : rows_done;
  assign busy = active;
  wire ids_end = c_active && c_ids_only && chunks_in_order == c_chunks_total;
  assign ids_done = ids_end;
  // a group's P_SEL ids: one entry of each of P_SEL banks. A group starts
  // at a multiple of P_SEL, so its first bank is a multiple of GS (P_SEL when
  // that divides LB): id l comes from one of LB / GS banks, not any of LB.
  always_comb begin
    logic [31:0] rot;
    rot = 32'(grp_bank) / unsigned'(GS);
    for (int l = 0; l < P_SEL; l++) begin
      ids_rd[l*32 +: 32] = 32'(grp_first) + unsigned'(l) < unsigned'(N_MAX)
                           ? live_grp_rd[LBW'((rot * unsigned'(GS) + unsigned'(l)) % unsigned'(LB))] : 32'd0;
    end
  end

  // ------------------------------------------------ lane queues
  // Lanes whose AR register is free after this edge (!ar_valid || ar_ready)
  // and whose queue has room send their own next live-list chunk while they
  // have any left, else their row when row_ok.
  // (Used at the edge: the state update and each lane's queue write.)
  function automatic logic [LANES-1:0] lanes_free(input logic [LANES-1:0] room, input logic [LANES-1:0] arv,
                                                  input logic [LANES-1:0] arr);
    lanes_free = room & (~arv | arr);
  endfunction
  // each lane's queue: written at its tail when the lane sends a request
  // (chunk: chunk index; row: fetch index, slot, plane id), read at its head
  // and at its first row entry
  for (genvar j = 0; j < LANES; j++) begin : g_lane
    logic [EW-1:0] q_mem [MAX_OUT];
    always_ff @(posedge clk) begin
      if (rst_n && lane_room[j] && (!ar_valid_r[j] || ar_ready[j])) begin
        logic chunk;
        chunk = 32'(c_lane_chunk[j]) < 32'(c_chunks_total);
        if (chunk || row_ok[j]) begin
          q_mem[q_tail[j]] <= chunk ? {1'b1, IW'(c_lane_chunk[j]), SLW'(0), 1'b0}
                                    : {1'b0, IW'(c_lane_row[j]), c_lane_slot[j], c_lane_plane[j] ? plane_id1 : plane_id0};
        end
      end
    end
    assign head_e[j] = q_mem[q_head[j]];
    assign first_row_e[j] = q_mem[QW'((32'(q_head[j]) + 32'(q_chunks[j])) % unsigned'(MAX_OUT))];
  end

  // ------------------------------------------------ state
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      active <= 1'b0;
      count_r <= '0;
      ids_only_r <= 1'b0;
      consumed <= '0;
      chunks_total <= '0;
      delivered_r <= '0;
      sel_cnt <= '0;
    end else begin
      // selected positions (written into the banks by g_sel_bank)
      if (sel_clear) sel_cnt <= '0;
      else sel_cnt <= sel_cnt + IW'(unsigned'($countones(sel_wr_valid)));
      // run counters
      active <= c_active && (c_ids_only ? !ids_end : rows_done != c_count);
      count_r <= c_count;
      ids_only_r <= c_ids_only;
      consumed <= c_consumed + IW'(take);
      chunks_total <= c_chunks_total;
      delivered_r <= delivered_next;
    end
  end

  // lanes in index order: AR registers (3b), queues, beats. The next values
  // are formed in variables and each element is written by one statement,
  // reset included.
  always_ff @(posedge clk) begin
    logic [LANES-1:0] free;
    free = rst_n ? lanes_free(lane_room, ar_valid_r, ar_ready) : '0;
    for (int j = 0; j < LANES; j++) begin
      logic [OW-1:0] cnt, chunks;
      logic [QW-1:0] head, tail;
      logic [BIW-1:0] beat;
      logic [LW-1:0] row;
      logic [CLW-1:0] chunk_i;
      logic [SLW-1:0] slot;
      logic plane, arv;
      logic send_chunk, send_row;
      cnt = q_cnt[j];
      chunks = q_chunks[j];
      head = q_head[j];
      tail = q_tail[j];
      beat = beat_cnt[j];
      row = c_lane_row[j];
      chunk_i = c_lane_chunk[j];
      slot = c_lane_slot[j];
      plane = c_lane_plane[j];
      arv = ar_valid_r[j] && !ar_ready[j];
      send_chunk = 1'b0;
      send_row = 1'b0;
      if (free[j]) begin
        send_chunk = 32'(c_lane_chunk[j]) < 32'(c_chunks_total);
        send_row = !send_chunk && row_ok[j];
      end
      if (rst_n && r_valid[j] && q_cnt[j] != '0) begin   // (a chunk's ids: g_live_bank)
        if (r_last[j]) begin
          if (head_e[j][EW-1]) chunks = chunks - 1'b1;
          beat = '0;
          head = head == QW'(unsigned'(MAX_OUT - 1)) ? '0 : head + 1'b1;
          cnt = cnt - 1'b1;
        end else begin
          beat = beat + 1'b1;
        end
      end
      // a lane that sends a row moves to the row's next plane, or to its next row
      if (send_chunk) begin
        chunks = chunks + 1'b1;   // one beat of 8 ids (its queue entry is written by g_lane[j])
        chunk_i = chunk_i + CLW'(unsigned'(LF));
      end else if (send_row) begin
        if (two_planes && !plane) begin
          plane = 1'b1;
        end else begin
          plane = 1'b0;
          row = row + LW'(unsigned'(LANES));
          slot = slot_step(slot);
        end
      end
      if (send_chunk || send_row) begin
        ar_addr_r[j] <= send_chunk ? live_addr + 64'(c_lane_chunk[j]) * 64'(unsigned'(BEAT_BYTES))
                                   : row_addr[j*64 +: 64];
        ar_len_r[j] <= send_chunk ? 8'd0 : row_beats_m1;
        arv = 1'b1;
        tail = tail == QW'(unsigned'(MAX_OUT - 1)) ? '0 : tail + 1'b1;
        cnt = cnt + 1'b1;
      end
      if (!rst_n) begin
        cnt = '0;
        chunks = '0;
        head = '0;
        tail = '0;
        beat = '0;
        row = LW'(unsigned'(j));
        chunk_i = j < LF ? CLW'(unsigned'(j)) : CLW'(unsigned'(NCH));
        slot = SLW'(unsigned'(j % BUF_ROWS));
        plane = 1'b0;
        arv = 1'b0;
      end
      q_cnt[j] <= cnt;
      q_chunks[j] <= chunks;
      q_head[j] <= head;
      q_tail[j] <= tail;
      beat_cnt[j] <= beat;
      lane_row[j] <= row;
      lane_chunk[j] <= chunk_i;
      lane_slot[j] <= slot;
      lane_plane[j] <= plane;
      ar_valid_r[j] <= arv;
    end
  end
endmodule
