// topk_engine.sv — the top-k engine: quick-select with P parallel comparators,
// a greater-than and a less-than FIFO filled through zero eliminators, then an
// output pass. Mirrors golden::topk_quickselect (hls/include/spatten/topk.h)
// for the selected set and sim/cmodel Accelerator::topk_cycles for the timing.
//
// Parameters
//   P      comparators (lanes) per beat, >= 1
//   N_MAX  longest row, >= 2 (the value memory holds NB = ceil(N_MAX/P) beats)
//   W      value width; values are unsigned
//   PLW    payload width: each element carries PLW bits from the load port
//          to the output (the attention core's token ids), not compared
//   IW = $clog2(N_MAX+1) is the width of n, k and of every output index;
//   wr_row is $clog2(NB) bits wide (1 when NB == 1). P <= N_MAX.
//
// Ports
//   wr_en, wr_row, wr_data   load port: writes the P values of beat wr_row
//                            (row elements wr_row*P + j, lane j in
//                            wr_data[j*W +: W]) into the value memory, and
//                            their payloads wr_payload[j*PLW +: PLW]. Not
//                            timed; ignored while busy. Load the row before
//                            start; it stays intact across runs.
//   start, n, k              one-cycle start pulse with the row length n
//                            (0..N_MAX) and k (any IW-bit value; k >= n selects
//                            all, k == 0 selects none). Ignored while busy.
//   clk, rst_n               rising edge; synchronous active-low reset of the
//                            control state (memories and datapath not reset).
//   busy                     high in every cycle of a run, the start cycle
//                            included (busy = start | running while idle).
//   done                     one-cycle pulse in the last busy cycle.
//   out_valid, out_index     the selected indices, in increasing order: in a
//                            cycle with out_valid = 2^c - 1 (c lanes, compacted
//                            to lanes 0..c-1), out_index[j*IW +: IW] for j < c
//                            are the next c selected indices. Over a run the
//                            stream is exactly the golden index list.
//   out_payload              the payload loaded with each selected element,
//                            in the lanes of its index.
//
// Timing contract. Start asserted in cycle s (engine idle): busy in cycles
// s .. s+C-1 and done in cycle s+C-1, with
//   C = beats + 3*passes + ceil(n/P) + 3
// where passes and beats (sum over passes of ceil(m/P), m the pass's
// candidates) are those golden::topk_quickselect reports with lanes = P (both
// 0 when k == 0 or k >= n). Cycle by cycle:
//   cycle s             latch n, k (need = k, candidates = the row).
//   each pass           3 pivot cycles: read cand[0], cand[m-1], cand[m/2]
//                       (one read of one memory row per cycle); the third
//                       registers pivot = median of the three. Then ceil(m/P)
//                       stream beats: beat b compares cand[bP .. bP+P-1] with
//                       the pivot on P comparators; the greater ones are
//                       compacted (prefix sum) and rotated into the hi buffer,
//                       the smaller ones into the lo buffer, both in arrival
//                       order, one write per bank. The last beat also takes
//                       the pass decision (golden's three cases) on the
//                       updated counts.
//   output pass         ceil(n/P) read beats over the row, then 2 pipeline
//                       cycles (compare + tie count + compaction; output
//                       register). The indices of read beat b are on out_* in
//                       cycle t_b + 2; the last beat's ones come with done.
// So every busy cycle is accounted: 1 + sum(3 + ceil(m/P)) + ceil(n/P) + 2.
// The cycle model's kTopkPassOverhead = 3 is the pass's three pivot cycles and,
// for the output pass, the start cycle plus the two pipeline cycles.
//
// Memory. Four slots of NB x (P banks of W bits): slot 3 the row, slots 0..2
// the candidate buffers, rotated exactly as golden's scratch buffers (the hi
// and lo FIFOs of a pass go to the two slots the candidates do not occupy).
// Element i of a slot is bank i%P, row i/P; every cycle reads one row of one
// slot (all banks), and each bank takes at most one write per cycle, so each
// bank maps to a simple dual-port RAM (asynchronous read: LUTRAM or registers).
// The pivot addresses use / and % by P (shifts when P is a power of two).
module topk_engine #(
  parameter int P = 16,
  parameter int N_MAX = 1024,
  parameter int W = 16,
  parameter int PLW = 1
) (
  input  logic                                                   clk,
  input  logic                                                   rst_n,
  input  logic                                                   wr_en,
  input  logic [(((N_MAX + P - 1) / P) > 1 ? $clog2((N_MAX + P - 1) / P) : 1)-1:0] wr_row,
  input  logic [P*W-1:0]                                         wr_data,
  input  logic [P*PLW-1:0]                                       wr_payload,
  input  logic                                                   start,
  input  logic [$clog2(N_MAX + 1)-1:0]                           n,
  input  logic [$clog2(N_MAX + 1)-1:0]                           k,
  output logic                                                   busy,
  output logic                                                   done,
  output logic [P-1:0]                                           out_valid,
  output logic [P*$clog2(N_MAX + 1)-1:0]                         out_index,
  output logic [P*PLW-1:0]                                       out_payload
);
  localparam int NB = (N_MAX + P - 1) / P;                // memory rows (beats of a full row)
  localparam int RW = NB > 1 ? $clog2(NB) : 1;            // row address width
  localparam int IW = $clog2(N_MAX + 1);                  // counts, n, k, indices
  localparam int CW = IW + 1;                             // stream positions (< N_MAX + P <= 2*N_MAX)
  localparam int BW = P > 1 ? $clog2(P) : 1;              // bank index width
  localparam int PW = BW + 1;                             // per-beat counts 0..P, bank sums < 2P
  localparam logic [CW-1:0] P_CW = CW'(P);
  localparam logic [IW-1:0] P_IW = IW'(P);
  localparam logic [PW-1:0] P_PW = PW'(P);
  localparam logic [1:0] ROW_SLOT = 2'd3;

  typedef enum logic [2:0] {
    S_IDLE, S_PIV0, S_PIV1, S_PIV2, S_STREAM, S_OUT, S_PIPE1, S_PIPE2
  } state_t;

  state_t state;

  // ---------------------------------------------------------------- registers
  logic [IW-1:0]        n_r;           // row length of the run
  logic [IW-1:0]        need_r;        // how many of the candidates still to select
  logic [IW-1:0]        m_r;           // candidates of the current pass
  logic [1:0]           cand_slot;     // slot holding the candidates (3: the row)
  logic [1:0]           hi_slot;       // slot the greater-than FIFO fills
  logic [1:0]           lo_slot;       // slot the less-than FIFO fills
  logic [CW-1:0]        pos_r;         // first element of the current beat
  logic [RW-1:0]        beat_r;        // memory row of the current beat
  logic [IW-1:0]        gt_cnt;        // elements pushed into hi this pass
  logic [IW-1:0]        eq_cnt;        // elements equal to the pivot this pass
  logic [IW-1:0]        lt_cnt;        // elements pushed into lo this pass
  logic [RW-1:0]        hi_row;        // hi FIFO tail: row and bank (gt_cnt = hi_row*P + hi_bank)
  logic [BW-1:0]        hi_bank;
  logic [RW-1:0]        lo_row;        // lo FIFO tail, the same for lt_cnt
  logic [BW-1:0]        lo_bank;
  logic [W-1:0]         c_first;       // cand[0]
  logic [W-1:0]         c_last;        // cand[m-1]
  logic [W-1:0]         pivot;
  logic [W-1:0]         thr;           // output threshold
  logic [IW-1:0]        ties;          // elements equal to thr to emit
  logic                 sel_all;       // k >= n: emit every index
  logic                 sel_none;      // k == 0: emit nothing
  logic [IW-1:0]        tie_cnt;       // equal elements emitted so far
  // output pipeline stage 1 (the beat read in the previous cycle)
  logic                 s1_act;
  logic [P-1:0]         s1_mask;
  logic [P-1:0][W-1:0]  s1_x;
  logic [CW-1:0]        s1_base;
  logic [P-1:0]         out_valid_r;
  logic [P*IW-1:0]      out_index_r;
  logic [P-1:0][PLW-1:0] s1_pl;        // payloads of the beat read in the previous cycle
  logic [P*PLW-1:0]     out_payload_r;

  // ------------------------------------------------------------------ memory
  logic [1:0]           rd_slot;
  logic [RW-1:0]        rd_row;
  logic [W-1:0]         rdat [4][P];   // per slot, per bank, the row rd_row
  logic [P-1:0][W-1:0]  rd_x;          // the row read from rd_slot

  logic [P-1:0]         hi_we;         // per bank: write of the hi FIFO
  logic [P-1:0][RW-1:0] hi_wrow;
  logic [P-1:0][W-1:0]  hi_wdat;
  logic [P-1:0]         lo_we;
  logic [P-1:0][RW-1:0] lo_wrow;
  logic [P-1:0][W-1:0]  lo_wdat;
  logic                 load_we;

  assign busy    = (state != S_IDLE) || start;
  assign load_we = wr_en && !busy;

  for (genvar s = 0; s < 4; s++) begin : g_slot
    for (genvar b = 0; b < P; b++) begin : g_bank
      localparam logic [1:0] SLOT = 2'(s);
      logic [W-1:0]  mem [NB];
      logic          we;
      logic [RW-1:0] wrow;
      logic [W-1:0]  wdat;
      always_comb begin
        if (s == 3) begin
          we   = load_we;
          wrow = wr_row;
          wdat = wr_data[b*W +: W];
        end else if (hi_slot == SLOT) begin
          we   = state == S_STREAM && hi_we[b];
          wrow = hi_wrow[b];
          wdat = hi_wdat[b];
        end else begin
          we   = state == S_STREAM && lo_slot == SLOT && lo_we[b];
          wrow = lo_wrow[b];
          wdat = lo_wdat[b];
        end
      end
      always_ff @(posedge clk) begin
        if (we) mem[wrow] <= wdat;
      end
      assign rdat[s][b] = mem[rd_row];
    end
  end

  always_comb begin
    for (int b = 0; b < P; b++) rd_x[b] = rdat[rd_slot][b];
  end

  // payloads of the row (slot 3's elements only: the candidate buffers move
  // values, and the output pass reads the row), read by the output pass
  logic [P-1:0][PLW-1:0] rd_pl;
  for (genvar b = 0; b < P; b++) begin : g_payload_bank
    logic [PLW-1:0] mem [NB];
    always_ff @(posedge clk) begin
      if (load_we) mem[wr_row] <= wr_payload[b*PLW +: PLW];
    end
    assign rd_pl[b] = mem[rd_row];
  end

  // ---------------------------------------------------------- read addressing
  logic [IW-1:0] piv_idx;              // element read by a pivot cycle
  logic [BW-1:0] piv_bank;
  logic [W-1:0]  piv_x;

  always_comb begin
    piv_idx = '0;
    if (state == S_PIV1) piv_idx = m_r - 1'b1;
    else if (state == S_PIV2) piv_idx = m_r >> 1;
    piv_bank = BW'(piv_idx % P_IW);
    rd_slot = state == S_OUT ? ROW_SLOT : cand_slot;
    if (state == S_STREAM || state == S_OUT) rd_row = beat_r;
    else rd_row = RW'(piv_idx / P_IW);
  end
  assign piv_x = rd_x[piv_bank];

  // zero extensions that need no cast (the widths may coincide for some parameters)
  function automatic logic [CW-1:0] cw_of(input logic [IW-1:0] x);
    cw_of = '0;
    cw_of[IW-1:0] = x;
  endfunction
  function automatic logic [IW-1:0] iw_of(input logic [PW-1:0] x);
    iw_of = '0;
    iw_of[PW-1:0] = x;
  endfunction

  function automatic logic [W-1:0] median3(input logic [W-1:0] a, input logic [W-1:0] b,
                                           input logic [W-1:0] c);
    logic [W-1:0] lo;
    logic [W-1:0] hi;
    lo = a < b ? a : b;
    hi = a < b ? b : a;
    median3 = c < lo ? lo : (c > hi ? hi : c);
  endfunction

  // ---------------------------------------------------- partition (one beat)
  logic [P-1:0]         lane_v;        // element pos_r + j exists
  logic [P-1:0]         is_gt;
  logic [P-1:0]         is_eq;
  logic [P-1:0]         is_lt;
  logic [P-1:0][W-1:0]  gt_comp;       // zero eliminator outputs: survivors packed to lane 0..
  logic [P-1:0][W-1:0]  lt_comp;
  logic [PW-1:0]        n_gt;
  logic [PW-1:0]        n_eq;
  logic [PW-1:0]        n_lt;

  // (Only S_STREAM uses the partition and the rotators below: outside it
  // they are not evaluated, which Verilator would otherwise do in every
  // cycle of an idle engine. The FIFO writes are gated by S_STREAM anyway.)
  wire streaming = state == S_STREAM;
  always_comb begin
    n_gt = '0;
    n_eq = '0;
    n_lt = '0;
    gt_comp = '0;
    lt_comp = '0;
    lane_v = '0;
    is_gt = '0;
    is_eq = '0;
    is_lt = '0;
    if (streaming) begin
      for (int j = 0; j < P; j++) begin
        lane_v[j] = (pos_r + j[CW-1:0]) < cw_of(m_r);
        is_gt[j]  = lane_v[j] && rd_x[j] > pivot;
        is_eq[j]  = lane_v[j] && rd_x[j] == pivot;
        is_lt[j]  = lane_v[j] && rd_x[j] < pivot;
        if (is_gt[j]) begin
          gt_comp[BW'(n_gt)] = rd_x[j];
          n_gt = n_gt + 1'b1;
        end
        if (is_lt[j]) begin
          lt_comp[BW'(n_lt)] = rd_x[j];
          n_lt = n_lt + 1'b1;
        end
        if (is_eq[j]) n_eq = n_eq + 1'b1;
      end
    end
  end

  // Rotators: survivor r of this beat goes to FIFO element tail + r, i.e. bank
  // (tail_bank + r) % P, row tail_row (+1 when it wraps past bank P-1).
  always_comb begin
    logic [PW-1:0] rh;
    logic [PW-1:0] rl;
    rh = '0;
    rl = '0;
    hi_we = '0;
    hi_wdat = '0;
    hi_wrow = '0;
    lo_we = '0;
    lo_wdat = '0;
    lo_wrow = '0;
    if (streaming) begin
      for (int b = 0; b < P; b++) begin
        rh = b[PW-1:0] >= {1'b0, hi_bank} ? b[PW-1:0] - {1'b0, hi_bank}
                                          : b[PW-1:0] + P_PW - {1'b0, hi_bank};
        rl = b[PW-1:0] >= {1'b0, lo_bank} ? b[PW-1:0] - {1'b0, lo_bank}
                                          : b[PW-1:0] + P_PW - {1'b0, lo_bank};
        hi_we[b]   = rh < n_gt;
        hi_wdat[b] = gt_comp[BW'(rh)];
        hi_wrow[b] = b[PW-1:0] >= {1'b0, hi_bank} ? hi_row : hi_row + 1'b1;
        lo_we[b]   = rl < n_lt;
        lo_wdat[b] = lt_comp[BW'(rl)];
        lo_wrow[b] = b[PW-1:0] >= {1'b0, lo_bank} ? lo_row : lo_row + 1'b1;
      end
    end
  end

  // Counts after this beat, the pass decision on them, and the FIFO tails.
  logic [IW-1:0] gt_new;
  logic [IW-1:0] eq_new;
  logic [IW-1:0] lt_new;
  logic [CW-1:0] ge_new;               // gt_new + eq_new
  logic          last_beat;
  logic [PW-1:0] hi_bank_sum;
  logic [PW-1:0] lo_bank_sum;

  always_comb begin
    gt_new      = gt_cnt + iw_of(n_gt);
    eq_new      = eq_cnt + iw_of(n_eq);
    lt_new      = lt_cnt + iw_of(n_lt);
    ge_new      = cw_of(gt_new) + cw_of(eq_new);
    last_beat   = pos_r + P_CW >= cw_of(m_r);
    hi_bank_sum = {1'b0, hi_bank} + n_gt;
    lo_bank_sum = {1'b0, lo_bank} + n_lt;
  end

  // -------------------------------------------------------------- control
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state     <= S_IDLE;
      n_r       <= '0;
      need_r    <= '0;
      m_r       <= '0;
      cand_slot <= ROW_SLOT;
      hi_slot   <= 2'd0;
      lo_slot   <= 2'd1;
      pos_r     <= '0;
      beat_r    <= '0;
      gt_cnt    <= '0;
      eq_cnt    <= '0;
      lt_cnt    <= '0;
      hi_row    <= '0;
      hi_bank   <= '0;
      lo_row    <= '0;
      lo_bank   <= '0;
      c_first   <= '0;
      c_last    <= '0;
      pivot     <= '0;
      thr       <= '0;
      ties      <= '0;
      sel_all   <= 1'b0;
      sel_none  <= 1'b0;
    end else begin
      case (state)
        S_IDLE: begin
          if (start) begin
            n_r       <= n;
            need_r    <= k;
            m_r       <= n;
            cand_slot <= ROW_SLOT;
            hi_slot   <= 2'd0;
            lo_slot   <= 2'd1;
            pos_r     <= '0;
            beat_r    <= '0;
            sel_all   <= k >= n;
            sel_none  <= k == '0;
            if (k != '0 && k < n) state <= S_PIV0;
            else if (n != '0) state <= S_OUT;
            else state <= S_PIPE1;
          end
        end
        S_PIV0: begin
          c_first <= piv_x;
          state   <= S_PIV1;
        end
        S_PIV1: begin
          c_last <= piv_x;
          state  <= S_PIV2;
        end
        S_PIV2: begin
          pivot   <= median3(c_first, piv_x, c_last);
          gt_cnt  <= '0;
          eq_cnt  <= '0;
          lt_cnt  <= '0;
          hi_row  <= '0;
          hi_bank <= '0;
          lo_row  <= '0;
          lo_bank <= '0;
          state   <= S_STREAM;
        end
        S_STREAM: begin
          gt_cnt <= gt_new;
          eq_cnt <= eq_new;
          lt_cnt <= lt_new;
          if (hi_bank_sum >= P_PW) begin
            hi_bank <= BW'(hi_bank_sum - P_PW);
            hi_row  <= hi_row + 1'b1;
          end else begin
            hi_bank <= BW'(hi_bank_sum);
          end
          if (lo_bank_sum >= P_PW) begin
            lo_bank <= BW'(lo_bank_sum - P_PW);
            lo_row  <= lo_row + 1'b1;
          end else begin
            lo_bank <= BW'(lo_bank_sum);
          end
          pos_r  <= pos_r + P_CW;
          beat_r <= beat_r + 1'b1;
          if (last_beat) begin
            pos_r  <= '0;
            beat_r <= '0;
            if (need_r <= gt_new) begin
              // the k-th largest is among the greater ones
              cand_slot <= hi_slot;
              hi_slot   <= hi_slot == 2'd0 ? 2'd1 : 2'd0;
              lo_slot   <= 2'd2;
              m_r       <= gt_new;
              state     <= S_PIV0;
            end else if (cw_of(need_r) <= ge_new) begin
              // the pivot is the threshold
              thr   <= pivot;
              ties  <= need_r - gt_new;
              state <= S_OUT;
            end else begin
              need_r    <= IW'(cw_of(need_r) - ge_new);
              cand_slot <= lo_slot;
              hi_slot   <= 2'd0;
              lo_slot   <= lo_slot == 2'd2 ? 2'd1 : 2'd2;
              m_r       <= lt_new;
              state     <= S_PIV0;
            end
          end
        end
        S_OUT: begin
          pos_r  <= pos_r + P_CW;
          beat_r <= beat_r + 1'b1;
          if (pos_r + P_CW >= cw_of(n_r)) state <= S_PIPE1;
        end
        S_PIPE1: state <= S_PIPE2;
        S_PIPE2: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  // --------------------------------------------------------- output pipeline
  logic [P-1:0]         take;
  logic [P-1:0]         o_valid;
  logic [P*IW-1:0]      o_index;
  logic [P*PLW-1:0]     o_payload;
  logic [IW-1:0]        eq_taken;      // equal elements taken in this beat
  logic [PW-1:0]        n_take;

  always_comb begin
    eq_taken = '0;
    n_take   = '0;
    o_valid  = '0;
    o_index  = '0;
    o_payload = '0;
    for (int j = 0; j < P; j++) begin
      take[j] = 1'b0;
      if (s1_act && s1_mask[j] && !sel_none) begin
        if (sel_all || s1_x[j] > thr) begin
          take[j] = 1'b1;
        end else if (s1_x[j] == thr && (tie_cnt + eq_taken) < ties) begin
          take[j]  = 1'b1;
          eq_taken = eq_taken + 1'b1;
        end
      end
      if (take[j]) begin
        o_valid[BW'(n_take)] = 1'b1;
        o_index[int'(n_take) * IW +: IW] = IW'(s1_base + j[CW-1:0]);
        o_payload[int'(n_take) * PLW +: PLW] = s1_pl[j];
        n_take = n_take + 1'b1;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s1_act      <= 1'b0;
      s1_mask     <= '0;
      s1_base     <= '0;
      tie_cnt     <= '0;
      out_valid_r <= '0;
      out_index_r <= '0;
      out_payload_r <= '0;
    end else begin
      s1_act  <= state == S_OUT;
      s1_base <= pos_r;
      for (int j = 0; j < P; j++) s1_mask[j] <= (pos_r + j[CW-1:0]) < cw_of(n_r);
      if (state == S_IDLE) tie_cnt <= '0;
      else tie_cnt <= tie_cnt + eq_taken;
      out_valid_r <= o_valid;
      out_index_r <= o_index;
      out_payload_r <= o_payload;
    end
  end

  always_ff @(posedge clk) begin  // datapath, no reset (s1_act qualifies it)
    s1_x <= rd_x;
    s1_pl <= rd_pl;
  end

  assign done      = state == S_PIPE2;
  assign out_valid = out_valid_r;
  assign out_index = out_index_r;
  assign out_payload = out_payload_r;
endmodule
