// Job id -> record, for the core's lookups. Ids the core makes ("job-%08d") are kept by their
// number: an integer table grows (rehashes) an order of magnitude faster than one of strings —
// at ~30k jobs a string table's growth stalled spillwayd's loop for milliseconds — and hashes
// faster on every lookup. Any other id (none today) goes to a string table.
#ifndef SPILLWAY_SCHEDULER_CORE_JOB_INDEX_H_
#define SPILLWAY_SCHEDULER_CORE_JOB_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace spillway {

// The number of a canonical job id: "job-" and 8 digits, or more without a leading zero (what
// "job-%08d" prints). nullopt for anything else.
std::optional<int64_t> CanonicalJobNumber(absl::string_view id);

template <class T>
class JobIndex {
 public:
  void Insert(const std::string& id, T* value) {
    if (auto n = CanonicalJobNumber(id)) {
      by_number_[*n] = value;
    } else {
      by_id_[id] = value;
    }
  }
  void Erase(const std::string& id) {
    if (auto n = CanonicalJobNumber(id)) {
      by_number_.erase(*n);
    } else {
      by_id_.erase(id);
    }
  }
  T* Find(absl::string_view id) const {
    if (auto n = CanonicalJobNumber(id)) {
      auto it = by_number_.find(*n);
      return it == by_number_.end() ? nullptr : it->second;
    }
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  void Clear() {
    by_number_.clear();
    by_id_.clear();
  }
  size_t size() const { return by_number_.size() + by_id_.size(); }

 private:
  absl::flat_hash_map<int64_t, T*> by_number_;
  absl::flat_hash_map<std::string, T*> by_id_;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_CORE_JOB_INDEX_H_
