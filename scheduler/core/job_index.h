// Job id -> record, for the core's lookups. Ids the core makes ("job-%08d") are kept by their
// number in a table of fixed-size chunks indexed by it (the core numbers jobs from 1 up): growing
// it allocates one chunk and never moves an entry. A hash table's growth rehashes every entry —
// a string table's stalled spillwayd's loop for milliseconds at ~30k jobs, an integer table's for
// ~1 ms at 65k and twice that at 131k, on the submit that crossed the boundary. A chunk is freed
// once all of its jobs are erased. Numbers past kMaxDense and any other id (none today) go to
// hash tables.
#ifndef SPILLWAY_SCHEDULER_CORE_JOB_INDEX_H_
#define SPILLWAY_SCHEDULER_CORE_JOB_INDEX_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace spillway {

// The number of a canonical job id: "job-" and 8 digits, or more without a leading zero (what
// "job-%08d" prints). nullopt for anything else.
std::optional<int64_t> CanonicalJobNumber(absl::string_view id);

template <class T>
class JobIndex {
 public:
  // Numbers below this are kept in chunks (at most kMaxDense / kChunk = 64Ki chunk pointers).
  static constexpr int64_t kMaxDense = int64_t{1} << 26;

  void Insert(const std::string& id, T* value) {
    if (auto n = CanonicalJobNumber(id)) {
      if (*n < kMaxDense) {
        InsertDense(*n, value);
      } else {
        by_number_[*n] = value;
      }
    } else {
      by_id_[id] = value;
    }
  }
  void Erase(const std::string& id) {
    if (auto n = CanonicalJobNumber(id)) {
      if (*n < kMaxDense) {
        EraseDense(*n);
      } else {
        by_number_.erase(*n);
      }
    } else {
      by_id_.erase(id);
    }
  }
  T* Find(absl::string_view id) const {
    if (auto n = CanonicalJobNumber(id)) {
      if (*n < kMaxDense) {
        const size_t c = static_cast<size_t>(*n / kChunk);
        return c < chunks_.size() && chunks_[c] != nullptr ? chunks_[c]->slots[*n % kChunk]
                                                           : nullptr;
      }
      auto it = by_number_.find(*n);
      return it == by_number_.end() ? nullptr : it->second;
    }
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  void Clear() {
    chunks_.clear();
    dense_size_ = 0;
    by_number_.clear();
    by_id_.clear();
  }
  size_t size() const { return dense_size_ + by_number_.size() + by_id_.size(); }

 private:
  static constexpr int64_t kChunk = 1024;
  struct Chunk {
    std::array<T*, kChunk> slots{};
    size_t used = 0;
  };

  void InsertDense(int64_t n, T* value) {
    const size_t c = static_cast<size_t>(n / kChunk);
    if (c >= chunks_.size()) chunks_.resize(c + 1);
    if (chunks_[c] == nullptr) chunks_[c] = std::make_unique<Chunk>();
    T*& slot = chunks_[c]->slots[n % kChunk];
    if (slot == nullptr) {
      ++chunks_[c]->used;
      ++dense_size_;
    }
    slot = value;
  }
  void EraseDense(int64_t n) {
    const size_t c = static_cast<size_t>(n / kChunk);
    if (c >= chunks_.size() || chunks_[c] == nullptr) return;
    T*& slot = chunks_[c]->slots[n % kChunk];
    if (slot == nullptr) return;
    slot = nullptr;
    --dense_size_;
    if (--chunks_[c]->used == 0) chunks_[c].reset();
  }

  std::vector<std::unique_ptr<Chunk>> chunks_;  // Chunk c holds numbers [c * kChunk, +kChunk).
  size_t dense_size_ = 0;
  absl::flat_hash_map<int64_t, T*> by_number_;  // Numbers from kMaxDense on.
  absl::flat_hash_map<std::string, T*> by_id_;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_CORE_JOB_INDEX_H_
