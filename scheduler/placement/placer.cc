#include "scheduler/placement/placer.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace spillway {
namespace {

bool SelectorMatches(const NodeInfo& node, const PlacementRequest& request) {
  if (request.node_selector == nullptr) return true;
  for (const auto& [k, v] : *request.node_selector) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  return true;
}

bool AntiAffinityConflict(const NodeInfo& node, const PlacementRequest& request) {
  if (request.anti_affinity == nullptr) return false;
  for (const auto& k : *request.anti_affinity) {
    if (node.anti_affinity_keys.count(k) > 0) return true;
  }
  return false;
}

const char* StateRejection(const NodeInfo& node) {
  switch (node.state) {
    case spillway::v1::NODE_STATE_READY:
      return nullptr;
    case spillway::v1::NODE_STATE_CORDONED:
      return kRejectCordoned;
    case spillway::v1::NODE_STATE_DRAINING:
      return kRejectDraining;
    default:
      return kRejectDown;
  }
}

// Utilisation after placement, 0..10000 (basis points), averaged over cpu and memory.
int64_t UtilisationAfter(const NodeInfo& node, const Resources& request) {
  const Resources used = node.allocated + request;
  const int64_t cpu = node.capacity.cpu_millis > 0
                          ? used.cpu_millis * 10000 / node.capacity.cpu_millis
                          : 10000;
  const int64_t mem = node.capacity.memory_mib > 0
                          ? used.memory_mib * 10000 / node.capacity.memory_mib
                          : 10000;
  return (cpu + mem) / 2;
}

// Share of the job's affinity keys present on the node, 0..10000.
int64_t AffinityScore(const NodeInfo& node, const PlacementRequest& request) {
  if (request.affinity == nullptr || request.affinity->empty()) return 0;
  int present = 0;
  for (const auto& k : *request.affinity) present += node.affinity_keys.count(k) > 0 ? 1 : 0;
  return present * 10000 / request.affinity->size();
}

int64_t Score(const NodeInfo& node, const PlacementRequest& request,
              const PlacementOptions& options) {
  const int64_t utilisation = UtilisationAfter(node, request.resources);
  const int64_t strategy = options.strategy == spillway::v1::PLACEMENT_STRATEGY_SPREAD
                               ? 10000 - utilisation
                               : utilisation;
  return strategy * 100 + AffinityScore(node, request) * options.affinity_weight;
}

}  // namespace

const char* FirstRejection(const NodeInfo& node, const PlacementRequest& request,
                           const NodeFilter* extra) {
  if (const char* r = StateRejection(node)) return r;
  const Resources free = node.Free();
  if (free.cpu_millis < request.resources.cpu_millis) return kRejectCpu;
  if (free.memory_mib < request.resources.memory_mib) return kRejectMemory;
  if (!SelectorMatches(node, request)) return kRejectSelector;
  if (AntiAffinityConflict(node, request)) return kRejectAntiAffinity;
  if (extra != nullptr && !(*extra)(node)) return kRejectReserved;
  return nullptr;
}

bool CouldEverFit(const NodeInfo& node, const PlacementRequest& request) {
  return node.Schedulable() && node.capacity.Fits(request.resources) &&
         SelectorMatches(node, request);
}

std::string PlacementResult::Explain() const {
  if (node != nullptr) return absl::StrCat("placed on ", node->id, " (score ", score, ")");
  if (rejections.empty()) return "no VM nodes in the pool";
  std::vector<std::string> parts;
  for (const auto& [reason, count] : rejections) {
    parts.push_back(absl::StrCat(count, count == 1 ? " node: " : " nodes: ", reason));
  }
  return absl::StrCat("no VM node fits (", absl::StrJoin(parts, "; "), ")");
}

PlacementResult Place(const NodePool& pool, const PlacementRequest& request,
                      const PlacementOptions& options, const NodeFilter* extra) {
  PlacementResult result;
  const int limit = std::max(1, options.candidate_limit);
  auto consider = [&](const NodeInfo& node) {
    if (FirstRejection(node, request, extra) != nullptr) return;
    ++result.feasible_seen;
    const int64_t score = Score(node, request, options);
    if (result.node == nullptr || score > result.score ||
        (score == result.score && node.id < result.node->id)) {
      result.node = &node;
      result.score = score;
    }
  };

  // 1. Affinity candidates first: they may score highest whatever their free capacity.
  std::set<std::string> seen;
  if (request.affinity != nullptr && options.affinity_weight > 0) {
    for (const auto& key : *request.affinity) {
      const auto* nodes = pool.NodesWithAffinityKey(key);
      if (nodes == nullptr) continue;
      for (const auto& id : *nodes) {
        if (seen.size() >= static_cast<size_t>(limit)) break;
        if (seen.insert(id).second) consider(*pool.Find(id));
      }
    }
  }
  // 2. Walk the free-cpu index in the strategy's direction.
  const auto& index = pool.free_cpu_index();
  const int affinity_feasible = result.feasible_seen;
  auto visit = [&](const std::pair<int64_t, std::string>& entry) {
    if (seen.count(entry.second) > 0) return true;
    consider(*pool.Find(entry.second));
    return result.feasible_seen - affinity_feasible < limit;
  };
  if (options.strategy == spillway::v1::PLACEMENT_STRATEGY_SPREAD) {
    for (auto it = index.rbegin(); it != index.rend(); ++it) {
      if (it->first < request.resources.cpu_millis || !visit(*it)) break;
    }
  } else {
    for (auto it = index.lower_bound({request.resources.cpu_millis, std::string()});
         it != index.end(); ++it) {
      if (!visit(*it)) break;
    }
  }
  if (result.node != nullptr || !options.explain) return result;

  // 6. Nothing feasible: explain with a full pass.
  for (const auto& [id, node] : pool.nodes()) {
    if (const char* reason = FirstRejection(node, request, extra)) ++result.rejections[reason];
  }
  return result;
}

}  // namespace spillway
