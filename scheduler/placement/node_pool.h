// The VM pool's nodes plus an index of schedulable nodes ordered by free cpu, so placement visits
// only nodes that can hold a request instead of scanning the whole pool.
#ifndef SPILLWAY_SCHEDULER_PLACEMENT_NODE_POOL_H_
#define SPILLWAY_SCHEDULER_PLACEMENT_NODE_POOL_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/model/node.h"

namespace spillway {

// What a task contributes to a node (its resources and keys).
struct TaskFootprint {
  std::string task_id;  // "job_id#attempt"
  Resources resources;
  std::vector<std::string> affinity_keys;
  std::vector<std::string> anti_affinity_keys;
};

class NodePool {
 public:
  using FreeCpuIndex = std::set<std::pair<int64_t, std::string>>;

  // Adds a node or updates its capacity and labels (allocations are kept).
  void Upsert(const std::string& id, Resources capacity, std::map<std::string, std::string> labels);
  // Sets the state; returns false if the node is unknown.
  bool SetState(const std::string& id, spillway::v1::NodeState state);

  void Allocate(const std::string& node_id, const TaskFootprint& task);
  void Release(const std::string& node_id, const TaskFootprint& task);

  const NodeInfo* Find(const std::string& id) const;
  const std::map<std::string, NodeInfo>& nodes() const { return nodes_; }
  // Schedulable nodes by (free cpu, id), ascending.
  const FreeCpuIndex& free_cpu_index() const { return index_; }
  // Nodes hosting at least one task with affinity key `key`.
  const std::set<std::string>* NodesWithAffinityKey(const std::string& key) const;

  // The distinct capacities of nodes that are not down, sorted (for "more than any node can
  // hold": a request must fit one real node, not the largest cpu of one and memory of another).
  std::vector<Resources> NodeSizes() const;
  Resources TotalCapacity() const;   // Of nodes that are not down.
  Resources TotalAllocated() const;  // Of nodes that are not down.
  int64_t generation() const { return generation_; }  // Bumped on every change.
  // Ids of nodes in NODE_STATE_DRAINING (kept so rebalancing need not scan the pool).
  const std::set<std::string>& draining() const { return draining_; }

 private:
  void Unindex(const NodeInfo& node);
  void Reindex(const NodeInfo& node);
  // Adds `delta` to the count of nodes of `node`'s size (nodes that are down are not counted).
  void CountSize(const NodeInfo& node, int delta);

  std::map<std::string, NodeInfo> nodes_;
  FreeCpuIndex index_;
  std::map<std::string, std::set<std::string>> affinity_nodes_;
  std::set<std::string> draining_;
  // Nodes that are not down, by (cpu, memory) capacity: NodeSizes without a walk of the pool
  // (every submit is validated against it).
  std::map<std::pair<int64_t, int64_t>, int> size_counts_;
  int64_t generation_ = 0;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_PLACEMENT_NODE_POOL_H_
