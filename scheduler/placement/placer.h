// VM placement as a pipeline (after Nomad's feasibility -> ranking -> selection):
//
//   1. Candidates: bin-pack walks the free-cpu index upward from the request's cpu (tightest
//      node first); spread walks it downward from the emptiest node. Nodes already hosting one of
//      the job's affinity keys are added as candidates too.
//   2. Filters, in this order, each counting the nodes it rejects: node state (down, cordoned,
//      draining), insufficient cpu, insufficient memory, node selector, anti-affinity, and an
//      optional caller filter (the queue's reservations for jobs ahead).
//   3. The walk stops after `candidate_limit` feasible nodes (Nomad's limit iterator): placement
//      cost stays O(log n + limit) however large the pool.
//   4. Scorers, weighted: the strategy scorer (bin-pack: utilisation after placement; spread: its
//      complement), weight 100; the affinity scorer (share of the job's affinity keys present on
//      the node), weight `affinity_weight`.
//   5. Selection: the highest total score; ties go to the smallest node id.
//   6. If nothing is feasible, a full pass over the pool counts rejections per filter, so
//      "why is my job pending" has an answer ("3 nodes: insufficient cpu; 1 node: cordoned").
#ifndef SPILLWAY_SCHEDULER_PLACEMENT_PLACER_H_
#define SPILLWAY_SCHEDULER_PLACEMENT_PLACER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "google/protobuf/map.h"
#include "google/protobuf/repeated_field.h"
#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/placement/node_pool.h"

namespace spillway {

struct PlacementRequest {
  Resources resources;
  const google::protobuf::Map<std::string, std::string>* node_selector = nullptr;
  const google::protobuf::RepeatedPtrField<std::string>* affinity = nullptr;
  const google::protobuf::RepeatedPtrField<std::string>* anti_affinity = nullptr;
};

struct PlacementOptions {
  spillway::v1::PlacementStrategy strategy = spillway::v1::PLACEMENT_STRATEGY_BIN_PACK;
  int affinity_weight = 50;
  int candidate_limit = 8;
  bool explain = true;  // Fill PlacementResult::rejections when nothing fits (a walk of the pool).
};

// Filter names, as they appear in rejection counts.
inline constexpr char kRejectDown[] = "node down";
inline constexpr char kRejectCordoned[] = "cordoned";
inline constexpr char kRejectDraining[] = "draining";
inline constexpr char kRejectCpu[] = "insufficient cpu";
inline constexpr char kRejectMemory[] = "insufficient memory";
inline constexpr char kRejectSelector[] = "node selector mismatch";
inline constexpr char kRejectAntiAffinity[] = "anti-affinity conflict";
inline constexpr char kRejectReserved[] = "reserved for a queued job";

// Extra filter supplied by the caller (e.g. reservations); true = feasible.
using NodeFilter = std::function<bool(const NodeInfo&)>;

struct PlacementResult {
  const NodeInfo* node = nullptr;  // Chosen node, or null.
  int64_t score = 0;
  int feasible_seen = 0;
  std::map<std::string, int> rejections;  // Filled only when nothing was feasible.

  // "placed on vm-2 (score 8750)" or "no VM node fits (3 nodes: insufficient cpu; 1 node: cordoned)".
  std::string Explain() const;
};

// First failing filter for `node`, or nullptr if the node is feasible (extra filter included).
const char* FirstRejection(const NodeInfo& node, const PlacementRequest& request,
                           const NodeFilter* extra);

// Static feasibility only (state, selector, and whether the node's *capacity* could ever hold the
// request): used to predict waits on nodes that are busy now.
bool CouldEverFit(const NodeInfo& node, const PlacementRequest& request);

PlacementResult Place(const NodePool& pool, const PlacementRequest& request,
                      const PlacementOptions& options, const NodeFilter* extra = nullptr);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_PLACEMENT_PLACER_H_
