#include "backends/aci/rate_limits.h"

#include <algorithm>
#include <cmath>

namespace spillway {

TokenBucket::TokenBucket(double capacity, double per_second, absl::Time now)
    : capacity_(std::max(1.0, capacity)),
      per_second_(std::max(1e-6, per_second)),
      tokens_(capacity_),
      last_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_) return;
  tokens_ = std::min(capacity_, tokens_ + absl::ToDoubleSeconds(now - last_) * per_second_);
  last_ = now;
}

absl::Duration TokenBucket::WaitFor(absl::Time now) {
  Refill(now);
  if (tokens_ >= 1.0) return absl::ZeroDuration();
  return absl::Milliseconds(std::ceil((1.0 - tokens_) / per_second_ * 1000.0));
}

bool TokenBucket::TryTake(absl::Time now) {
  Refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

int64_t TokenBucket::Remaining(absl::Time now) {
  Refill(now);
  return static_cast<int64_t>(tokens_);
}

SlidingWindowLimit::SlidingWindowLimit(int max_events, absl::Duration window)
    : max_events_(std::max(1, max_events)), window_(window) {}

void SlidingWindowLimit::Expire(absl::Time now) {
  while (!events_.empty() && events_.front() + window_ <= now) events_.pop_front();
}

absl::Duration SlidingWindowLimit::WaitFor(absl::Time now) {
  Expire(now);
  if (static_cast<int>(events_.size()) < max_events_) return absl::ZeroDuration();
  return events_.front() + window_ - now;
}

bool SlidingWindowLimit::TryTake(absl::Time now) {
  if (WaitFor(now) > absl::ZeroDuration()) return false;
  events_.push_back(now);
  return true;
}

void MultiWindowLimit::Add(int max_events, absl::Duration window) {
  limits_.emplace_back(max_events, window);
}

absl::Duration MultiWindowLimit::WaitFor(absl::Time now) {
  absl::Duration wait = absl::ZeroDuration();
  for (auto& limit : limits_) wait = std::max(wait, limit.WaitFor(now));
  return wait;
}

bool MultiWindowLimit::TryTake(absl::Time now) {
  if (WaitFor(now) > absl::ZeroDuration()) return false;
  for (auto& limit : limits_) limit.TryTake(now);
  return true;
}

}  // namespace spillway
