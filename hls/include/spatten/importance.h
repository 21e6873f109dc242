// spatten/importance.h — token and head importance (SpAtten's cascade scores).
//
// Token importance: the sum of the probabilities a token receives, over every
// live query head, layer and decode step (Q0.P units, uint64). Bound: one add
// is <= 2^P <= 2^24, so 2^40 adds fit; at 64 heads x 128 layers that is 2^27
// decode steps, beyond any context this project supports.
//
// Head importance: per KV head index (shared across layers, as SpAtten's
// cascade does), the sum over layers and steps of sum_d |out[d]| of each of its
// query heads' attention output words. With grouped-query attention the KV
// head's importance is the sum over the query heads of its group: pruning a KV
// head removes the whole group, the only pruning that saves K/V traffic.
#pragma once
#include <cstdint>

namespace spatten {
namespace golden {

/// importance[live[i]] += prob[i] for i in [0, n).
template <int MAX>
void accumulate_token_importance(std::uint64_t* importance, const int* live, const std::uint32_t* prob, int n) {
TOKEN_IMPORTANCE:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    importance[live[i]] += prob[i];
  }
}

/// The accelerator's on-chip token importance: `capacity` words (max_context).
/// An id outside it reads 0, and adding to it adds nothing, so a bad id in a
/// live list cannot reach another token's word.
struct ImportanceMemory {
  std::uint64_t* words;
  int capacity;
  std::uint64_t operator[](long long token) const {
    return token >= 0 && token < capacity ? words[token] : std::uint64_t{0};
  }
};

/// importance[live[i]] += prob[i] for i in [0, n), ids outside the memory skipped.
template <int MAX, class ID>
void accumulate_token_importance(ImportanceMemory importance, const ID* live, const std::uint32_t* prob, int n) {
TOKEN_IMPORTANCE_CAPPED:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    const long long t = static_cast<long long>(live[i]);
    if (t >= 0 && t < importance.capacity) importance.words[t] += prob[i];
  }
}

/// sum_d |out[d]| of one query head's output (out_bits <= 32, so |out| < 2^31).
template <int MAX_DIM>
std::uint64_t head_output_magnitude(const std::int32_t* out, int head_dim) {
  std::uint64_t sum = 0;
HEAD_MAGNITUDE:
  for (int d = 0; d < MAX_DIM; ++d) {
    if (d >= head_dim) break;
    const std::int64_t x = out[d];
    sum += static_cast<std::uint64_t>(x < 0 ? -x : x);
  }
  return sum;
}

}  // namespace golden
}  // namespace spatten
