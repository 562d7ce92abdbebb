#include "scheduler/placement/node_pool.h"

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using ::spillway::v1::NODE_STATE_CORDONED;
using ::spillway::v1::NODE_STATE_DOWN;
using ::spillway::v1::NODE_STATE_DRAINING;
using ::spillway::v1::NODE_STATE_READY;
using ::testing::ElementsAre;
using ::testing::Pair;

TaskFootprint Task(const std::string& id, Resources r, std::vector<std::string> affinity = {},
                   std::vector<std::string> anti = {}) {
  return TaskFootprint{id, r, std::move(affinity), std::move(anti)};
}

// The index must hold exactly the READY nodes, keyed by their current free cpu.
::testing::AssertionResult IndexConsistent(const NodePool& pool) {
  NodePool::FreeCpuIndex want;
  for (const auto& [id, node] : pool.nodes()) {
    if (node.state == NODE_STATE_READY) want.insert({node.capacity.cpu_millis - node.allocated.cpu_millis, id});
  }
  if (want != pool.free_cpu_index()) {
    auto failure = ::testing::AssertionFailure() << "free_cpu_index mismatch; want:";
    for (const auto& [cpu, id] : want) failure << " (" << cpu << "," << id << ")";
    failure << " got:";
    for (const auto& [cpu, id] : pool.free_cpu_index()) failure << " (" << cpu << "," << id << ")";
    return failure;
  }
  return ::testing::AssertionSuccess();
}

TEST(NodePoolTest, UpsertIndexesReadyNodesByFreeCpu) {
  NodePool pool;
  pool.Upsert("b", {4000, 8192}, {});
  pool.Upsert("a", {2000, 8192}, {{"zone", "eu"}});
  EXPECT_THAT(pool.free_cpu_index(),
              ElementsAre(Pair(2000, "a"), Pair(4000, "b")));
  ASSERT_NE(pool.Find("a"), nullptr);
  EXPECT_EQ(pool.Find("a")->labels.at("zone"), "eu");
  EXPECT_EQ(pool.Find("a")->state, NODE_STATE_READY);
  EXPECT_EQ(pool.Find("missing"), nullptr);
}

TEST(NodePoolTest, AllocateAndReleaseMoveTheIndexEntry) {
  NodePool pool;
  pool.Upsert("n1", {4000, 8192}, {});
  pool.Allocate("n1", Task("job-1#1", {1500, 1024}));
  EXPECT_EQ(pool.Find("n1")->allocated, (Resources{1500, 1024}));
  EXPECT_THAT(pool.free_cpu_index(), ElementsAre(Pair(2500, "n1")));
  EXPECT_EQ(pool.Find("n1")->tasks, (std::set<std::string>{"job-1#1"}));

  pool.Release("n1", Task("job-1#1", {1500, 1024}));
  EXPECT_EQ(pool.Find("n1")->allocated, (Resources{0, 0}));
  EXPECT_THAT(pool.free_cpu_index(), ElementsAre(Pair(4000, "n1")));
  EXPECT_TRUE(pool.Find("n1")->tasks.empty());
}

TEST(NodePoolTest, ReleaseIsIdempotent) {
  NodePool pool;
  pool.Upsert("n1", {4000, 8192}, {});
  pool.Allocate("n1", Task("job-1#1", {1000, 1024}));
  pool.Allocate("n1", Task("job-2#1", {1000, 1024}));
  pool.Release("n1", Task("job-1#1", {1000, 1024}));
  pool.Release("n1", Task("job-1#1", {1000, 1024}));  // again: no effect
  EXPECT_EQ(pool.Find("n1")->allocated, (Resources{1000, 1024}));
  EXPECT_TRUE(IndexConsistent(pool));
  // Unknown node: no effect, no crash.
  pool.Release("nope", Task("job-2#1", {1000, 1024}));
  EXPECT_EQ(pool.Find("n1")->allocated, (Resources{1000, 1024}));
}

TEST(NodePoolTest, NonReadyNodesLeaveTheIndexAndComeBack) {
  NodePool pool;
  pool.Upsert("n1", {4000, 8192}, {});
  pool.Upsert("n2", {4000, 8192}, {});
  pool.Upsert("n3", {4000, 8192}, {});
  pool.Upsert("n4", {4000, 8192}, {});
  EXPECT_TRUE(pool.SetState("n1", NODE_STATE_CORDONED));
  EXPECT_TRUE(pool.SetState("n2", NODE_STATE_DRAINING));
  EXPECT_TRUE(pool.SetState("n3", NODE_STATE_DOWN));
  EXPECT_THAT(pool.free_cpu_index(), ElementsAre(Pair(4000, "n4")));
  // Allocation on a cordoned node (e.g. a task it already ran) must not re-index it.
  pool.Allocate("n1", Task("job-1#1", {1000, 0}));
  EXPECT_THAT(pool.free_cpu_index(), ElementsAre(Pair(4000, "n4")));
  EXPECT_TRUE(pool.SetState("n1", NODE_STATE_READY));
  EXPECT_THAT(pool.free_cpu_index(), ElementsAre(Pair(3000, "n1"), Pair(4000, "n4")));
  EXPECT_FALSE(pool.SetState("unknown", NODE_STATE_READY));
  EXPECT_TRUE(IndexConsistent(pool));
}

