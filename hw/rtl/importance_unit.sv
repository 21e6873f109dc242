// hw/rtl/importance_unit.sv — the token importance memory and the passes of
// SpAtten's cascade token pruning that go through it: clear, accumulate (a
// head job's final probabilities), gather (a decision's candidates into the
// top-k engine) and emit (the decision's kept ids). Cycle model:
// sim/cmodel/src/accelerator.cpp (importance_unit; run_head's accumulate
// phase, run_decision), importance_row_cycles; values: golden
// accumulate_token_importance and prune_tokens with ImportanceMemory
// (hls/include/spatten/importance.h, pruning.h).
//
// Memory: NR = ceil(N_MAX / P) rows of P uint64 words, token t at row t / P,
// word t % P; one registered read and one write per cycle (a block RAM's
// shape). A token id >= N_MAX reads 0 and takes no add. The contents stay
// from job to job; reset does not clear them (a job with clear_importance does).
//
// Every pass walks a live list of n ids in aligned groups of P positions
// (group g = positions gP .. gP+P-1, read through grp_index / grp_ids /
// grp_prob, asynchronous, by the core from the fetcher's id memory and the
// probability memory); the ids ascend, so the ids of a group that share an
// importance row are adjacent. A one-cycle start pulse in cycle S (unit idle):
//   clear    rows 0 .. NR-1 written with 0 in S .. S+NR-1; done in S+NR-1.
//   acc      row walk: group 0 is loaded at the edge that ends S; from S+1
//            one step per cycle: the group's next importance row (that of its
//            lowest unfinished position) is read with all its positions; one
//            cycle later the row is written back with their probabilities
//            added (forwarded when the step before wrote the same row: a
//            group boundary inside a row). A group's last step loads the next
//            group. R steps (importance_row_cycles), done in S+R+1 (the last
//            write): R + 2 cycles, kImportanceLatency = 2.
//   gather   the same walk without writes: each position's word is kept; with
//            a group's last step its unprotected positions' words are
//            compacted in order onto the candidate rows of the top-k engine
//            (a full row of P is written, the rest waits); the last partial
//            row is written in S+R+2, done then: R + 3 cycles
//            (kGatherLatency). n_cand / n_prot count the candidates and the
//            protected ids.
//   emit     group walk: group g in S+1+g (loaded at the edge before); its
//            kept positions (protected, or keep_all, or candidates the top-k
//            engine selected) are compacted in order onto the kept-id
//            rows; the last partial row is written in S+NG+1, done then:
//            ceil(n/P) + 2 cycles (kEmitLatency = 2). kept_count = the ids kept.
// Protected (golden token_protected): id < sink_tokens, id >= context_len -
// recent_tokens, or id == context_len - 1.
module importance_unit #(
  parameter int P = 16,
  parameter int N_MAX = 4096,
  parameter int PBW = 17,                                   // probability width
  parameter int IW = $clog2(N_MAX + 1),                     // counts and positions; must keep this value
  parameter int GW = $clog2((N_MAX + P - 1) / P + 1),       // group index; must keep this value
  parameter int EW = ((N_MAX + P - 1) / P) > 1 ? $clog2((N_MAX + P - 1) / P) : 1  // engine / kept rows; must keep this value
) (
  input  logic                 clk,
  input  logic                 rst_n,
  input  logic                 clear_start,
  input  logic                 acc_start,
  input  logic                 gather_start,
  input  logic                 emit_start,
  input  logic [IW-1:0]        n,              // ids of the list (stable through the pass)
  input  logic [31:0]          context_len,    // decision: the protection rule
  input  logic [31:0]          sink_tokens,
  input  logic [31:0]          recent_tokens,
  input  logic                 keep_all,       // emit: keep >= n keeps every id
  input  logic                 sel_none,       // emit: no candidate selected (the engine did not run)
  output logic [GW-1:0]        grp_index,
  input  logic [P*32-1:0]      grp_ids,
  input  logic [P*PBW-1:0]     grp_prob,
  // top-k engine: candidate rows, and the selected candidates of its run
  // (ordinals in increasing order, a cycle's on lanes 0 .. c-1: the engine's
  // output order, which the emit relies on)
  output logic                 eng_wr_en,
  output logic [EW-1:0]        eng_wr_row,
  output logic [P*64-1:0]      eng_wr_data,
  input  logic                 sel_clear,
  input  logic [P-1:0]         sel_valid,
  input  logic [P*IW-1:0]      sel_index,
  output logic [IW-1:0]        n_cand,
  output logic [IW-1:0]        n_prot,
  // kept ids of the last emit, rows of P
  input  logic [EW-1:0]        kept_rd_row,
  output logic [P*32-1:0]      kept_rd_data,
  output logic [IW-1:0]        kept_count,
  output logic                 busy,
  output logic                 done            // the pass's last cycle
);
  localparam int NR = (N_MAX + P - 1) / P;
  localparam int RW = NR > 1 ? $clog2(NR) : 1;
  localparam int BW = P > 1 ? $clog2(P) : 1;
  localparam int CW = $clog2(2 * P + 1);                    // staging counts 0 .. 2P
  localparam logic [31:0] P32 = unsigned'(P);
  localparam logic [CW-1:0] P_CW = CW'(unsigned'(P));
  localparam logic [RW:0] LAST_ROW = (RW + 1)'(unsigned'(NR - 1));

  generate
    if (P < 1 || N_MAX < P) begin : g_bad
      $fatal(1, "importance_unit: need 1 <= P <= N_MAX");
    end
  endgenerate

  typedef enum logic [2:0] {S_IDLE, S_CLEAR, S_WALK, S_DRAIN, S_GDRAIN, S_FLUSH} state_t;
  state_t state;
  logic [1:0] op;                                   // 0 acc, 1 gather, 2 emit
  localparam logic [1:0] OP_ACC = 2'd0, OP_GATHER = 2'd1, OP_EMIT = 2'd2;

  logic [P*64-1:0] imp_mem [NR];
  logic [P*32-1:0] kept_mem [NR];

  // ------------------------------------------------------------ the group in hand
  logic [GW-1:0] g_next;                            // next group to load
  logic [GW-1:0] groups;                            // ceil(n / P), latched at start
  logic          g_have;                            // a group is loaded
  logic [P-1:0][31:0] g_id;
  logic [P-1:0][PBW-1:0] g_prob;
  logic [P-1:0]  g_rem;                             // positions of the group not yet walked
  logic [P-1:0]  g_valid;                           // positions < n
  logic [RW:0]   clr_row;

  function automatic logic prot(input logic [31:0] t, input logic [31:0] ctx, input logic [31:0] sinks,
                                input logic [31:0] recent);
    logic signed [33:0] lo;
    lo = signed'({2'b00, ctx}) - signed'({2'b00, recent});
    prot = t < sinks || signed'({2'b00, t}) >= lo || {1'b0, t} == {1'b0, ctx} - 33'd1;
  endfunction

  // ------------------------------------------------------------ row walk step (acc, gather)
  logic [31:0]   st_row;                            // this cycle's row: that of the lowest unwalked position
  logic [P-1:0]  st_mask;                           // the group's positions in it
  logic          st_last;                           // the group's last step
  logic          st_go;                             // a step this cycle
  // (the combinational blocks of a pass do their work under the condition that
  // it matters, so that an idle unit costs a simulator little)
  always_comb begin
    logic found;
    found = 1'b0;
    st_row = '0;
    st_mask = '0;
    if (state == S_WALK && op != OP_EMIT) begin
      for (int p = 0; p < P; p++) begin
        if (g_rem[p] && !found) begin
          found = 1'b1;
          st_row = g_id[p] / P32;
        end
      end
      for (int p = 0; p < P; p++) st_mask[p] = g_rem[p] && g_id[p] / P32 == st_row;
    end
    st_go = state == S_WALK && g_have && op != OP_EMIT && found;
    st_last = (g_rem & ~st_mask) == '0;
  end

  // the step one cycle later: the row's words have been read
  logic          s2_go, s2_last;
  logic [31:0]   s2_row;
  logic [P-1:0]  s2_mask, s2_valid, s2_prot;
  logic [P-1:0][BW-1:0] s2_word;                    // each position's word in the row
  logic [P-1:0]  s2_in;                             // each position's id < N_MAX
  logic [P-1:0][PBW-1:0] s2_prob;
  logic [P*64-1:0] rd_q;                            // the registered read
  logic [P*64-1:0] last_wr_data;
  logic [31:0]   last_wr_row;
  logic          last_wr;
  logic [P*64-1:0] s2_base, s2_new;
  logic [P-1:0][63:0] s2_val;                       // gather: each position's word (0 out of range)
  always_comb begin
    s2_base = (last_wr && last_wr_row == s2_row) ? last_wr_data : rd_q;
    s2_new = s2_base;
    s2_val = '0;
    if (s2_go) begin
      for (int w = 0; w < P; w++) begin
        for (int p = 0; p < P; p++) begin
          if (s2_mask[p] && s2_in[p] && int'(s2_word[p]) == w)
            s2_new[w*64 +: 64] = s2_base[w*64 +: 64] + 64'(s2_prob[p]);
        end
      end
      for (int p = 0; p < P; p++)
        if (s2_mask[p] && s2_in[p]) s2_val[p] = s2_base[int'(s2_word[p])*64 +: 64];
    end
  end

  // gather: the group's words as its steps come in, then compaction
  logic [P-1:0][63:0] gv;                           // words of the group so far
  logic [2*P-1:0][63:0] cstage;                     // candidate staging (compacted)
  logic [CW-1:0] ccnt;
  logic [EW:0]   crow;                              // next candidate row of the engine
  logic [IW-1:0] cand_r, prot_r;

  // emit: the group in hand, its kept positions compacted onto kept-id rows
  logic [IW-1:0] ord_base;                          // candidate ordinal of the group's first unprotected id
  logic [2*P-1:0][31:0] kstage;
  logic [CW-1:0] kcnt;
  logic [EW:0]   krow;
  logic [IW-1:0] kept_r;

  assign n_cand = cand_r;
  assign n_prot = prot_r;
  assign kept_count = kept_r;
  assign kept_rd_data = kept_mem[kept_rd_row];
  assign busy = state != S_IDLE;
  assign done = (clear_start && NR == 1) || (state == S_CLEAR && clr_row == LAST_ROW) ||
                state == S_DRAIN || state == S_FLUSH;

  // group to read: group 0 at a start, else the next one when the group in
  // hand is finished this cycle
  always_comb begin
    grp_index = g_next;
    if (acc_start || gather_start || emit_start) grp_index = '0;
  end
  wire starting = acc_start || gather_start || emit_start;
  wire load_next = state == S_WALK && (op == OP_EMIT ? g_have : (st_go && st_last)) && g_next < groups;

  // engine writes (gather): a full candidate row with a group's last step,
  // the partial one in S_FLUSH
  logic [P-1:0] g_unprot;
  logic [P-1:0][63:0] g_words;
  always_comb begin
    g_words = gv;
    for (int p = 0; p < P; p++) if (s2_mask[p]) g_words[p] = s2_val[p];
    g_unprot = s2_valid & ~s2_prot;
  end
  logic [2*P-1:0][63:0] c_next;
  logic [CW-1:0] c_next_cnt;
  always_comb begin
    int c;
    c_next = cstage;
    c = int'(ccnt);
    if (op == OP_GATHER && s2_go && s2_last) begin
      for (int p = 0; p < P; p++) begin
        if (g_unprot[p]) begin
          c_next[c] = g_words[p];
          c = c + 1;
        end
      end
    end
    c_next_cnt = CW'(unsigned'(c));
  end
  always_comb begin
    eng_wr_en = 1'b0;
    eng_wr_row = EW'(crow);
    eng_wr_data = '0;
    if (op == OP_GATHER && s2_go && s2_last && c_next_cnt >= P_CW) begin
      eng_wr_en = 1'b1;
      for (int l = 0; l < P; l++) eng_wr_data[l*64 +: 64] = c_next[l];
    end else if (op == OP_GATHER && state == S_FLUSH && ccnt != '0) begin
      eng_wr_en = 1'b1;
      for (int l = 0; l < P; l++) eng_wr_data[l*64 +: 64] = cstage[l];
    end
  end

  // emit of the group in hand
  wire emit_step = state == S_WALK && op == OP_EMIT && g_have;

  // The candidates the top-k engine selected, as the list it gives them in:
  // increasing ordinals, a cycle's valid lanes 0 .. c-1 the next c entries.
  // Entry i is in bank i mod P at address i / P, so a cycle's entries go to
  // different banks. The emit walk visits the candidates in increasing
  // ordinal, so the selected ones of a group are the next entries from
  // sel_rd: a group reads the P entries sel_rd .. sel_rd + P - 1 (one per
  // bank) and keeps an unprotected candidate when one of them below sel_cnt
  // equals its ordinal; sel_rd then moves past the matches. One write and
  // one read port a bank (a bit per candidate, written by P lanes at any
  // index, was N_MAX flip-flops behind P write decoders). The engine's
  // value selections of head jobs also land here; a decision's sel_clear
  // (its top-k start) empties the list before its own.
  logic [IW-1:0] sel_cnt, sel_rd;                   // entries written; the emit's next entry
  logic [BW-1:0] sel_wb, sel_rb;                    // their banks (index mod P)
  logic [RW-1:0] sel_wa, sel_ra;                    // their addresses (index / P)
  logic [IW-1:0] sel_cnt_n;                         // after this cycle's writes
  logic [BW-1:0] sel_wb_n;
  logic [RW-1:0] sel_wa_n;
  logic [P-1:0] sel_we;
  logic [P-1:0][RW-1:0] sel_we_a;
  logic [P-1:0][IW-1:0] sel_we_d;
  logic [IW-1:0] sel_win [P];                       // bank b's entry of the emit window
  // bank and address k entries after (b, a), k <= P
  function automatic logic [BW+RW-1:0] sel_step(input logic [BW-1:0] b, input logic [RW-1:0] a, input int k);
    int nb;
    nb = int'(b) + k;
    sel_step = nb >= P ? {BW'(unsigned'(nb - P)), a + 1'b1} : {BW'(unsigned'(nb)), a};
  endfunction
  always_comb begin
    logic [BW-1:0] b;
    logic [RW-1:0] a;
    logic [31:0] i;
    sel_we = '0;
    sel_we_a = '0;
    sel_we_d = '0;
    b = sel_wb;
    a = sel_wa;
    i = 32'(sel_cnt);
    if (!sel_clear && sel_valid != '0) begin
      for (int l = 0; l < P; l++) begin
        // (past N_MAX entries: a head job's value selections; not kept)
        if (sel_valid[l] && i < unsigned'(N_MAX)) begin
          sel_we[b] = 1'b1;
          sel_we_a[b] = a;
          sel_we_d[b] = sel_index[l*IW +: IW];
          {b, a} = sel_step(b, a, 1);
          i = i + 1;
        end
      end
    end
    sel_cnt_n = IW'(i);
    sel_wb_n = b;
    sel_wa_n = a;
  end
  for (genvar b = 0; b < P; b++) begin : g_sel_bank
    logic [IW-1:0] mem [NR];
    always_ff @(posedge clk) begin
      if (sel_we[b]) mem[sel_we_a[b]] <= sel_we_d[b];
    end
    // (read only in an emit step: a simulator evaluates this in every cycle)
    always_comb begin
      sel_win[b] = '0;
      if (emit_step) sel_win[b] = mem[int'(sel_rb) > b ? sel_ra + 1'b1 : sel_ra];
    end
  end

  logic [P-1:0] e_keep;
  logic [IW-1:0] e_unprot_cnt, e_sel_cnt;
  always_comb begin
    logic [IW-1:0] ord;
    logic [P-1:0] win_ok;                            // bank b's window entry is below sel_cnt
    int q;                                           // an entry's offset from sel_rd
    logic hit;
    ord = ord_base;
    e_keep = '0;
    e_sel_cnt = '0;
    win_ok = '0;
    q = 0;
    hit = 1'b0;
    if (emit_step) begin
      for (int b = 0; b < P; b++) begin
        q = (b + P - int'(sel_rb)) % P;
        win_ok[b] = 32'(sel_rd) + unsigned'(q) < 32'(sel_cnt);
      end
    end
    for (int p = 0; p < P; p++) begin
      if (emit_step && g_valid[p]) begin
        if (prot(g_id[p], context_len, sink_tokens, recent_tokens)) begin
          e_keep[p] = 1'b1;
        end else begin
          hit = 1'b0;
          for (int b = 0; b < P; b++) if (win_ok[b] && sel_win[b] == ord) hit = 1'b1;
          e_keep[p] = keep_all || (!sel_none && hit);
          if (hit) e_sel_cnt = e_sel_cnt + 1'b1;
          ord = ord + 1'b1;
        end
      end
    end
    e_unprot_cnt = ord - ord_base;
  end
  logic [2*P-1:0][31:0] k_next;
  logic [CW-1:0] k_next_cnt;
  always_comb begin
    int c;
    k_next = kstage;
    c = int'(kcnt);
    for (int p = 0; p < P; p++) begin
      if (emit_step && e_keep[p]) begin
        k_next[c] = g_id[p];
        c = c + 1;
      end
    end
    k_next_cnt = CW'(unsigned'(c));
  end

  always_ff @(posedge clk) begin
    // importance memory: one registered read, one write (clear or accumulate)
    if (st_go) rd_q <= imp_mem[RW'(st_row)];
    if (state == S_CLEAR || clear_start) begin
      imp_mem[RW'(clear_start ? '0 : clr_row)] <= '0;
    end else if (op == OP_ACC && s2_go && s2_row < unsigned'(NR)) begin
      imp_mem[RW'(s2_row)] <= s2_new;
    end
    // kept-id rows: a whole row per write (one write port)
    if ((emit_step && k_next_cnt >= P_CW) || (op == OP_EMIT && state == S_FLUSH && kcnt != '0)) begin
      kept_mem[EW'(krow)] <= emit_step ? (P*32)'(k_next[P-1:0]) : (P*32)'(kstage[P-1:0]);
    end
  end
  // the selection list's write position (its banks are written by g_sel_bank)
  always_ff @(posedge clk) begin
    if (!rst_n || sel_clear) begin
      sel_cnt <= '0;
      sel_wb <= '0;
      sel_wa <= '0;
    end else begin
      sel_cnt <= sel_cnt_n;
      sel_wb <= sel_wb_n;
      sel_wa <= sel_wa_n;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IDLE;
      s2_go <= 1'b0;
      last_wr <= 1'b0;
      g_have <= 1'b0;
    end else begin
      // the step's second cycle
      s2_go <= st_go;
      if (st_go) begin
        s2_row <= st_row;
        s2_mask <= st_mask;
        s2_last <= st_last;
        s2_valid <= g_valid;
        for (int p = 0; p < P; p++) begin
          s2_word[p] <= BW'(g_id[p] % P32);
          s2_in[p] <= g_id[p] < unsigned'(N_MAX);
          s2_prot[p] <= prot(g_id[p], context_len, sink_tokens, recent_tokens);
          s2_prob[p] <= g_prob[p];
        end
        g_rem <= g_rem & ~st_mask;
      end
      last_wr <= op == OP_ACC && s2_go && s2_row < unsigned'(NR);
      if (s2_go) begin
        last_wr_row <= s2_row;
        last_wr_data <= s2_new;
      end
      // gather: the group's words, then its candidates
      if (op == OP_GATHER && s2_go) begin
        if (s2_last) begin
          gv <= '0;
          if (c_next_cnt >= P_CW) begin
            for (int l = 0; l < 2 * P; l++) cstage[l] <= l + P < 2 * P ? c_next[l + P] : 64'd0;
            ccnt <= c_next_cnt - P_CW;
            crow <= crow + 1'b1;
          end else begin
            cstage <= c_next;
            ccnt <= c_next_cnt;
          end
          cand_r <= cand_r + IW'(unsigned'($countones(g_unprot)));
          prot_r <= prot_r + IW'(unsigned'($countones(s2_valid & s2_prot)));
        end else begin
          gv <= g_words;
        end
      end
      // emit: the group in hand
      if (emit_step) begin
        ord_base <= ord_base + e_unprot_cnt;
        sel_rd <= sel_rd + e_sel_cnt;
        {sel_rb, sel_ra} <= sel_step(sel_rb, sel_ra, int'(e_sel_cnt));
        kept_r <= kept_r + IW'(unsigned'($countones(e_keep)));
        if (k_next_cnt >= P_CW) begin
          for (int l = 0; l < 2 * P; l++) kstage[l] <= l + P < 2 * P ? k_next[l + P] : 32'd0;
          kcnt <= k_next_cnt - P_CW;
          krow <= krow + 1'b1;
        end else begin
          kstage <= k_next;
          kcnt <= k_next_cnt;
        end
      end
      // loading groups
      if (starting || load_next) begin
        for (int p = 0; p < P; p++) begin
          g_id[p] <= grp_ids[p*32 +: 32];
          g_prob[p] <= grp_prob[p*PBW +: PBW];
          g_valid[p] <= 32'(grp_index) * P32 + unsigned'(p) < 32'(n);
          g_rem[p] <= 32'(grp_index) * P32 + unsigned'(p) < 32'(n);
        end
        g_next <= grp_index + 1'b1;
        g_have <= 1'b1;
      end else if (state == S_WALK && (op == OP_EMIT ? g_have : (st_go && st_last))) begin
        g_have <= 1'b0;
      end
      case (state)
        S_IDLE: begin
          if (clear_start) begin
            clr_row <= (RW + 1)'(1);
            state <= NR == 1 ? S_IDLE : S_CLEAR;
          end else if (starting) begin
            op <= acc_start ? OP_ACC : (gather_start ? OP_GATHER : OP_EMIT);
            groups <= GW'((32'(n) + P32 - 32'd1) / P32);
            state <= S_WALK;
            if (gather_start) begin
              cand_r <= '0;
              prot_r <= '0;
              ccnt <= '0;
              crow <= '0;
              gv <= '0;
            end
            if (emit_start) begin
              ord_base <= '0;
              sel_rd <= '0;
              sel_rb <= '0;
              sel_ra <= '0;
              kept_r <= '0;
              kcnt <= '0;
              krow <= '0;
            end
          end
        end
        S_CLEAR: begin
          clr_row <= clr_row + 1'b1;
          if (clr_row == LAST_ROW) state <= S_IDLE;
        end
        S_WALK: begin
          // the walk ends with the last group's last step (emit: the last
          // group); then acc writes its last row (S_DRAIN, done), gather
          // compacts its last group (S_GDRAIN) and writes the partial row
          // (S_FLUSH, done), emit writes its partial row (S_FLUSH, done)
          if (op == OP_EMIT ? (g_have && g_next >= groups) : (st_go && st_last && g_next >= groups))
            state <= op == OP_ACC ? S_DRAIN : (op == OP_GATHER ? S_GDRAIN : S_FLUSH);
        end
        S_DRAIN: state <= S_IDLE;
        S_GDRAIN: state <= S_FLUSH;
        S_FLUSH: begin
          if (op == OP_GATHER && ccnt != '0) crow <= crow + 1'b1;
          if (op == OP_EMIT && kcnt != '0) krow <= krow + 1'b1;
          state <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
