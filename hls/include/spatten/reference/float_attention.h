// spatten/reference/float_attention.h — plain double-precision attention, for
// tests only (not synthesizable, not used by any model). It is the "float
// reference" at the top of the checking chain (../shared/docs/ARCHITECTURE.md).
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace spatten {
namespace reference {

/// Softmax of n values.
inline std::vector<double> softmax(const double* x, int n) {
  std::vector<double> p(static_cast<std::size_t>(n));
  const double m = *std::max_element(x, x + n);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += (p[static_cast<std::size_t>(i)] = std::exp(x[i] - m));
  for (double& v : p) v /= sum;
  return p;
}

/// Dense decode attention of one query over the live rows of K and V
/// (token-major, head_dim columns): softmax(q·k_t / sqrt(head_dim)) · V.
inline std::vector<double> attention(const double* q, const double* k, const double* v, const int* live, int n,
                                     int head_dim) {
  std::vector<double> logits(static_cast<std::size_t>(n));
  const double inv = 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (int i = 0; i < n; ++i) {
    double s = 0.0;
    for (int d = 0; d < head_dim; ++d) s += q[d] * k[static_cast<std::size_t>(live[i]) * static_cast<std::size_t>(head_dim) + static_cast<std::size_t>(d)];
    logits[static_cast<std::size_t>(i)] = s * inv;
  }
  const std::vector<double> p = softmax(logits.data(), n);
  std::vector<double> out(static_cast<std::size_t>(head_dim), 0.0);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < head_dim; ++d)
      out[static_cast<std::size_t>(d)] += p[static_cast<std::size_t>(i)] *
          v[static_cast<std::size_t>(live[i]) * static_cast<std::size_t>(head_dim) + static_cast<std::size_t>(d)];
  return out;
}

}  // namespace reference
}  // namespace spatten