TEST(NodePoolTest, UpsertKeepsAllocationsAndStateAndReindexes) {
  NodePool pool;
  pool.Upsert("n1", {4000, 8192}, {{"zone", "a"}});
  pool.Allocate("n1", Task("job-1#1", {1000, 2048}, {"cache"}));
  pool.Upsert("n1", {8000, 16384}, {{"zone", "b"}});
  const NodeInfo* n = pool.Find("n1");
  EXPECT_EQ(n->capacity, (Resources{8000, 16384}));
  EXPECT_EQ(n->allocated, (Resources{1000, 2048}));
  EXPECT_EQ(n->labels.at("zone"), "b");
  EXPECT_EQ(n->tasks.count("job-1#1"), 1u);
  EXPECT_THAT(pool.free_cpu_index(), ElementsAre(Pair(7000, "n1")));

  pool.SetState("n1", NODE_STATE_CORDONED);
  pool.Upsert("n1", {2000, 4096}, {});
  EXPECT_EQ(pool.Find("n1")->state, NODE_STATE_CORDONED);
  EXPECT_TRUE(pool.free_cpu_index().empty());
}

TEST(NodePoolTest, AffinityKeyIndexTracksTaskCounts) {
  NodePool pool;
  pool.Upsert("n1", {4000, 8192}, {});
  pool.Upsert("n2", {4000, 8192}, {});
  EXPECT_EQ(pool.NodesWithAffinityKey("cache"), nullptr);
  pool.Allocate("n1", Task("a#1", {100, 100}, {"cache"}, {"db"}));
  pool.Allocate("n1", Task("b#1", {100, 100}, {"cache"}));
  pool.Allocate("n2", Task("c#1", {100, 100}, {"cache", "gpu"}));
  ASSERT_NE(pool.NodesWithAffinityKey("cache"), nullptr);
  EXPECT_EQ(*pool.NodesWithAffinityKey("cache"), (std::set<std::string>{"n1", "n2"}));
  EXPECT_EQ(pool.Find("n1")->affinity_keys.at("cache"), 2);
  EXPECT_EQ(pool.Find("n1")->anti_affinity_keys.at("db"), 1);

  pool.Release("n1", Task("a#1", {100, 100}, {"cache"}, {"db"}));
  EXPECT_EQ(*pool.NodesWithAffinityKey("cache"), (std::set<std::string>{"n1", "n2"}));
  EXPECT_EQ(pool.Find("n1")->anti_affinity_keys.count("db"), 0u);
  pool.Release("n1", Task("b#1", {100, 100}, {"cache"}));
  EXPECT_EQ(*pool.NodesWithAffinityKey("cache"), (std::set<std::string>{"n2"}));
  EXPECT_EQ(pool.Find("n1")->affinity_keys.count("cache"), 0u);
  pool.Release("n2", Task("c#1", {100, 100}, {"cache", "gpu"}));
  EXPECT_EQ(pool.NodesWithAffinityKey("cache"), nullptr);
  EXPECT_EQ(pool.NodesWithAffinityKey("gpu"), nullptr);
}

TEST(NodePoolTest, GenerationBumpsOnEveryChange) {
  NodePool pool;
  int64_t g = pool.generation();
  pool.Upsert("n1", {4000, 8192}, {});
  EXPECT_GT(pool.generation(), g);
  g = pool.generation();
  pool.Allocate("n1", Task("t#1", {1, 1}));
  EXPECT_GT(pool.generation(), g);
  g = pool.generation();
  pool.SetState("n1", NODE_STATE_CORDONED);
  EXPECT_GT(pool.generation(), g);
  g = pool.generation();
  pool.Release("n1", Task("t#1", {1, 1}));
  EXPECT_GT(pool.generation(), g);
}

TEST(NodePoolTest, NodeSizesAndTotalsIgnoreDownNodes) {
  NodePool pool;
  pool.Upsert("small", {2000, 4096}, {});
  pool.Upsert("big", {8000, 32768}, {});
  pool.Upsert("huge-down", {64000, 262144}, {});
  pool.Upsert("cordoned", {4000, 16384}, {});
  pool.Allocate("big", Task("a#1", {1000, 1024}));
  pool.Allocate("cordoned", Task("b#1", {500, 512}));
  pool.Allocate("huge-down", Task("c#1", {32000, 65536}));
  pool.SetState("huge-down", NODE_STATE_DOWN);
  pool.SetState("cordoned", NODE_STATE_CORDONED);

  EXPECT_EQ(pool.NodeSizes(),
            (std::vector<Resources>{{2000, 4096}, {4000, 16384}, {8000, 32768}}));
  EXPECT_EQ(pool.TotalCapacity(), (Resources{2000 + 8000 + 4000, 4096 + 32768 + 16384}));
  EXPECT_EQ(pool.TotalAllocated(), (Resources{1500, 1536}));

  pool.SetState("huge-down", NODE_STATE_READY);
  EXPECT_EQ(pool.NodeSizes().back(), (Resources{64000, 262144}));
  EXPECT_EQ(pool.NodeSizes().size(), 4u);
}

