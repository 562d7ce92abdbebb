#include "sim/synthetic.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"

namespace spillway {
namespace sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Shape {
  int64_t cpu_millis;
  int64_t memory_mib;
  double share;
};
constexpr Shape kShapes[] = {{250, 512, 0.30},
                             {500, 1024, 0.25},
                             {1000, 2048, 0.25},
                             {2000, 4096, 0.15},
                             {4000, 8192, 0.05}};

const Shape& DrawShape(std::mt19937_64& rng) {
  double u = absl::Uniform(rng, 0.0, 1.0);
  for (const Shape& s : kShapes) {
    if (u < s.share) return s;
    u -= s.share;
  }
  return kShapes[0];
}

// Bounded Pareto by inversion, in seconds.
double DrawDurationSeconds(std::mt19937_64& rng, const SyntheticOptions& o) {
  const double lo = absl::ToDoubleSeconds(o.min_duration);
  const double hi = absl::ToDoubleSeconds(o.max_duration);
  const double a = o.duration_pareto_alpha;
  const double u = absl::Uniform(rng, 0.0, 1.0);
  const double la = std::pow(lo, a);
  const double ha = std::pow(hi, a);
  return std::pow(-(u * ha - u * la - ha) / (ha * la), -1.0 / a);
}

// E[cpu x duration] in millicore-seconds, by a fixed-seed Monte Carlo estimate.
double MeanCpuSeconds(const SyntheticOptions& o) {
  std::mt19937_64 rng(12345);
  double total = 0;
  constexpr int kSamples = 200000;
  for (int i = 0; i < kSamples; ++i) {
    const Shape& s = DrawShape(rng);
    total += static_cast<double>(s.cpu_millis) * DrawDurationSeconds(rng, o);
  }
  return total / kSamples;
}

}  // namespace

Trace GenerateSynthetic(uint64_t seed, const SyntheticOptions& o) {
  std::mt19937_64 rng(seed);
  const double length_s = absl::ToDoubleSeconds(o.length);
  const double base = o.target_utilization * static_cast<double>(o.pool_cpu_millis) /
                      MeanCpuSeconds(o);  // Jobs per second.
  const int bursts = static_cast<int>(std::round(o.bursts_per_day * length_s / 86400.0));
  std::vector<double> burst_starts;
  for (int i = 0; i < bursts; ++i) burst_starts.push_back(absl::Uniform(rng, 0.0, length_s));
  std::sort(burst_starts.begin(), burst_starts.end());
  const double burst_s = absl::ToDoubleSeconds(o.burst_length);
  auto rate = [&](double t) {
    double r = base * (1 + o.daily_amplitude * std::sin(2 * kPi * (t / 86400.0 - 0.25)));
    for (double b : burst_starts) {
      if (t >= b && t < b + burst_s) r += base * o.burst_rate_factor;
    }
    return r;
  };
  const double max_rate =
      base * (1 + o.daily_amplitude + o.burst_rate_factor * std::max(1, bursts));

  Trace trace;
  double t = 0;
  while (true) {
    t += absl::Exponential(rng, max_rate);
    if (t >= length_s) break;
    if (absl::Uniform(rng, 0.0, max_rate) >= rate(t)) continue;  // Thinning.
    TraceJob job;
    job.submit = absl::Milliseconds(std::llround(t * 1000));
    const double duration_s = DrawDurationSeconds(rng, o);
    job.duration = absl::Milliseconds(std::llround(duration_s * 1000));
    const Shape& shape = DrawShape(rng);
    job.cpu_millis = shape.cpu_millis;
    job.memory_mib = shape.memory_mib;
    const double budget = absl::Uniform(rng, 0.0, 1.0);
    if (budget < 0.6) {
      // The policy's default budget.
    } else if (budget < 0.7) {
      job.priority = 600;
    } else if (budget < 0.9) {
      job.max_wait = absl::Minutes(5);
    } else {
      job.max_wait = absl::Minutes(30);
    }
    if (absl::Uniform(rng, 0.0, 1.0) < 0.7) {
      const double hint = duration_s * std::exp(absl::Gaussian(rng, 0.0, o.hint_sigma));
      job.expected_duration = absl::Milliseconds(std::llround(hint * 1000));
    }
    job.migratable = absl::Bernoulli(rng, 0.5);
    job.labels["team"] = std::string(1, static_cast<char>('a' + absl::Uniform(rng, 0, 3)));
    trace.push_back(std::move(job));
  }
  return trace;
}

}  // namespace sim
}  // namespace spillway
