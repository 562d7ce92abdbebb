#include "scheduler/placement/node_pool.h"

namespace spillway {

void NodePool::Unindex(const NodeInfo& node) { index_.erase({node.Free().cpu_millis, node.id}); }

void NodePool::Reindex(const NodeInfo& node) {
  if (node.Schedulable()) index_.insert({node.Free().cpu_millis, node.id});
  ++generation_;
}

void NodePool::Upsert(const std::string& id, Resources capacity,
                      std::map<std::string, std::string> labels) {
  auto [it, inserted] = nodes_.try_emplace(id);
  NodeInfo& node = it->second;
  if (!inserted) {
    Unindex(node);
    CountSize(node, -1);
  }
  node.id = id;
  node.capacity = capacity;
  node.labels = std::move(labels);
  CountSize(node, +1);
  Reindex(node);
}

void NodePool::CountSize(const NodeInfo& node, int delta) {
  if (node.state == spillway::v1::NODE_STATE_DOWN) return;
  const std::pair<int64_t, int64_t> size{node.capacity.cpu_millis, node.capacity.memory_mib};
  if ((size_counts_[size] += delta) == 0) size_counts_.erase(size);
}

bool NodePool::SetState(const std::string& id, spillway::v1::NodeState state) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return false;
  Unindex(it->second);
  CountSize(it->second, -1);
  it->second.state = state;
  CountSize(it->second, +1);
  if (state == spillway::v1::NODE_STATE_DRAINING) {
    draining_.insert(id);
  } else {
    draining_.erase(id);
  }
  Reindex(it->second);
  return true;
}

void NodePool::Allocate(const std::string& node_id, const TaskFootprint& task) {
  NodeInfo& node = nodes_.at(node_id);
  Unindex(node);
  node.allocated += task.resources;
  node.tasks.insert(task.task_id);
  for (const auto& k : task.affinity_keys) {
    if (node.affinity_keys[k]++ == 0) affinity_nodes_[k].insert(node_id);
  }
  for (const auto& k : task.anti_affinity_keys) node.anti_affinity_keys[k]++;
  Reindex(node);
}

void NodePool::Release(const std::string& node_id, const TaskFootprint& task) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  NodeInfo& node = it->second;
  if (node.tasks.erase(task.task_id) == 0) return;  // Already released.
  Unindex(node);
  node.allocated -= task.resources;
  for (const auto& k : task.affinity_keys) {
    if (--node.affinity_keys[k] == 0) {
      node.affinity_keys.erase(k);
      auto a = affinity_nodes_.find(k);
      if (a != affinity_nodes_.end()) {
        a->second.erase(node_id);
        if (a->second.empty()) affinity_nodes_.erase(a);
      }
    }
  }
  for (const auto& k : task.anti_affinity_keys) {
    if (--node.anti_affinity_keys[k] == 0) node.anti_affinity_keys.erase(k);
  }
  Reindex(node);
}

const NodeInfo* NodePool::Find(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const std::set<std::string>* NodePool::NodesWithAffinityKey(const std::string& key) const {
  auto it = affinity_nodes_.find(key);
  return it == affinity_nodes_.end() ? nullptr : &it->second;
}

std::vector<Resources> NodePool::NodeSizes() const {
  std::vector<Resources> out;
  out.reserve(size_counts_.size());
  for (const auto& [size, count] : size_counts_) out.push_back(Resources{size.first, size.second});
  return out;
}

Resources NodePool::TotalCapacity() const {
  Resources total;
  for (const auto& [id, node] : nodes_) {
    if (node.state != spillway::v1::NODE_STATE_DOWN) total += node.capacity;
  }
  return total;
}

Resources NodePool::TotalAllocated() const {
  Resources total;
  for (const auto& [id, node] : nodes_) {
    if (node.state != spillway::v1::NODE_STATE_DOWN) total += node.allocated;
  }
  return total;
}

}  // namespace spillway
