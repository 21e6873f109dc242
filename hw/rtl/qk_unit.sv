// hw/rtl/qk_unit.sv — the Q·K unit: M multipliers, an adder tree, the score
// scale multiply, round-half-up shift and logit clamp, in the golden model's
// exact integer arithmetic (hls/include/spatten/dot.h: dot_qk, score_to_logit).
// Cycle model: sim/cmodel/include/spatten/cmodel/units.h, MacUnit (qk_unit).
//
// Values
//   score = sum_{d<D} q[d] * k[d]                          exact, ACC_BITS wide
//   logit = clamp(floor((score * mult + 2^(shift-1)) / 2^shift), +-LOGIT_MAX)
//           (shift 0: logit = clamp(score * mult)); LOGIT_MAX = 2^(15+LOGIT_FRAC)-1
//   q words are signed Q_BITS, key words signed K_BITS (the reassembled key
//   word msb*2^l + lsb, or the MSB-only word msb*2^l + 2^(l-1): the key
//   fetcher forms it), mult is unsigned 16 bits, shift 0..63 (the golden
//   model's range is 0..62; 63 is computed the same way, without overflow).
//   ACC_BITS = Q_BITS + K_BITS + clog2(D) is golden Numerics::qk_acc_bits for
//   max_head_dim = D: no partial or final sum can wrap.
//
// Timing contract (mirrors MacUnit; C = ceil(D/M) when M < D, else 1)
//   * Rows: ROWS = (M >= D ? M/D : 1) input lanes. A row on lane i is taken in
//     cycle t when in_valid[i] && in_ready in t (sampled at the rising edge
//     that ends t). in_ready is a register: it never depends on in_valid.
//   * M >= D: in_ready is high every cycle after reset, so up to M/D rows are
//     taken per cycle (each lane has D multipliers; M - ROWS*D stay unused).
//   * M < D: a row is taken only when the unit is free; after a row taken in
//     t, in_ready is low in t+1 .. t+C-1 and high again in t+C (the M
//     multipliers are reused over C cycles: chunk j of the row, words
//     j*M .. j*M+M-1, is multiplied in cycle t+j; chunk 0 straight from the
//     in_key bus, the later chunks from a row register).
//   * The result of a row taken in cycle t is valid in cycle t + LATENCY
//     exactly (out_valid on the same lane, out_pos = the row's in_pos), as
//     MacUnit's "a row taken in cycle t has its result valid at t + latency".
//     Results never stall: the consumer takes every result in the cycle it is
//     valid (the cycle model's result FIFO holds a whole row of scores).
//   * LATENCY >= C + 3 (products of the last chunk registered in t+C-1, sum in
//     t+C, scale multiply in t+C+1, round/shift/clamp in t+C+2, visible in
//     t+C+3); a larger LATENCY adds output register stages. An elaboration
//     error is raised otherwise. Note: MacUnit counts `latency` from the take,
//     so a cycle-model preset with M < D needs latency >= ceil(D/M) + 3 for
//     the RTL to match it.
//   * q_load in cycle c loads q_data, mult and shift at the end of c; rows
//     taken from c+1 on use them. Load only while `idle` (no row in flight:
//     every taken row's result already left); a load while busy makes the
//     in-flight results mix the old and the new query or scale.
//   * rst_n (synchronous, active low) empties the pipeline; in_ready is low
//     while rst_n is low and rises in the cycle after rst_n is seen high.
//
// Layout of the packed ports: word d of a row is bits [d*K_BITS +: K_BITS]
// (q_data likewise with Q_BITS), lane i of in_key/in_pos/out_* is index [i].
module qk_unit #(
  parameter int M = 64,            // multipliers
  parameter int D = 64,            // head dimension of this instance
  parameter int Q_BITS = 12,       // signed query word
  parameter int K_BITS = 12,       // signed key word (MSB and LSB planes reassembled)
  parameter int LOGIT_FRAC = 10,   // fractional bits of a logit
  parameter int LATENCY = 8,       // cycles from take to result (>= ceil(D/M) + 3, 4 when M >= D)
  parameter int POS_BITS = 20,     // width of the position tag carried with a row
  parameter int ROWS = (M >= D) ? M / D : 1,  // input/output lanes; must keep this value
  parameter int LOGIT_BITS = 16 + LOGIT_FRAC  // signed logit word; must keep this value
) (
  input  logic                              clk,
  input  logic                              rst_n,
  // query and score scale
  input  logic                              q_load,
  input  logic [D-1:0][Q_BITS-1:0]          q_data,
  input  logic [15:0]                       mult,
  input  logic [5:0]                        shift,
  // key rows
  input  logic [ROWS-1:0]                   in_valid,
  output logic                              in_ready,
  input  logic [ROWS-1:0][D-1:0][K_BITS-1:0] in_key,
  input  logic [ROWS-1:0][POS_BITS-1:0]     in_pos,
  // logits
  output logic [ROWS-1:0]                   out_valid,
  output logic [ROWS-1:0][LOGIT_BITS-1:0]   out_logit,
  output logic [ROWS-1:0][POS_BITS-1:0]     out_pos,
  output logic                              idle
);
  localparam int C = (M >= D) ? 1 : (D + M - 1) / M;  // cycles per row
  localparam int P = (M >= D) ? D : M;                // multipliers per lane
  localparam int TP = 1 << $clog2(P);                 // adder-tree leaves (power of two)
  localparam int MIN_LATENCY = C + 3;
  localparam int PAD = LATENCY - MIN_LATENCY;         // extra output stages
  localparam int PROD_BITS = Q_BITS + K_BITS;
  localparam int ACC_BITS = Q_BITS + K_BITS + $clog2(D);
  localparam int SCALED_BITS = ACC_BITS + 17;
  localparam int ROUND_BITS = ((SCALED_BITS > 64) ? SCALED_BITS : 64) + 2;
  localparam int CW = (C > 1) ? $clog2(C) : 1;
  localparam logic signed [ROUND_BITS-1:0] LOGIT_MAX = (ROUND_BITS'(1) <<< (LOGIT_BITS - 1)) - ROUND_BITS'(1);
  localparam logic signed [ROUND_BITS-1:0] LOGIT_MIN = -LOGIT_MAX;

  // ---- elaboration checks ---------------------------------------------------
  if (M < 1 || D < 1 || Q_BITS < 1 || K_BITS < 1 || POS_BITS < 1) begin : g_bad_size
    $fatal(1, "qk_unit: M, D, Q_BITS, K_BITS and POS_BITS must be positive");
  end
  if (ROWS != ((M >= D) ? M / D : 1)) begin : g_bad_rows
    $fatal(1, "qk_unit: ROWS must be M/D when M >= D, else 1");
  end
  if (LOGIT_BITS != 16 + LOGIT_FRAC) begin : g_bad_logit_bits
    $fatal(1, "qk_unit: LOGIT_BITS must be 16 + LOGIT_FRAC");
  end
  if (LATENCY < MIN_LATENCY) begin : g_bad_latency
    $fatal(1, "qk_unit: LATENCY must be at least ceil(D/M) + 3");
  end

  // ---- query and scale registers -------------------------------------------
  logic [D-1:0][Q_BITS-1:0] q_r;
  logic [15:0] mult_r;
  logic [5:0] shift_r;
  always_ff @(posedge clk) begin
    if (q_load) begin
      q_r <= q_data;
      mult_r <= mult;
      shift_r <= shift;
    end
  end

  // ---- take and chunk sequencing -------------------------------------------
  logic [ROWS-1:0] take;
  logic ready_r;
  logic active;                      // C > 1: chunks 1 .. C-1 of a row are being multiplied
  assign take = in_valid & {ROWS{ready_r}};
  assign in_ready = ready_r;

  // multiplier operands, per lane and multiplier
  logic [ROWS-1:0][P-1:0][Q_BITS-1:0] q_op;
  logic [ROWS-1:0][P-1:0][K_BITS-1:0] k_op;
  logic [ROWS-1:0] op_valid;         // a chunk is multiplied this cycle
  logic op_first, op_last;           // it is the first / last chunk of its row
  logic [ROWS-1:0][POS_BITS-1:0] op_pos;

  if (C == 1) begin : g_one_chunk
    always_ff @(posedge clk) begin
      if (!rst_n) ready_r <= 1'b0;
      else ready_r <= 1'b1;
    end
    assign active = 1'b0;
    always_comb begin
      for (int r = 0; r < ROWS; r++) q_op[r] = q_r;
    end
    assign k_op = in_key;
    assign op_valid = take;
    assign op_first = 1'b1;
    assign op_last = 1'b1;
    assign op_pos = in_pos;
  end else begin : g_chunks
    logic [CW-1:0] chunk;              // the chunk multiplied this cycle while active
    // flat vectors: Yosys rejects multi-dimensional packed arrays declared in generate blocks
    logic [D*K_BITS-1:0] row_r;
    logic [POS_BITS-1:0] pos_r;
    logic [C*M*K_BITS-1:0] k_pad;  // the row, zero-padded to C chunks
    logic [C*M*Q_BITS-1:0] q_pad;

    always_ff @(posedge clk) begin
      if (!rst_n) begin
        ready_r <= 1'b0;
        active <= 1'b0;
        chunk <= '0;
      end else if (take[0]) begin
        ready_r <= 1'b0;
        active <= 1'b1;
        chunk <= CW'(1);
      end else if (active) begin
        if (chunk == CW'(C - 1)) begin
          active <= 1'b0;
          ready_r <= 1'b1;
        end
        chunk <= chunk + CW'(1);
      end else begin
        ready_r <= 1'b1;
      end
    end
    always_ff @(posedge clk) begin
      if (take[0]) begin
        row_r <= in_key[0];
        pos_r <= in_pos[0];
      end
    end

    always_comb begin
      k_pad = '0;
      q_pad = '0;
      for (int d = 0; d < D; d++) begin
        k_pad[d*K_BITS +: K_BITS] = take[0] ? in_key[0][d] : row_r[d*K_BITS +: K_BITS];
        q_pad[d*Q_BITS +: Q_BITS] = q_r[d];
      end
    end
    // chunk 0 while taking, else the current chunk of the held row
    always_comb begin
      q_op = '0;
      k_op = '0;
      for (int c = 0; c < C; c++) begin
        if ((take[0] && c == 0) || (!take[0] && chunk == CW'(c))) begin
          for (int p = 0; p < M; p++) begin
            q_op[0][p] = q_pad[(c * M + p) * Q_BITS +: Q_BITS];
            k_op[0][p] = k_pad[(c * M + p) * K_BITS +: K_BITS];
          end
        end
      end
    end
    assign op_valid = take | active;
    assign op_first = take[0];
    assign op_last = active && chunk == CW'(C - 1);
    assign op_pos = take[0] ? in_pos : pos_r;
  end

  // ---- stage 1: products ---------------------------------------------------
  logic [ROWS-1:0][P-1:0][PROD_BITS-1:0] prod_r;
  logic [ROWS-1:0] prod_v;
  logic prod_first, prod_last;
  logic [ROWS-1:0][POS_BITS-1:0] prod_pos;
  always_ff @(posedge clk) begin
    for (int r = 0; r < ROWS; r++) begin
      for (int p = 0; p < P; p++) begin
        prod_r[r][p] <= $unsigned($signed({{K_BITS{q_op[r][p][Q_BITS-1]}}, q_op[r][p]})
                                  * $signed({{Q_BITS{k_op[r][p][K_BITS-1]}}, k_op[r][p]}));
      end
    end
    prod_first <= op_first;
    prod_last <= op_last;
    prod_pos <= op_pos;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) prod_v <= '0;
    else prod_v <= op_valid;
  end

  // ---- stage 2: adder tree and chunk accumulation --------------------------
  logic [ROWS-1:0][ACC_BITS-1:0] acc_r;
  logic [ROWS-1:0] acc_v;
  logic [ROWS-1:0][POS_BITS-1:0] acc_pos;
  // per lane: node 0 is the root, leaves TP-1 .. 2*TP-2; sums never wrap (see ACC_BITS)
  logic [ROWS-1:0][2*TP-2:0][ACC_BITS-1:0] node;
  always_comb begin
    for (int r = 0; r < ROWS; r++) begin
      for (int i = 0; i < P; i++) begin
        node[r][TP - 1 + i] = {{(ACC_BITS - PROD_BITS){prod_r[r][i][PROD_BITS-1]}}, prod_r[r][i]};
      end
      for (int i = P; i < TP; i++) begin
        node[r][TP - 1 + i] = '0;
      end
      for (int i = TP - 2; i >= 0; i--) begin
        node[r][i] = node[r][2 * i + 1] + node[r][2 * i + 2];
      end
    end
  end
  always_ff @(posedge clk) begin
    for (int r = 0; r < ROWS; r++) begin
      if (prod_v[r]) acc_r[r] <= prod_first ? node[r][0] : acc_r[r] + node[r][0];
    end
  end
  always_ff @(posedge clk) begin
    if (!rst_n) acc_v <= '0;
    else acc_v <= prod_v & {ROWS{prod_last}};
    acc_pos <= prod_pos;
  end

  // ---- stage 3: scale multiply ---------------------------------------------
  logic [ROWS-1:0][SCALED_BITS-1:0] scaled_r;
  logic [ROWS-1:0] scaled_v;
  logic [ROWS-1:0][POS_BITS-1:0] scaled_pos;
  always_ff @(posedge clk) begin
    for (int r = 0; r < ROWS; r++) begin
      scaled_r[r] <= $unsigned($signed({{(SCALED_BITS - ACC_BITS){acc_r[r][ACC_BITS-1]}}, acc_r[r]})
                               * $signed({{(SCALED_BITS - 16){1'b0}}, mult_r}));
    end
    scaled_pos <= acc_pos;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) scaled_v <= '0;
    else scaled_v <= acc_v;
  end

  // ---- stage 4: round half up, shift, clamp --------------------------------
  logic [ROWS-1:0][LOGIT_BITS-1:0] logit_c;
  always_comb begin
    logic [ROUND_BITS-1:0] half;
    logic signed [ROUND_BITS-1:0] biased, shifted;
    half = (ROUND_BITS'(1'b1) << shift_r) >> 1;  // 2^(shift-1), 0 for shift 0 (< 2^63: positive)
    for (int r = 0; r < ROWS; r++) begin
      biased = $signed({{(ROUND_BITS - SCALED_BITS){scaled_r[r][SCALED_BITS-1]}}, scaled_r[r]}) + $signed(half);
      shifted = biased >>> shift_r;
      if (shifted > LOGIT_MAX) logit_c[r] = LOGIT_MAX[LOGIT_BITS-1:0];
      else if (shifted < LOGIT_MIN) logit_c[r] = LOGIT_MIN[LOGIT_BITS-1:0];
      else logit_c[r] = shifted[LOGIT_BITS-1:0];
    end
  end

  // ---- stages 5 ..: output pipeline (stage index 0 is stage 4's register) ---
  logic [PAD:0][ROWS-1:0] st_v;
  logic [PAD:0][ROWS-1:0][LOGIT_BITS-1:0] st_logit;
  logic [PAD:0][ROWS-1:0][POS_BITS-1:0] st_pos;
  always_ff @(posedge clk) begin
    st_logit[0] <= logit_c;
    st_pos[0] <= scaled_pos;
    for (int s = 1; s <= PAD; s++) begin
      st_logit[s] <= st_logit[s - 1];
      st_pos[s] <= st_pos[s - 1];
    end
  end
  always_ff @(posedge clk) begin
    if (!rst_n) st_v <= '0;
    else begin
      st_v[0] <= scaled_v;
      for (int s = 1; s <= PAD; s++) st_v[s] <= st_v[s - 1];
    end
  end
  assign out_valid = st_v[PAD];
  assign out_logit = st_logit[PAD];
  assign out_pos = st_pos[PAD];

  assign idle = !active && !(|prod_v) && !(|acc_v) && !(|scaled_v) && !(|st_v);
endmodule
