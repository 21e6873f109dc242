// hw/rtl/qk_unit.sv — the Q·K unit: M multipliers, an adder tree, the score
// scale multiply, round-half-up shift and logit clamp, in the golden model's
// exact integer arithmetic (hls/include/spatten/dot.h: dot_qk, score_to_logit).
// Cycle model: sim/cmodel/include/spatten/cmodel/units.h, MacUnit (qk_unit).
//
// Values
//   score = sum_{d<hd} q[d] * k[d]                         exact, ACC_BITS wide
//   logit = clamp(floor((score * mult + 2^(shift-1)) / 2^shift), +-LOGIT_MAX)
//           (shift 0: logit = clamp(score * mult)); LOGIT_MAX = 2^(15+LOGIT_FRAC)-1
//   hd = head_dim (1..D) is the job's head dimension: key and q words
//   d >= hd are ignored (taken as 0; the fetcher may leave old data there).
//   q words are signed Q_BITS, key words signed K_BITS (the reassembled key
//   word msb*2^l + lsb, or the MSB-only word msb*2^l + 2^(l-1): the key
//   fetcher forms it), mult is unsigned 16 bits, shift 0..63 (the golden
//   model's range is 0..62; 63 is computed the same way, without overflow).
//   ACC_BITS = Q_BITS + K_BITS + clog2(D) is golden Numerics::qk_acc_bits for
//   max_head_dim = D: no partial or final sum can wrap.
//
// Timing contract (mirrors MacUnit with max_head_dim = D; C = ceil(D/M) when
// M < D, else 1; C_rt = ceil(hd/M) when M < D, else 1: the cycles per row)
//   * D is the largest head dimension (the datapath is laid out for it); the
//     job's hd only shortens a row's chunks (C_rt <= C), never the lanes.
//   * Rows: ROWS = (M >= D ? M/D : 1) input lanes. A row on lane i is taken in
//     cycle t when in_valid[i] && in_ready in t (sampled at the rising edge
//     that ends t). in_ready is a register: it never depends on in_valid.
//   * M >= D: in_ready is high every cycle after reset, so up to M/D rows are
//     taken per cycle (each lane has D multipliers; M - ROWS*D stay unused).
//   * M < D: a row is taken only when the unit is free; after a row taken in
//     t, in_ready is low in t+1 .. t+C_rt-1 and high again in t+C_rt (the M
//     multipliers are reused over C_rt cycles: chunk j of the row, words
//     j*M .. j*M+M-1, is multiplied in cycle t+j; chunk 0 straight from the
//     in_key bus, the later chunks from a row register). A row of hd <= M
//     words takes one cycle.
//   * The result of a row taken in cycle t is valid in cycle t + LATENCY
//     exactly, whatever hd (out_valid on the same lane, out_pos = the row's
//     in_pos), as MacUnit's "a row taken in cycle t has its result valid at
//     t + latency". Results never stall: the consumer takes every result in
//     the cycle it is valid (the cycle model's result FIFO holds a whole row
//     of scores).
//   * LATENCY >= C + 3 (the worst case hd = D: products of the last chunk
//     registered in t+C-1, sum in t+C, scale multiply in t+C+1,
//     round/shift/clamp in t+C+2, visible in t+C+3); a larger LATENCY, or a
//     row of C_rt < C chunks, passes more output register stages. An
//     elaboration error is raised otherwise. Note: MacUnit counts `latency`
//     from the take, so a cycle-model preset with M < D needs latency >=
//     ceil(max_head_dim/M) + 3 for the RTL to match it.
//   * q_load in cycle c loads q_data, mult, shift and head_dim at the end of
//     c; rows taken from c+1 on use them. Load only while `idle` (no row in
//     flight: every taken row's result already left); a load while busy makes
//     the in-flight results mix the old and the new query, scale or hd.
//   * rst_n (synchronous, active low) empties the pipeline; in_ready is low
//     while rst_n is low and rises in the cycle after rst_n is seen high.
//
// The multipliers, their chunk sequencing and the word mask are mac_array.sv.
// Layout of the packed ports: word d of a row is bits [d*K_BITS +: K_BITS]
// (q_data likewise with Q_BITS), lane i of in_key/in_pos/out_* is index [i].
module qk_unit #(
  parameter int M = 64,            // multipliers
  parameter int D = 64,            // the largest head dimension (MAX_HEAD_DIM)
  parameter int Q_BITS = 12,       // signed query word
  parameter int K_BITS = 12,       // signed key word (MSB and LSB planes reassembled)
  parameter int LOGIT_FRAC = 10,   // fractional bits of a logit
  parameter int LATENCY = 8,       // cycles from take to result (>= ceil(D/M) + 3, 4 when M >= D)
  parameter int POS_BITS = 20,     // width of the position tag carried with a row
  parameter int ROWS = (M >= D) ? M / D : 1,  // input/output lanes; must keep this value
  parameter int LOGIT_BITS = 16 + LOGIT_FRAC, // signed logit word; must keep this value
  parameter int HD_BITS = $clog2(D + 1)       // head_dim; must keep this value
) (
  input  logic                              clk,
  input  logic                              rst_n,
  // query and score scale
  input  logic                              q_load,
  input  logic [D-1:0][Q_BITS-1:0]          q_data,
  input  logic [15:0]                       mult,
  input  logic [5:0]                        shift,
  input  logic [HD_BITS-1:0]                head_dim,   // the job's head dimension, 1 .. D
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
  localparam int NST = PAD + C;                       // output stages
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
  if (HD_BITS != $clog2(D + 1)) begin : g_bad_hd_bits
    $fatal(1, "qk_unit: HD_BITS must be clog2(D + 1)");
  end
  if (LATENCY < MIN_LATENCY) begin : g_bad_latency
    $fatal(1, "qk_unit: LATENCY must be at least ceil(D/M) + 3");
  end

  // ---- query and scale registers -------------------------------------------
  logic [D-1:0][Q_BITS-1:0] q_r;
  logic [15:0] mult_r;
  logic [5:0] shift_r;
  logic [HD_BITS-1:0] hd_r;
  always_ff @(posedge clk) begin
    if (q_load) begin
      q_r <= q_data;
      mult_r <= mult;
      shift_r <= shift;
      hd_r <= head_dim;
    end
  end

  // ---- take and the multiplier array ----------------------------------------
  logic [ROWS-1:0] take;
  logic ready_r;
  logic busy_next;                   // the array multiplies a row's later chunks next cycle
  assign take = in_valid & {ROWS{ready_r}};
  assign in_ready = ready_r;
  always_ff @(posedge clk) begin
    if (!rst_n) ready_r <= 1'b0;
    else ready_r <= !busy_next;
  end

  // ---- stage 1: products (mac_array) -----------------------------------------
  logic [ROWS-1:0][P-1:0][PROD_BITS-1:0] prod_r;
  logic [ROWS-1:0] prod_v;
  logic [CW-1:0] prod_chunk;
  logic prod_first, prod_last;
  logic [ROWS-1:0][POS_BITS-1:0] prod_pos;
  mac_array #(
    .M(M), .D(D), .A_WORDS(D), .A_BITS(Q_BITS), .A_SIGNED(1'b1), .A_HOLD(1'b0),
    .A_SHARED(1'b1), .B_BITS(K_BITS), .PROD_BITS(PROD_BITS)
  ) u_mac (
    .clk(clk), .rst_n(rst_n), .head_dim(hd_r), .take(take), .a_in(q_r), .b_in(in_key),
    .busy_next(busy_next), .prod(prod_r), .prod_v(prod_v), .prod_chunk(prod_chunk), .prod_last(prod_last)
  );
  assign prod_first = prod_chunk == '0;

  // the position of the row in the multipliers, registered with its products
  if (C == 1) begin : g_pos_bus
    always_ff @(posedge clk) prod_pos <= in_pos;
  end else begin : g_pos_held
    logic [POS_BITS-1:0] pos_r;
    always_ff @(posedge clk) begin
      if (take[0]) pos_r <= in_pos[0];
      prod_pos[0] <= take[0] ? in_pos[0] : pos_r;
    end
  end

  // ---- stage 2: adder tree and chunk accumulation --------------------------
  logic [ROWS-1:0][ACC_BITS-1:0] acc_r;
  logic [ROWS-1:0] acc_v;
  logic [ROWS-1:0][POS_BITS-1:0] acc_pos;
  logic [CW-1:0] acc_last;           // the row's last chunk: C_rt - 1
  // The adder tree of one lane: node 0 is the root, leaves TP-1 .. 2*TP-2;
  // sums never wrap (see ACC_BITS). It is evaluated where its sum is taken,
  // under prod_v: the same netlist, and a simulator skips it in idle cycles.
  // Written out in the block rather than as a function of the lane's
  // products: a simulator copies a function's wide argument on every call.
  always_ff @(posedge clk) begin
    for (int r = 0; r < ROWS; r++) begin
      if (prod_v[r]) begin
        logic [ACC_BITS-1:0] node [2*TP-1];   // unpacked: word-sized nodes in simulation
        for (int i = 0; i < TP; i++) begin
          node[TP - 1 + i] = i < P ? {{(ACC_BITS - PROD_BITS){prod_r[r][i][PROD_BITS-1]}}, prod_r[r][i]} : '0;
        end
        for (int i = TP - 2; i >= 0; i--) begin
          node[i] = node[2 * i + 1] + node[2 * i + 2];
        end
        acc_r[r] <= prod_first ? node[0] : acc_r[r] + node[0];
      end
    end
  end
  always_ff @(posedge clk) begin
    if (!rst_n) acc_v <= '0;
    else acc_v <= prod_v & {ROWS{prod_last}};
    acc_pos <= prod_pos;
    acc_last <= prod_chunk;
  end

  // ---- stage 3: scale multiply ---------------------------------------------
  logic [ROWS-1:0][SCALED_BITS-1:0] scaled_r;
  logic [ROWS-1:0] scaled_v;
  logic [ROWS-1:0][POS_BITS-1:0] scaled_pos;
  logic [CW-1:0] scaled_last;
  // stages 3 and 4 compute only the rows that carry a result (a clock enable;
  // a simulator skips the wide multiply and round of an idle row)
  always_ff @(posedge clk) begin
    for (int r = 0; r < ROWS; r++) begin
      if (acc_v[r]) begin
        scaled_r[r] <= $unsigned($signed({{(SCALED_BITS - ACC_BITS){acc_r[r][ACC_BITS-1]}}, acc_r[r]})
                                 * $signed({{(SCALED_BITS - 16){1'b0}}, mult_r}));
      end
    end
    scaled_pos <= acc_pos;
    scaled_last <= acc_last;
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
    half = '0;
    biased = '0;
    shifted = '0;
    logit_c = '0;                                  // (read under scaled_v / st_v only)
    for (int r = 0; r < ROWS; r++) begin
      if (scaled_v[r]) begin
        half = (ROUND_BITS'(1'b1) << shift_r) >> 1;  // 2^(shift-1), 0 for shift 0 (< 2^63: positive)
        biased = $signed({{(ROUND_BITS - SCALED_BITS){scaled_r[r][SCALED_BITS-1]}}, scaled_r[r]}) + $signed(half);
        shifted = biased >>> shift_r;
        if (shifted > LOGIT_MAX) logit_c[r] = LOGIT_MAX[LOGIT_BITS-1:0];
        else if (shifted < LOGIT_MIN) logit_c[r] = LOGIT_MIN[LOGIT_BITS-1:0];
        else logit_c[r] = shifted[LOGIT_BITS-1:0];
      end
    end
  end

  // ---- stages 5 ..: output pipeline ------------------------------------------
  // NST stages; a row of C_rt chunks enters stage C_rt - 1 (its last chunk
  // index, ins) and leaves the last one: C - C_rt stages make up for the chunks
  // it did not need, so every result comes LATENCY cycles after its take. The
  // stages before C_rt - 1 stay empty during a job (C_rt changes only at a
  // q_load, while idle).
  logic [NST-1:0] ins;               // stage 4's result enters stage s
  logic [NST-1:0][ROWS-1:0] st_v;
  logic [NST-1:0][ROWS-1:0][LOGIT_BITS-1:0] st_logit;
  logic [NST-1:0][ROWS-1:0][POS_BITS-1:0] st_pos;
  always_comb begin
    ins = '0;
    for (int s = 0; s < C; s++) ins[s] = scaled_last == CW'($unsigned(s));
  end
  always_ff @(posedge clk) begin
    st_logit[0] <= logit_c;
    st_pos[0] <= scaled_pos;
    for (int s = 1; s < NST; s++) begin
      if (ins[s] && scaled_v[0]) begin
        st_logit[s] <= logit_c;
        st_pos[s] <= scaled_pos;
      end else begin
        st_logit[s] <= st_logit[s - 1];
        st_pos[s] <= st_pos[s - 1];
      end
    end
  end
  always_ff @(posedge clk) begin
    if (!rst_n) st_v <= '0;
    else begin
      st_v[0] <= ins[0] ? scaled_v : '0;
      for (int s = 1; s < NST; s++) st_v[s] <= (ins[s] && scaled_v[0]) ? scaled_v : st_v[s - 1];
    end
  end
  assign out_valid = st_v[NST-1];
  assign out_logit = st_logit[NST-1];
  assign out_pos = st_pos[NST-1];

  assign idle = !(|prod_v) && !(|acc_v) && !(|scaled_v) && !(|st_v);
endmodule
