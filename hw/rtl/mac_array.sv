// hw/rtl/mac_array.sv — the multiplier array shared by the Q·K unit
// (qk_unit.sv) and the prob·V unit (pv_unit.sv): M multipliers, the chunk
// sequencing of a row over them, the run-time head dimension and the product
// registers. The units add their own sums behind it.
//
// Rows and operands
//   A row is D words b (a key or value row, signed B_BITS) with its A operand:
//   A_WORDS = D: one word per row word (the query, from a register of the
//   unit: A_HOLD = 0 reads it live in every chunk); A_WORDS = 1: one word for
//   the whole row (a probability, A_HOLD = 1 holds it with the row). With
//   A_SHARED every lane takes the A words of a_in[0] (the query, the same for
//   every row), else lane r those of a_in[r]. A is
//   signed when A_SIGNED, else unsigned. Product word p of lane r is
//   a * b mod 2^PROD_BITS (exact when PROD_BITS holds it); words d >= head_dim
//   of b are taken as 0 (whatever the bus carries there), so their products
//   are 0 whatever a is.
//
// Timing (C = ceil(D/M) when M < D, else 1; C_rt = ceil(head_dim/M) when
// M < D, else 1; `head_dim` is 1..D and stable while a row is in the array)
//   * M >= D: ROWS = M/D lanes, P = D multipliers each; every row taken in
//     cycle t (take[r]) has its products in prod[r] in t+1, prod_v[r] high,
//     prod_chunk 0, prod_last high.
//   * M < D: one lane (ROWS = 1), P = M multipliers. A row taken in t (take[0])
//     is multiplied chunk by chunk: chunk j, words j*M .. j*M+M-1, in t+j for
//     j = 0 .. C_rt-1 (chunk 0 straight from the b_in bus, the later ones
//     from a row register); its products are in prod in t+j+1 with prod_v
//     high, prod_chunk j and prod_last high for j = C_rt-1.
//   * busy_next: the row's later chunks occupy the multipliers in the next
//     cycle; the unit must not take a row in a cycle that follows one with
//     busy_next high (its in_ready register is low then).
//   * prod[r] loads only in a cycle that follows one where lane r multiplied;
//     otherwise it keeps its last products (read it under prod_v[r]).
//   * rst_n (synchronous, active low) drops the row in the array and prod_v.
//
// Layout of the packed ports: lane r is index [r], word d of a row [r][d].
module mac_array #(
  parameter int M = 64,            // multipliers
  parameter int D = 64,            // words of a row (the largest head dimension)
  parameter int A_WORDS = 64,      // D: an A word per row word; 1: one A word per row
  parameter int A_BITS = 12,       // A word
  parameter bit A_SIGNED = 1'b1,   // A words are signed, else unsigned
  parameter bit A_HOLD = 1'b0,     // hold A with the row (else read it live in every chunk)
  parameter bit A_SHARED = 1'b0,   // one set of A words for every lane (a_in[0]), else a set per lane
  parameter int B_BITS = 12,       // signed row word
  parameter int PROD_BITS = 24,    // product word (> A_BITS and > B_BITS)
  parameter int ROWS = (M >= D) ? M / D : 1,  // lanes; must keep this value
  parameter int P = (M >= D) ? D : M,         // multipliers per lane; must keep this value
  parameter int CW = (M >= D) ? 1 : $clog2((D + M - 1) / M),  // chunk index; must keep this value
  parameter int HD_BITS = $clog2(D + 1)       // head_dim; must keep this value
) (
  input  logic                                  clk,
  input  logic                                  rst_n,
  input  logic [HD_BITS-1:0]                    head_dim,    // words of a row in use, 1 .. D
  input  logic [ROWS-1:0]                       take,        // a row is taken on lane r this cycle
  input  logic [(A_SHARED ? 1 : ROWS)-1:0][A_WORDS-1:0][A_BITS-1:0] a_in,
  input  logic [ROWS-1:0][D-1:0][B_BITS-1:0]    b_in,
  output logic                                  busy_next,   // later chunks of a row next cycle
  output logic [ROWS-1:0][P-1:0][PROD_BITS-1:0] prod,
  output logic [ROWS-1:0]                       prod_v,
  output logic [CW-1:0]                         prod_chunk,
  output logic                                  prod_last    // the row's last chunk
);
  localparam int C = (M >= D) ? 1 : (D + M - 1) / M;  // chunks of a row of D words

  // ---- elaboration checks ---------------------------------------------------
  if (M < 1 || D < 1 || A_BITS < 1 || B_BITS < 1) begin : g_bad_size
    $fatal(1, "mac_array: M, D, A_BITS and B_BITS must be positive");
  end
  if (A_WORDS != D && A_WORDS != 1) begin : g_bad_a_words
    $fatal(1, "mac_array: A_WORDS must be D or 1");
  end
  if (PROD_BITS <= A_BITS || PROD_BITS <= B_BITS) begin : g_bad_prod_bits
    $fatal(1, "mac_array: PROD_BITS must exceed A_BITS and B_BITS");
  end
  if (ROWS != ((M >= D) ? M / D : 1) || P != ((M >= D) ? D : M) || CW != ((C > 1) ? $clog2(C) : 1)
      || HD_BITS != $clog2(D + 1)) begin : g_bad_derived
    $fatal(1, "mac_array: ROWS, P, CW and HD_BITS must keep their default values");
  end

  // ---- words in use -----------------------------------------------------------
  logic [D-1:0] word_on;             // word d < head_dim
  always_comb begin
    for (int d = 0; d < D; d++) word_on[d] = head_dim > HD_BITS'($unsigned(d));
  end

  // ---- products -----------------------------------------------------------------
  // A lane's products load only when it multiplies (the consumers read prod
  // under prod_v): the multipliers' output registers get a clock enable, and a
  // simulator skips idle lanes.
  // A product is a * b mod 2^PROD_BITS, both operands extended to PROD_BITS
  // (A by its sign when A_SIGNED, else by zeros; B by its sign). It is written
  // out at each multiplier rather than as a function: Verilator keeps a
  // function's arguments and result as model variables, stored and reloaded
  // for each product (512 a cycle in a u55c unit: about a quarter of the
  // array's simulation code).
  logic [ROWS-1:0] op_valid;         // a chunk is multiplied this cycle
  logic [CW-1:0] op_chunk;           // which chunk
  logic op_last;                     // the last chunk of its row

  if (C == 1) begin : g_one_chunk
    assign busy_next = 1'b0;
    // every lane that takes a row multiplies it whole, straight from the buses
    always_ff @(posedge clk) begin
      for (int r = 0; r < ROWS; r++) begin
        if (take[r]) begin
          for (int p = 0; p < P; p++) begin
            prod[r][p] <= $unsigned(PROD_BITS'($signed({A_SIGNED & a_in[A_SHARED ? 0 : r][(A_WORDS == 1) ? 0 : p][A_BITS-1],
                                                         a_in[A_SHARED ? 0 : r][(A_WORDS == 1) ? 0 : p]}))
                                    * PROD_BITS'($signed(word_on[p] ? b_in[r][p] : B_BITS'(0))));
          end
        end
      end
    end
    assign op_valid = take;
    assign op_chunk = '0;
    assign op_last = 1'b1;
  end else begin : g_chunks
    localparam int AW = (A_WORDS == 1) ? 1 : C * M;  // A words of the padded row
    logic active;                      // chunks 1 .. last of a row are being multiplied
    logic [CW-1:0] chunk;              // the chunk multiplied this cycle while active
    logic [CW-1:0] last;               // C_rt - 1
    logic [CW-1:0] sel;                // the chunk multiplied this cycle
    // flat vectors: Yosys rejects multi-dimensional packed arrays declared in generate blocks
    logic [D*B_BITS-1:0] row_r;
    logic [A_WORDS*A_BITS-1:0] a_row;  // the A words of the row in the multipliers
    logic [C*M*B_BITS-1:0] b_pad;      // the row, words >= head_dim zeroed, zero-padded to C chunks
    logic [AW*A_BITS-1:0] a_pad;

    always_comb begin
      last = '0;
      for (int c = 1; c < C; c++) begin
        if (head_dim > HD_BITS'($unsigned(c * M))) last = CW'($unsigned(c));
      end
    end
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        active <= 1'b0;
        chunk <= '0;
      end else if (take[0]) begin
        active <= last != '0;
        chunk <= CW'(1);
      end else if (active) begin
        if (chunk == last) active <= 1'b0;
        chunk <= chunk + CW'($unsigned(1));
      end
    end
    assign busy_next = take[0] ? last != '0 : active && chunk != last;
    always_ff @(posedge clk) begin
      if (take[0]) begin
        for (int d = 0; d < D; d++) row_r[d*B_BITS +: B_BITS] <= b_in[0][d];
      end
    end
    if (A_HOLD) begin : g_hold_a
      logic [A_WORDS*A_BITS-1:0] a_r;
      always_ff @(posedge clk) begin
        if (take[0]) begin
          for (int w = 0; w < A_WORDS; w++) a_r[w*A_BITS +: A_BITS] <= a_in[0][w];
        end
      end
      always_comb begin
        for (int w = 0; w < A_WORDS; w++) a_row[w*A_BITS +: A_BITS] = take[0] ? a_in[0][w] : a_r[w*A_BITS +: A_BITS];
      end
    end else begin : g_live_a
      always_comb begin
        for (int w = 0; w < A_WORDS; w++) a_row[w*A_BITS +: A_BITS] = a_in[0][w];
      end
    end

    always_comb begin
      b_pad = '0;
      a_pad = '0;
      if (take[0] || active) begin   // as the operands: only while multiplying
        for (int d = 0; d < D; d++) begin
          if (word_on[d]) b_pad[d*B_BITS +: B_BITS] = take[0] ? b_in[0][d] : row_r[d*B_BITS +: B_BITS];
        end
        for (int w = 0; w < A_WORDS; w++) a_pad[w*A_BITS +: A_BITS] = a_row[w*A_BITS +: A_BITS];
      end
    end
    // chunk 0 while taking, else the current chunk of the held row
    logic [M*A_BITS-1:0] a_op;         // the multipliers' operands this cycle
    logic [M*B_BITS-1:0] b_op;
    assign sel = take[0] ? '0 : chunk;
    always_comb begin
      a_op = '0;
      b_op = '0;
      for (int c = 0; c < C; c++) begin
        if (op_valid[0] && sel == CW'($unsigned(c))) begin
          for (int p = 0; p < M; p++) begin
            a_op[p*A_BITS +: A_BITS] = a_pad[((A_WORDS == 1) ? 0 : c * M + p) * A_BITS +: A_BITS];
            b_op[p*B_BITS +: B_BITS] = b_pad[(c * M + p) * B_BITS +: B_BITS];
          end
        end
      end
    end
    always_ff @(posedge clk) begin
      if (op_valid[0]) begin
        for (int p = 0; p < M; p++) begin
          prod[0][p] <= $unsigned(PROD_BITS'($signed({A_SIGNED & a_op[p*A_BITS + A_BITS-1], a_op[p*A_BITS +: A_BITS]}))
                                  * PROD_BITS'($signed(b_op[p*B_BITS +: B_BITS])));
        end
      end
    end
    assign op_valid = take | {ROWS{active}};
    assign op_chunk = sel;
    assign op_last = sel == last;
  end

  always_ff @(posedge clk) begin
    prod_chunk <= op_chunk;
    prod_last <= op_last;
  end
  always_ff @(posedge clk) begin
    if (!rst_n) prod_v <= '0;
    else prod_v <= op_valid;
  end
endmodule
