// hw/rtl/pv_unit.sv — the prob·V unit: M multipliers, D accumulators and the
// output rounding, in the golden model's exact integer arithmetic
// (hls/include/spatten/attention.h: pv_accumulate, pv_finish).
// Cycle model: sim/cmodel/include/spatten/cmodel/units.h, MacUnit (pv_unit)
// followed by CollectUnit (output_stage, lanes max(1, M), tail 1).
//
// Values
//   acc[d] = sum_{rows i of the job} prob_i * v_i[d]      exact, ACC_BITS wide
//   out[d] = floor((acc[d] + 2^(SHIFT-1)) / 2^SHIFT), SHIFT = PROB_FRAC - OUT_FRAC
//            (SHIFT 0: out[d] = acc[d]); golden round_shift_signed
//   for d < hd, the job's head dimension (head_dim, 1..D); V words d >= hd are
//   ignored (the fetcher may leave old data there) and out[d] = 0 for d >= hd.
//   prob is unsigned Q0.PROB_FRAC (PROB_FRAC+1 bits, at most 2^PROB_FRAC);
//   V words are signed V_BITS (the reassembled word msb*2^l + lsb, or the
//   MSB-only word msb*2^l + 2^(l-1): the value fetcher forms it).
//   ACC_BITS = PROB_FRAC + V_BITS is golden Numerics::pv_acc_bits: the
//   probabilities of one job sum to at most 2^PROB_FRAC, so |acc| <=
//   2^(ACC_BITS-1) and no final sum wraps (partial sums are kept modulo
//   2^ACC_BITS, which gives the exact final sum). OUT_BITS = V_BITS + OUT_FRAC
//   is golden Numerics::out_bits.
//
// Timing contract (mirrors MacUnit with max_head_dim = D + CollectUnit;
// C = ceil(D/M) when M < D, else 1; C_rt = ceil(hd/M) when M < D, else 1:
// the cycles per row)
//   * D is the largest head dimension (the datapath is laid out for it); the
//     job's hd only shortens a row's chunks (C_rt <= C), never the lanes.
//   * A job: `start` in cycle s (with `count` >= 1, its number of rows, and
//     `head_dim`, its hd) clears the accumulators at the end of s; in_ready is
//     high from s+1 until the job's last row is taken. Assert start only
//     while `idle` (after reset or from the previous job's done cycle on).
//     count 0 is not supported (the controller does not start a job without
//     rows).
//   * Rows: ROWS = (M >= D ? M/D : 1) input lanes. A row on lane i is taken in
//     cycle t when in_valid[i] && in_ready in t (sampled at the rising edge
//     that ends t). in_ready is a register: it never depends on in_valid in
//     the same cycle. The driver presents at most the job's remaining rows in
//     a cycle (no more than `count` rows in all).
//   * M >= D: in_ready stays high while rows are left, so up to M/D rows are
//     taken per cycle (each lane has D multipliers; M - ROWS*D stay unused).
//   * M < D: after a row taken in t, in_ready is low in t+1 .. t+C_rt-1 and
//     high again in t+C_rt if rows are left (chunk j of the row, words j*M ..
//     j*M+M-1, is multiplied in cycle t+j; chunk 0 straight from the in_v
//     bus, the later chunks from a row register). A row of hd <= M words
//     takes one cycle.
//   * A row taken in t has its contribution in the accumulators (MacUnit's
//     result "valid at t + LATENCY"): products of the last chunk registered
//     in t+C_rt-1, summed over lanes in t+C_rt, accumulated in t+C_rt+1,
//     rounded into the output register in t+C_rt+2, visible in t+C_rt+3 <=
//     t+LATENCY.
//   * done pulses exactly one cycle, in cycle t_last + LATENCY + 1 where t_last
//     is the cycle the job's last row was taken, whatever hd: the output stage
//     collects the last result in t_last + LATENCY and is busy its one tail
//     cycle. `out` holds the job's final words from the done cycle until the
//     cycle after the next start; idle is high from the done cycle on.
//   * LATENCY >= C + 3 (the worst case hd = D; the Q·K unit's, whose latency
//     parameter the cycle model shares: accelerator.cpp qk_adder_tree_latency).
//     An elaboration error is raised otherwise.
//   * rst_n (synchronous, active low) aborts a job: no done follows; idle
//     is high and in_ready low from the cycle after rst_n is seen low.
//
// The multipliers, their chunk sequencing and the word mask are mac_array.sv.
// Layout of the packed ports: word d of a row is bits [d*V_BITS +: V_BITS],
// lane i of in_prob/in_v is index [i]; out word d is bits [d*OUT_BITS +: OUT_BITS].
module pv_unit #(
  parameter int M = 64,            // multipliers
  parameter int D = 64,            // the largest head dimension (MAX_HEAD_DIM)
  parameter int PROB_FRAC = 16,    // fractional bits of a probability (Q0.PROB_FRAC)
  parameter int V_BITS = 12,       // signed value word (MSB and LSB planes reassembled)
  parameter int OUT_FRAC = 4,      // fractional bits of an output word
  parameter int LATENCY = 8,       // cycles from take to result (>= ceil(D/M) + 3)
  parameter int COUNT_BITS = 13,   // width of count (max_context 4096 rows)
  parameter int ROWS = (M >= D) ? M / D : 1,  // input lanes; must keep this value
  parameter int OUT_BITS = V_BITS + OUT_FRAC, // signed output word; must keep this value
  parameter int HD_BITS = $clog2(D + 1)       // head_dim; must keep this value
) (
  input  logic                                clk,
  input  logic                                rst_n,
  // job
  input  logic                                start,
  input  logic [COUNT_BITS-1:0]               count,
  input  logic [HD_BITS-1:0]                  head_dim,   // the job's head dimension, 1 .. D
  // value rows with their probabilities
  input  logic [ROWS-1:0]                     in_valid,
  output logic                                in_ready,
  input  logic [ROWS-1:0][PROB_FRAC:0]        in_prob,
  input  logic [ROWS-1:0][D-1:0][V_BITS-1:0]  in_v,
  // output words
  output logic                                done,
  output logic [D-1:0][OUT_BITS-1:0]          out,
  output logic                                idle
);
  localparam int C = (M >= D) ? 1 : (D + M - 1) / M;  // cycles per row
  localparam int P = (M >= D) ? D : M;                // multipliers per lane
  localparam int ACC_BITS = PROB_FRAC + V_BITS;
  localparam int SHIFT = PROB_FRAC - OUT_FRAC;
  localparam int MIN_LATENCY = C + 3;
  localparam int CW = (C > 1) ? $clog2(C) : 1;
  localparam int PB = PROB_FRAC + 1;                  // probability word

  // ---- elaboration checks ---------------------------------------------------
  if (M < 1 || D < 1 || PROB_FRAC < 1 || V_BITS < 1 || COUNT_BITS < 1) begin : g_bad_size
    $fatal(1, "pv_unit: M, D, PROB_FRAC, V_BITS and COUNT_BITS must be positive");
  end
  if (OUT_FRAC < 0 || OUT_FRAC > PROB_FRAC) begin : g_bad_out_frac
    $fatal(1, "pv_unit: OUT_FRAC must be 0 .. PROB_FRAC");
  end
  if (ROWS != ((M >= D) ? M / D : 1)) begin : g_bad_rows
    $fatal(1, "pv_unit: ROWS must be M/D when M >= D, else 1");
  end
  if (OUT_BITS != V_BITS + OUT_FRAC) begin : g_bad_out_bits
    $fatal(1, "pv_unit: OUT_BITS must be V_BITS + OUT_FRAC");
  end
  if (HD_BITS != $clog2(D + 1)) begin : g_bad_hd_bits
    $fatal(1, "pv_unit: HD_BITS must be clog2(D + 1)");
  end
  if (LATENCY < MIN_LATENCY) begin : g_bad_latency
    $fatal(1, "pv_unit: LATENCY must be at least ceil(D/M) + 3");
  end

  // ---- job and take sequencing ---------------------------------------------
  logic [ROWS-1:0] take;
  logic ready_r;
  logic busy_r;                      // a job started and its done has not come
  logic [COUNT_BITS-1:0] left_r;     // rows of the job not yet taken
  logic [COUNT_BITS-1:0] left_next;
  logic last_take;                   // the job's last row is taken this cycle
  logic [LATENCY:0] fin;             // fin[k]: the last row was taken k+1 cycles ago
  assign take = in_valid & {ROWS{ready_r}};
  assign in_ready = ready_r;

  always_comb begin
    logic [COUNT_BITS-1:0] n;
    n = '0;
    for (int r = 0; r < ROWS; r++) n = n + COUNT_BITS'(take[r]);
    left_next = left_r - n;
    last_take = (|take) && left_next == '0;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) left_r <= '0;
    else if (start) left_r <= count;
    else left_r <= left_next;
  end
  logic [HD_BITS-1:0] hd_r;          // the job's head dimension
  always_ff @(posedge clk) begin
    if (start) hd_r <= head_dim;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) fin <= '0;
    else fin <= {fin[LATENCY-1:0], last_take};
  end
  always_ff @(posedge clk) begin
    if (!rst_n) busy_r <= 1'b0;
    else if (start) busy_r <= 1'b1;
    else if (fin[LATENCY-1]) busy_r <= 1'b0;  // low from the done cycle on
  end
  assign done = fin[LATENCY];
  assign idle = !busy_r;

  // ---- the multiplier array: a row's probability times its words -------------
  logic busy_next;                   // the array multiplies a row's later chunks next cycle
  always_ff @(posedge clk) begin
    if (!rst_n) ready_r <= 1'b0;
    else if (start) ready_r <= count != '0;
    else ready_r <= !busy_next && left_next != '0;
  end

  logic [ROWS-1:0][P-1:0][ACC_BITS-1:0] prod_r;
  logic [ROWS-1:0] prod_v;
  logic [CW-1:0] prod_chunk;
  /* verilator lint_off UNUSEDSIGNAL */
  logic prod_last;                   // the accumulators go by prod_chunk: the row's end is not needed
  /* verilator lint_on UNUSEDSIGNAL */
  logic [ROWS-1:0][0:0][PB-1:0] prob_words;  // one A word per row
  always_comb begin
    for (int r = 0; r < ROWS; r++) prob_words[r][0] = in_prob[r];
  end
  // |prob * v| <= 2^(ACC_BITS-1) for prob <= 2^PROB_FRAC: ACC_BITS hold the product
  mac_array #(
    .M(M), .D(D), .A_WORDS(1), .A_BITS(PB), .A_SIGNED(1'b0), .A_HOLD(1'b1),
    .B_BITS(V_BITS), .PROD_BITS(ACC_BITS)
  ) u_mac (
    .clk(clk), .rst_n(rst_n), .head_dim(hd_r), .take(take), .a_in(prob_words), .b_in(in_v),
    .busy_next(busy_next), .prod(prod_r), .prod_v(prod_v), .prod_chunk(prod_chunk), .prod_last(prod_last)
  );

  // ---- stage 2: sum over the lanes -----------------------------------------
  // unpacked word arrays: one machine word per sum in simulation, not a wide vector
  logic [ACC_BITS-1:0] lsum_r [P];
  logic lsum_v;
  logic [CW-1:0] lsum_chunk;
  // Stages 2 to 4 load only when their input is valid (the next stage reads
  // them under their valid): clock enables in the netlist, and a simulator
  // skips them in idle cycles. The lane sums are formed inside the load (no
  // combinational array a simulator would clear every cycle).
  always_ff @(posedge clk) begin
    if (|prod_v) begin
      for (int p = 0; p < P; p++) begin
        logic [ACC_BITS-1:0] sum;
        sum = '0;
        for (int r = 0; r < ROWS; r++) begin
          if (prod_v[r]) sum = sum + prod_r[r][p];
        end
        lsum_r[p] <= sum;
      end
    end
    lsum_chunk <= prod_chunk;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) lsum_v <= 1'b0;
    else lsum_v <= |prod_v;
  end

  // ---- stage 3: accumulators (word d on multiplier d % P of chunk d / P) ---
  // One register per word, each in its own process: a simulator then updates
  // the words it loads instead of copying a D-word vector every cycle.
  logic [ACC_BITS-1:0] acc_r [D];
  logic acc_changed;                 // acc_r was written at the last edge
  for (genvar d = 0; d < D; d++) begin : g_acc
    always_ff @(posedge clk) begin
      if (start) acc_r[d] <= '0;
      else if (lsum_v && lsum_chunk == CW'($unsigned(d / P))) acc_r[d] <= acc_r[d] + lsum_r[d % P];
    end
  end
  always_ff @(posedge clk) acc_changed <= start || lsum_v;

  // ---- stage 4: round half up into the output register ---------------------
  logic [D-1:0][OUT_BITS-1:0] out_r;
  // acc + 2^(SHIFT-1) modulo 2^ACC_BITS: the bits kept are exact, the word fits OUT_BITS
  localparam logic [ACC_BITS-1:0] HALF = (ACC_BITS'(1) << SHIFT) >> 1;   // 2^(SHIFT-1); 0 when SHIFT is 0
  always_ff @(posedge clk) begin
    if (acc_changed) for (int d = 0; d < D; d++) out_r[d] <= OUT_BITS'((acc_r[d] + HALF) >> SHIFT);
  end
  assign out = out_r;
endmodule
