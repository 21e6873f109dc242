// softmax_unit.sv — the softmax unit: collects a row of n logits at up to L
// per cycle (tracking the running max and argmax), then an exponent pass with
// L exp units, one 32-cycle reciprocal, a normalize pass with L multipliers
// and the requant decision. Mirrors golden::softmax_row and
// golden::needs_lsb_refetch (hls/include/spatten/softmax.h, requant.h) bit for
// bit, and the cycle model's CollectUnit softmax_unit (sim/cmodel units.h,
// accelerator.h) cycle for cycle.
//
// Parameters
//   L      lanes (topk_parallelism): logits taken, exponentials and
//          probabilities computed per cycle, >= 1
//   N_MAX  longest row, >= L (the buffer holds NB = ceil(N_MAX/L) rows of L)
//   F      logit_frac_bits (6..16); a logit is signed LW = 16+F bits
//   P      prob_frac_bits (8..24); a probability is Q0.P in PBW = P+1 bits
//   IW = $clog2(N_MAX+1) is the width of n and argmax; RW = $clog2(NB) (1 when
//   NB == 1) the width of a buffer row address.
//
// Values (golden softmax_row, with C = kLog2eQ23 = 12102203):
//   m = max logit, argmax = its first position
//   x = m - logit                       LW bits unsigned
//   t = round(x*C / 2^(F+7))            Q.16, round half up (< 2^33)
//   a = t>>16, j = t[15:10], r = t[9:0]
//   mant = LUT[j] - round((LUT[j]-LUT[j+1]) * r / 2^10)
//   e = round(mant / 2^a)               Q0.24 (0 when a >= 32: mant < 2^25)
//   S = sum e (SW = 25+$clog2(N_MAX) bits), R = floor(2^62 / S) (<= 2^38)
//   p = floor(e*R / 2^(62-P))           Q0.P
//   max_prob = p[argmax] = R >> (38-P)  (e[argmax] = LUT[0] = 2^24 exactly)
//   refetch = max_prob * 2^16 < threshold * 2^P    (golden needs_lsb_refetch)
//
// Ports
//   clk, rst_n         rising edge; synchronous active-low reset of the
//                      control state (buffer and datapath not reset).
//   start, n, thr      one-cycle start pulse with the row length n (1..N_MAX;
//                      a start with n == 0 is ignored) and the requant
//                      threshold thr (Q0.16, 0..65536). Ignored while busy.
//   in_ready           high in the start cycle and while collecting.
//   in_valid, in_logit the logit stream, in position order: in a cycle with
//                      in_ready, the valid lanes (any pattern; lanes in
//                      increasing order) are the next logits of the row. Only
//                      as many as the row still lacks are taken (the lowest
//                      valid lanes); the others are dropped. Lane j is
//                      in_logit[j], a signed LW-bit logit.
//   busy               high from the start cycle to done (busy = start | running).
//   done               one-cycle pulse in the last busy cycle.
//   argmax, max_prob,  results of the row (golden SoftmaxRow argmax, max_prob,
//   exp_sum, refetch   exp_sum; needs_lsb_refetch(max_prob, thr)): valid in the
//                      done cycle and after it until the next start (argmax
//                      from c+1, exp_sum from c+B+5, max_prob from c+B+37).
//   out_valid, out_row the probabilities as the normalize pass writes them:
//   out_prob           in a cycle with out_valid != 0, lane j (out_valid[j])
//                      holds p of element out_row*L + j. Over a run every
//                      element 0..n-1 appears exactly once, rows in order.
//   rd_row, rd_prob    read port of the probability buffer: rd_prob[j] is
//                      element rd_row*L + j (asynchronous read). Valid while
//                      not busy after done, until the next start.
//
// Timing contract (CollectUnit with count n, lanes L and
//   tail = B + kExpLatency(4) + kDividerCycles(32) + B + kNormalizeLatency(2)
//          + kDecisionCycles(1),   B = ceil(n/L)):
// start in cycle s (logits may be taken from s on); the last logit taken in
// cycle c >= s; busy in s .. c+tail, done in c+tail. Cycle by cycle:
//   s .. c              collect: taken logits go to the buffer (position i in
//                       bank i%L, row i/L, through a zero eliminator and a
//                       rotator), running max / argmax updated.
//   c+1 .. c+B+4        exponent pass: beat b (row b, cycle c+1+b) goes
//                       through 5 stages: read + subtract (x); multiply by
//                       log2e + round (t); table + interpolation (mant); shift
//                       + round (e); write e back over the logit and add the
//                       beat's lanes into S. The 4 = kExpLatency are the four
//                       stages after the read.
//   c+B+5 .. c+B+36     reciprocal: radix-4 restoring division of the 64-bit
//                       dividend 2^62 by S, 2 quotient bits per cycle, 32
//                       cycles (iteration 0 brings in the dividend's bits
//                       63:62 = 01, the others 00).
//   c+B+37 .. c+2B+38   normalize pass: beat b read in c+B+37+b; multiply e*R
//                       and shift in the next cycle; the probability written
//                       back (and shown on out_*) in the one after, so the
//                       last beat's are on out_* in c+2B+38.
//   c+2B+39 = c+tail    decision: refetch compared from max_prob and thr;
//                       done.
//
// Datapath. Per lane: one LW x 24 multiplier (t), two reads of the 65-entry
// table and a 25 x 10 multiplier (interpolation), a 25-bit rounding shifter
// (e), and for the normalize pass one 25 x 39 multiplier. Per unit: an
// L-input adder into S, one divider step (three SW+2-bit compare/subtracts),
// and the collection's zero eliminator and max/argmax, both a chain over the
// L lanes in lane order (the first of equal maxima wins, as in golden).
//
// Memory. One buffer of NB rows x L banks of DW = max(LW, 25) bits: logits,
// then the exponentials over them, then the probabilities over those (the
// golden model's "the exponential buffer is the output buffer"). Every cycle
// reads at most one row (all banks) and each bank takes at most one write, so
// each bank maps to a simple dual-port RAM (asynchronous read: LUTRAM or
// registers).
module softmax_unit #(
  parameter int L = 16,
  parameter int N_MAX = 1024,
  parameter int F = 10,
  parameter int P = 16
) (
  input  logic                                   clk,
  input  logic                                   rst_n,
  input  logic                                   start,
  input  logic [$clog2(N_MAX + 1)-1:0]           n,
  input  logic [16:0]                            thr,
  output logic                                   in_ready,
  input  logic [L-1:0]                           in_valid,
  input  logic [L-1:0][16+F-1:0]                 in_logit,
  output logic                                   busy,
  output logic                                   done,
  output logic [$clog2(N_MAX + 1)-1:0]           argmax,
  output logic [P:0]                             max_prob,
  output logic [25+$clog2(N_MAX)-1:0]            exp_sum,
  output logic                                   refetch,
  output logic [L-1:0]                           out_valid,
  output logic [(((N_MAX + L - 1) / L) > 1 ? $clog2((N_MAX + L - 1) / L) : 1)-1:0] out_row,
  output logic [L-1:0][P:0]                      out_prob,
  input  logic [(((N_MAX + L - 1) / L) > 1 ? $clog2((N_MAX + L - 1) / L) : 1)-1:0] rd_row,
  output logic [L-1:0][P:0]                      rd_prob
);
  localparam int LW  = 16 + F;                         // signed logit
  localparam int EW  = 25;                             // exponential, Q0.24 (<= 2^24)
  localparam int DW  = LW > EW ? LW : EW;              // buffer word
  localparam int PBW = P + 1;                          // probability, Q0.P (<= 2^P)
  localparam int NB  = (N_MAX + L - 1) / L;            // buffer rows
  localparam int RW  = NB > 1 ? $clog2(NB) : 1;        // row address
  localparam int IW  = $clog2(N_MAX + 1);              // n, positions, argmax
  localparam int CW  = IW + 1;                         // beat positions (< N_MAX + L <= 2*N_MAX)
  localparam int BW  = L > 1 ? $clog2(L) : 1;          // bank index
  localparam int KW  = $clog2(L + 1);                  // per-cycle counts 0..L
  localparam int SW  = 25 + $clog2(N_MAX);             // exponential sum
  localparam int QW  = 39;                             // reciprocal, <= 2^38
  localparam int MW  = LW + 24;                        // x * log2e
  localparam int TS  = F + 7;                          // F + 23 - 16: shift to Q.16
  localparam int TW  = MW - TS;                        // t = 33 bits
  localparam logic [23:0] LOG2E_Q23 = spatten_golden_pkg::LOG2E_Q23;  // generated from softmax.h
  localparam logic [CW-1:0] L_CW = CW'(L);
  localparam logic [BW:0]   L_BW = (BW + 1)'(L);

  typedef enum logic [2:0] {
    S_IDLE, S_COLLECT, S_EXP, S_EXP_DRAIN, S_DIV, S_NORM, S_NORM_DRAIN, S_DECIDE
  } state_t;

  state_t state;

  // golden kExp2NegLut, from the generated package (spatten-gen-golden-sv)
  function automatic logic [EW-1:0] exp2_lut(input logic [6:0] j);
    exp2_lut = spatten_golden_pkg::exp2_neg_lut(j);
  endfunction

  // ---------------------------------------------------------------- registers
  logic [IW-1:0]        n_r;           // row length
  logic [IW-1:0]        got_r;         // logits taken so far
  logic [RW-1:0]        wrow_r;        // next write position: row and bank (got_r = wrow_r*L + wbank_r)
  logic [BW-1:0]        wbank_r;
  logic [LW-1:0]        max_r;         // running max (signed)
  logic [IW-1:0]        argmax_r;
  logic [16:0]          thr_r;
  logic [RW-1:0]        beat_r;        // row read by the current pass
  logic [CW-1:0]        pos_r;         // first element of beat_r
  logic [4:0]           ctr_r;         // drain / divider cycle
  logic [SW-1:0]        sum_r;         // S
  logic [SW-1:0]        rem_r;         // divider remainder
  logic [QW-1:0]        quo_r;         // divider quotient, R at the end

  // ------------------------------------------------------------------ buffer
  logic [RW-1:0]        rd_addr;
  logic [L-1:0][DW-1:0] rd_x;          // buffer row rd_addr
  logic [L-1:0]         we;
  logic [L-1:0][RW-1:0] wrow;
  logic [L-1:0][DW-1:0] wdat;

  for (genvar b = 0; b < L; b++) begin : g_bank
    logic [DW-1:0] mem [NB];
    always_ff @(posedge clk) begin
      if (we[b]) mem[wrow[b]] <= wdat[b];
    end
    assign rd_x[b] = mem[rd_addr];
  end

  // --------------------------------------------------------------- collection
  logic          taking;               // logits are taken this cycle
  logic [IW-1:0] got_e;                // taken before this cycle
  logic [IW-1:0] left_e;               // still to take
  logic [RW-1:0] wrow_e;
  logic [BW-1:0] wbank_e;
  logic [L-1:0][LW-1:0] comp;          // taken logits, packed to lanes 0..k-1
  logic [KW-1:0] k_take;               // taken this cycle
  logic [LW-1:0] max_e;                // running max after this cycle
  logic [IW-1:0] argmax_e;
  logic          start_ok;

  assign start_ok = state == S_IDLE && start && n != '0;
  assign taking   = start_ok || state == S_COLLECT;

  always_comb begin
    got_e   = state == S_COLLECT ? got_r : '0;
    left_e  = state == S_COLLECT ? n_r - got_r : n;
    wrow_e  = state == S_COLLECT ? wrow_r : '0;
    wbank_e = state == S_COLLECT ? wbank_r : '0;
  end

  always_comb begin
    logic          have;
    logic [IW-1:0] rank;               // taken lanes before lane j
    have     = got_e != '0;
    max_e    = max_r;
    argmax_e = argmax_r;
    rank     = '0;
    comp     = '0;
    for (int j = 0; j < L; j++) begin
      if (taking && in_valid[j] && rank < left_e) begin
        comp[rank] = in_logit[j];
        if (!have || $signed(in_logit[j]) > $signed(max_e)) begin
          max_e    = in_logit[j];
          argmax_e = got_e + rank;
        end
        have = 1'b1;
        rank = rank + 1'b1;
      end
    end
    k_take = KW'(rank);
  end

  // ---------------------------------------------------- exponent pass stages
  // stage registers: x (after the read), t, mant, e; each with its lane mask
  // and row
  logic [L-1:0]         v1, v2, v3, v4;  // lane masks (valid elements)
  logic [RW-1:0]        r1, r2, r3, r4;
  logic [L-1:0][LW-1:0] x_q;
  logic [L-1:0][TW-1:0] t_q;
  logic [L-1:0][EW-1:0] mant_q;
  logic [L-1:0][4:0]    sh_q;
  logic [L-1:0]         zero_q;          // a >= 32: e = 0
  logic [L-1:0][EW-1:0] e_q;
  logic [L-1:0]         rd_mask;         // elements of beat_r that exist
  logic                 last_beat;

  always_comb begin
    for (int j = 0; j < L; j++) rd_mask[j] = (pos_r + j[CW-1:0]) < {1'b0, n_r};
    last_beat = pos_r + L_CW >= {1'b0, n_r};
  end

  logic [SW-1:0]        beat_sum;

  // Each stage computes only the lanes of its valid mask (every stage
  // register is read under the mask of the stage that loaded it): clock
  // enables in hardware, and a simulator skips the idle lanes, which is most
  // cycles of a job (the pass runs between the row's collection and its
  // normalization).
  always_ff @(posedge clk) begin
    for (int j = 0; j < L; j++) begin
      logic [MW-1:0]  prod;
      logic [6:0]     idx;
      logic [9:0]     rem;
      logic [EW-1:0]  a;
      logic [EW-1:0]  d;
      /* verilator lint_off UNUSEDSIGNAL */
      logic [EW+9:0]  dr;              // the rounding shift by 10 drops bits 8:0
      /* verilator lint_on UNUSEDSIGNAL */
      logic [EW-1:0]  step;
      logic [16:0]    ip;
      // stage 0: x = m - logit (the difference of two LW-bit signed values
      // is in [0, 2^LW - 2])
      if (state == S_EXP && rd_mask[j]) x_q[j] <= max_r - rd_x[j][LW-1:0];
      // stage 1: t = round(x * log2e / 2^TS)
      if (v1[j]) begin
        prod   = MW'(x_q[j]) * MW'(LOG2E_Q23);
        t_q[j] <= prod[MW-1:TS] + TW'(prod[TS-1]);
      end
      // stage 2: table and interpolation
      if (v2[j]) begin
        idx    = {1'b0, t_q[j][15:10]};
        rem    = t_q[j][9:0];
        a      = exp2_lut(idx);
        d      = a - exp2_lut(idx + 7'd1);
        dr     = (EW + 10)'(d) * (EW + 10)'(rem);
        step   = dr[EW+9:10] + EW'(dr[9]);
        mant_q[j] <= a - step;
        ip     = t_q[j][TW-1:16];
        zero_q[j] <= ip > 17'd31;
        sh_q[j]   <= ip[4:0];
      end
      // stage 3: e = round(mant / 2^a)
      if (v3[j]) begin
        if (zero_q[j]) e_q[j] <= '0;
        else if (sh_q[j] == 5'd0) e_q[j] <= mant_q[j];
        else e_q[j] <= (mant_q[j] >> sh_q[j]) + ((mant_q[j] >> (sh_q[j] - 5'd1)) & 25'd1);
      end
    end
    r1     <= beat_r;
    r2     <= r1;
    r3     <= r2;
    r4     <= r3;
  end

  // stage 4: the beat's contribution to S
  always_comb begin
    beat_sum = '0;
    for (int j = 0; j < L; j++) begin
      if (v4[j]) beat_sum = beat_sum + SW'(e_q[j]);
    end
  end

  // ---------------------------------------------------------------- divider
  logic [SW+1:0] rem4;
  logic [SW+1:0] s1, s2, s3;
  logic [1:0]    digit;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [SW+1:0] rem_next;             // < S: the top two bits are always 0
  /* verilator lint_on UNUSEDSIGNAL */

  always_comb begin
    rem4 = ctr_r == 5'd0 ? (SW + 2)'(1) : {rem_r, 2'b00};
    s1   = (SW + 2)'(sum_r);
    s2   = {1'b0, sum_r, 1'b0};
    s3   = s1 + s2;
    if (rem4 >= s3) begin
      digit    = 2'd3;
      rem_next = rem4 - s3;
    end else if (rem4 >= s2) begin
      digit    = 2'd2;
      rem_next = rem4 - s2;
    end else if (rem4 >= s1) begin
      digit    = 2'd1;
      rem_next = rem4 - s1;
    end else begin
      digit    = 2'd0;
      rem_next = rem4;
    end
  end

  // -------------------------------------------------------- normalize stages
  logic [L-1:0]          nv1, nv2;
  logic [RW-1:0]         nr1, nr2;
  logic [L-1:0][EW-1:0]  ne_q;
  logic [L-1:0][PBW-1:0] p_q;

  // as the exponent stages: only the lanes of the valid masks
  always_ff @(posedge clk) begin
    for (int j = 0; j < L; j++) begin
      /* verilator lint_off UNUSEDSIGNAL */
      logic [EW+QW-1:0] pr;            // the floor drops bits 61-P:0; bit 63 is always 0
      /* verilator lint_on UNUSEDSIGNAL */
      if (state == S_NORM && rd_mask[j]) ne_q[j] <= rd_x[j][EW-1:0];
      // e <= 2^24 and R <= 2^38: e*R <= 2^62, so p = pr[62:62-P] holds it all
      if (nv1[j]) begin
        pr     = (EW + QW)'(ne_q[j]) * (EW + QW)'(quo_r);
        p_q[j] <= pr[62 -: PBW];
      end
    end
    nr1 <= beat_r;
    nr2 <= nr1;
  end

  // ------------------------------------------------------------ write ports
  always_comb begin
    for (int b = 0; b < L; b++) begin
      int r;                          // compacted logit that lands in bank b
      r = b - int'(wbank_e);
      if (r < 0) r = r + L;
      we[b]   = 1'b0;
      wrow[b] = '0;
      wdat[b] = '0;
      if (taking) begin
        we[b]   = r < int'(k_take);
        wrow[b] = b >= int'(wbank_e) ? wrow_e : wrow_e + 1'b1;
        wdat[b][LW-1:0] = comp[r];
      end else if (v4[b]) begin
        we[b]   = 1'b1;
        wrow[b] = r4;
        wdat[b][EW-1:0] = e_q[b];
      end else if (nv2[b]) begin
        we[b]   = 1'b1;
        wrow[b] = nr2;
        wdat[b][PBW-1:0] = p_q[b];
      end
    end
  end

  always_comb begin
    rd_addr = (state == S_EXP || state == S_NORM) ? beat_r : rd_row;
  end

  // ---------------------------------------------------------------- control
  logic [BW:0] wbank_sum;
  always_comb begin
    logic [BW:0] k_ext;                // k_take zero-extended (KW <= BW + 1)
    k_ext = '0;
    k_ext[KW-1:0] = k_take;
    wbank_sum = {1'b0, wbank_e} + k_ext;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state    <= S_IDLE;
      n_r      <= '0;
      got_r    <= '0;
      wrow_r   <= '0;
      wbank_r  <= '0;
      max_r    <= '0;
      argmax_r <= '0;
      thr_r    <= '0;
      beat_r   <= '0;
      pos_r    <= '0;
      ctr_r    <= '0;
      sum_r    <= '0;
      rem_r    <= '0;
      quo_r    <= '0;
      v1       <= '0;
      v2       <= '0;
      v3       <= '0;
      v4       <= '0;
      nv1      <= '0;
      nv2      <= '0;
    end else begin
      // pipeline valid masks (stage 0 is the read in S_EXP / S_NORM)
      v1  <= state == S_EXP ? rd_mask : '0;
      v2  <= v1;
      v3  <= v2;
      v4  <= v3;
      nv1 <= state == S_NORM ? rd_mask : '0;
      nv2 <= nv1;
      if (v4 != '0) sum_r <= sum_r + beat_sum;
      if (taking) begin
        got_r    <= got_e + IW'(k_take);
        max_r    <= max_e;
        argmax_r <= argmax_e;
        if (wbank_sum >= L_BW) begin
          wbank_r <= BW'(wbank_sum - L_BW);
          wrow_r  <= wrow_e + 1'b1;
        end else begin
          wbank_r <= BW'(wbank_sum);
          wrow_r  <= wrow_e;
        end
      end
      case (state)
        S_IDLE: begin
          if (start_ok) begin
            n_r    <= n;
            thr_r  <= thr;
            sum_r  <= '0;
            beat_r <= '0;
            pos_r  <= '0;
            state  <= IW'(k_take) == n ? S_EXP : S_COLLECT;
          end
        end
        S_COLLECT: begin
          if (IW'(k_take) == left_e) state <= S_EXP;
        end
        S_EXP, S_NORM: begin
          beat_r <= beat_r + 1'b1;
          pos_r  <= pos_r + L_CW;
          if (last_beat) begin
            beat_r <= '0;
            pos_r  <= '0;
            ctr_r  <= '0;
            state  <= state == S_EXP ? S_EXP_DRAIN : S_NORM_DRAIN;
          end
        end
        S_EXP_DRAIN: begin
          ctr_r <= ctr_r + 1'b1;
          if (ctr_r == 5'd3) begin
            ctr_r <= '0;
            state <= S_DIV;
          end
        end
        S_DIV: begin
          ctr_r <= ctr_r + 1'b1;
          rem_r <= rem_next[SW-1:0];
          quo_r <= {quo_r[QW-3:0], digit};
          if (ctr_r == 5'd31) state <= S_NORM;
        end
        S_NORM_DRAIN: begin
          ctr_r <= ctr_r + 1'b1;
          if (ctr_r == 5'd1) state <= S_DECIDE;
        end
        S_DECIDE: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  // ---------------------------------------------------------------- outputs
  logic [P+17:0] mp_scaled;
  logic [P+17:0] thr_scaled;

  always_comb begin
    max_prob   = quo_r[38 -: PBW];
    mp_scaled  = (P + 18)'(max_prob) << 16;         // max_prob * 2^16
    thr_scaled = (P + 18)'(thr_r) << P;            // thr * 2^P
  end

  assign in_ready  = taking;
  assign busy      = state != S_IDLE || start_ok;
  assign done      = state == S_DECIDE;
  assign argmax    = argmax_r;
  assign exp_sum   = sum_r;
  assign refetch   = mp_scaled < thr_scaled;
  assign out_valid = nv2;
  assign out_row   = nr2;
  assign out_prob  = p_q;
  always_comb begin
    for (int j = 0; j < L; j++) rd_prob[j] = rd_x[j][PBW-1:0];
  end
endmodule