TEST(NodePoolTest, NodeSizesFollowResizesAndSharedSizes) {
  NodePool pool;
  pool.Upsert("a", {2000, 4096}, {});
  pool.Upsert("b", {2000, 4096}, {});
  pool.SetState("a", NODE_STATE_DOWN);  // b still has that size.
  EXPECT_EQ(pool.NodeSizes(), (std::vector<Resources>{{2000, 4096}}));
  pool.Upsert("b", {4000, 8192}, {});  // Resized: its old size is gone with it.
  EXPECT_EQ(pool.NodeSizes(), (std::vector<Resources>{{4000, 8192}}));
  pool.Upsert("a", {8000, 16384}, {});  // Resized while down: still not counted.
  EXPECT_EQ(pool.NodeSizes(), (std::vector<Resources>{{4000, 8192}}));
  pool.SetState("a", NODE_STATE_READY);
  EXPECT_EQ(pool.NodeSizes(), (std::vector<Resources>{{4000, 8192}, {8000, 16384}}));
}

TEST(NodePoolTest, EmptyPoolTotalsAreZero) {
  NodePool pool;
  EXPECT_TRUE(pool.NodeSizes().empty());
  EXPECT_TRUE(pool.TotalCapacity().IsZero());
  EXPECT_TRUE(pool.free_cpu_index().empty());
}

// Property: after any sequence of Upsert/Allocate/Release/SetState the index matches the nodes,
// allocations equal the sum of the live tasks, and the affinity index matches the nodes' keys.
TEST(NodePoolTest, PropertyIndexStaysConsistentUnderRandomOperations) {
  std::mt19937 rng(7);  // fixed seed: reproducible
  NodePool pool;
  const std::vector<std::string> ids = {"n0", "n1", "n2", "n3", "n4", "n5"};
  const std::vector<spillway::v1::NodeState> states = {NODE_STATE_READY, NODE_STATE_CORDONED,
                                                       NODE_STATE_DRAINING, NODE_STATE_DOWN};
  const std::vector<std::string> keys = {"k1", "k2", "k3"};
  struct Live {
    std::string node;
    TaskFootprint task;
  };
  std::vector<Live> live;
  std::map<std::string, Resources> want_alloc;
  int next_task = 0;
  for (const auto& id : ids) pool.Upsert(id, {4000, 8192}, {});
  for (int step = 0; step < 3000; ++step) {
    const std::string& id = ids[rng() % ids.size()];
    switch (rng() % 5) {
      case 0:
        pool.Upsert(id, {static_cast<int64_t>(1000 + 1000 * (rng() % 8)), 8192}, {});
        break;
      case 1:
        pool.SetState(id, states[rng() % states.size()]);
        break;
      case 2:
      case 3: {
        TaskFootprint t = Task(absl::StrCat("job-", next_task++, "#1"),
                               {static_cast<int64_t>(rng() % 1000), static_cast<int64_t>(rng() % 1000)});
        if (rng() % 2) t.affinity_keys.push_back(keys[rng() % keys.size()]);
        if (rng() % 2) t.anti_affinity_keys.push_back(keys[rng() % keys.size()]);
        pool.Allocate(id, t);
        want_alloc[id] += t.resources;
        live.push_back({id, t});
        break;
      }
      case 4:
        if (!live.empty()) {
          const size_t i = rng() % live.size();
          pool.Release(live[i].node, live[i].task);
          want_alloc[live[i].node] -= live[i].task.resources;
          live.erase(live.begin() + i);
        }
        break;
    }
    ASSERT_TRUE(IndexConsistent(pool)) << "after step " << step;
    std::set<std::string> want_draining;
    for (const auto& [nid, node] : pool.nodes()) {
      if (node.state == NODE_STATE_DRAINING) want_draining.insert(nid);
    }
    ASSERT_EQ(pool.draining(), want_draining) << "after step " << step;
    for (const auto& [nid, node] : pool.nodes()) {
      ASSERT_EQ(node.allocated, want_alloc[nid]) << nid << " after step " << step;
    }
    for (const auto& key : keys) {
      std::set<std::string> want;  // from the live tasks, not from the pool's own bookkeeping
      for (const Live& l : live) {
        for (const auto& k : l.task.affinity_keys) {
          if (k == key) want.insert(l.node);
        }
      }
      const auto* got = pool.NodesWithAffinityKey(key);
      ASSERT_EQ(got == nullptr ? std::set<std::string>{} : *got, want)
          << key << " after step " << step;
    }
  }
}

}  // namespace
}  // namespace spillway
