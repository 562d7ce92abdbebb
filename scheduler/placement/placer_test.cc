#include "scheduler/placement/placer.h"

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using ::spillway::v1::NODE_STATE_CORDONED;
using ::spillway::v1::NODE_STATE_DOWN;
using ::spillway::v1::NODE_STATE_DRAINING;
using ::spillway::v1::PLACEMENT_STRATEGY_BIN_PACK;
using ::spillway::v1::PLACEMENT_STRATEGY_SPREAD;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// A node in a scenario: capacity, what is already allocated, labels, state, and the keys of a
// task already running there.
struct NodeRow {
  std::string id;
  Resources capacity;
  Resources allocated;
  std::map<std::string, std::string> labels = {};
  spillway::v1::NodeState state = spillway::v1::NODE_STATE_READY;
  std::vector<std::string> affinity = {};
  std::vector<std::string> anti_affinity = {};
};

NodePool MakePool(const std::vector<NodeRow>& rows) {
  NodePool pool;
  for (const NodeRow& row : rows) {
    pool.Upsert(row.id, row.capacity, row.labels);
    if (!row.allocated.IsZero() || !row.affinity.empty() || !row.anti_affinity.empty()) {
      pool.Allocate(row.id, TaskFootprint{absl::StrCat("existing-", row.id, "#1"), row.allocated,
                                          row.affinity, row.anti_affinity});
    }
    if (row.state != spillway::v1::NODE_STATE_READY) pool.SetState(row.id, row.state);
  }
  return pool;
}

// Owns the proto containers a PlacementRequest points into.
struct Job {
  Resources resources;
  google::protobuf::Map<std::string, std::string> node_selector;
  google::protobuf::RepeatedPtrField<std::string> affinity;
  google::protobuf::RepeatedPtrField<std::string> anti_affinity;

  PlacementRequest Request() const {
    PlacementRequest r;
    r.resources = resources;
    r.node_selector = &node_selector;
    r.affinity = &affinity;
    r.anti_affinity = &anti_affinity;
    return r;
  }
};

Job MakeJob(Resources r, std::map<std::string, std::string> selector = {},
            std::vector<std::string> affinity = {}, std::vector<std::string> anti = {}) {
  Job j;
  j.resources = r;
  for (const auto& [k, v] : selector) j.node_selector[k] = v;
  for (const auto& k : affinity) *j.affinity.Add() = k;
  for (const auto& k : anti) *j.anti_affinity.Add() = k;
  return j;
}

PlacementOptions Options(spillway::v1::PlacementStrategy strategy, int affinity_weight = 50,
                         int candidate_limit = 8) {
  PlacementOptions o;
  o.strategy = strategy;
  o.affinity_weight = affinity_weight;
  o.candidate_limit = candidate_limit;
  return o;
}

std::string ChosenId(const PlacementResult& r) { return r.node == nullptr ? "<none>" : r.node->id; }

// Equal nodes of 4 vCPU / 16 GiB; free cpu n1 1000, n2 3000, n3 1500, n4 4000.
std::vector<NodeRow> EqualNodes() {
  return {
      {"n1", {4000, 16384}, {3000, 12288}},
      {"n2", {4000, 16384}, {1000, 4096}},
      {"n3", {4000, 16384}, {2500, 10240}},
      {"n4", {4000, 16384}, {0, 0}},
  };
}

// ---------------------------------------------------------------------------------------------
// Scenario table: which node each request lands on.

struct PlaceCase {
  std::string name;
  std::vector<NodeRow> nodes;
  Job job;
  PlacementOptions options;
  std::string want;  // node id, or "<none>"
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const PlaceCase& c, std::ostream* os) { *os << c.name; }

class PlaceScenarioTest : public ::testing::TestWithParam<PlaceCase> {};

TEST_P(PlaceScenarioTest, ChoosesExpectedNode) {
  const NodePool pool = MakePool(GetParam().nodes);
  const PlacementResult r = Place(pool, GetParam().job.Request(), GetParam().options);
  EXPECT_EQ(ChosenId(r), GetParam().want) << r.Explain();
  if (r.node != nullptr) {
    // Whatever was chosen must actually be feasible.
    EXPECT_EQ(FirstRejection(*r.node, GetParam().job.Request(), nullptr), nullptr);
    EXPECT_TRUE(r.rejections.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, PlaceScenarioTest,
    ::testing::Values(
        // Bin-pack: the tightest node that fits. 1 vCPU / 4 GiB fills n1 completely.
        PlaceCase{"BinPackTightest", EqualNodes(), MakeJob({1000, 4096}),
                  Options(PLACEMENT_STRATEGY_BIN_PACK), "n1"},
        // 1.2 vCPU no longer fits n1 (1000 free); n3 (1500 free) is next tightest.
        PlaceCase{"BinPackNextTightestWhenTightestTooSmall", EqualNodes(), MakeJob({1200, 1024}),
                  Options(PLACEMENT_STRATEGY_BIN_PACK), "n3"},
        // Memory counts too: n1 has the cpu but only 4 GiB free.
        PlaceCase{"BinPackSkipsNodeShortOfMemory", EqualNodes(), MakeJob({1000, 5000}),
                  Options(PLACEMENT_STRATEGY_BIN_PACK), "n3"},
        // Unspecified strategy = bin-pack.
        PlaceCase{"UnspecifiedIsBinPack", EqualNodes(), MakeJob({1000, 4096}),
                  Options(spillway::v1::PLACEMENT_STRATEGY_UNSPECIFIED), "n1"},
        // Spread: the emptiest node.
        PlaceCase{"SpreadEmptiest", EqualNodes(), MakeJob({1000, 1024}),
                  Options(PLACEMENT_STRATEGY_SPREAD), "n4"},
        PlaceCase{"SpreadEmptiestAmongFeasible",
                  {{"n1", {4000, 16384}, {3000, 0}},
                   {"n2", {4000, 16384}, {1000, 0}},
                   {"n4", {4000, 16384}, {0, 0}, {}, NODE_STATE_CORDONED}},
                  MakeJob({500, 1024}), Options(PLACEMENT_STRATEGY_SPREAD), "n2"},
        // Ties go to the smallest node id, in either strategy and whatever the insertion order.
        PlaceCase{"BinPackTieSmallestId",
                  {{"c", {4000, 16384}, {}}, {"a", {4000, 16384}, {}}, {"b", {4000, 16384}, {}}},
                  MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_BIN_PACK), "a"},
        PlaceCase{"SpreadTieSmallestId",
                  {{"c", {4000, 16384}, {}}, {"b", {4000, 16384}, {}}, {"a", {4000, 16384}, {}}},
                  MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_SPREAD), "a"},
        PlaceCase{"TieAmongBusyNodesSmallestId",
                  {{"vm-9", {4000, 16384}, {2000, 8192}},
                   {"vm-3", {4000, 16384}, {2000, 8192}},
                   {"vm-5", {4000, 16384}, {0, 0}}},
                  MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_BIN_PACK), "vm-3"},
        // Node selector: only the labelled node qualifies, though n1 is tighter.
        PlaceCase{"NodeSelector",
                  {{"n1", {4000, 16384}, {3000, 0}, {{"zone", "a"}}},
                   {"n2", {4000, 16384}, {0, 0}, {{"zone", "b"}, {"gpu", "t4"}}}},
                  MakeJob({1000, 1024}, {{"zone", "b"}}), Options(PLACEMENT_STRATEGY_BIN_PACK),
                  "n2"},
        PlaceCase{"NodeSelectorNeedsAllLabels",
                  {{"n1", {4000, 16384}, {}, {{"zone", "b"}}},
                   {"n2", {4000, 16384}, {2000, 0}, {{"zone", "b"}, {"gpu", "t4"}}}},
                  MakeJob({1000, 1024}, {{"zone", "b"}, {"gpu", "t4"}}),
                  Options(PLACEMENT_STRATEGY_SPREAD), "n2"},
        PlaceCase{"NodeSelectorNoMatch",
                  {{"n1", {4000, 16384}, {}, {{"zone", "a"}}}},
                  MakeJob({1000, 1024}, {{"zone", "b"}}), Options(PLACEMENT_STRATEGY_BIN_PACK),
                  "<none>"},
        // Anti-affinity: never next to a task with the same key, though n1 is tighter.
        PlaceCase{"AntiAffinity",
                  {{"n1", {4000, 16384}, {3000, 0}, {}, spillway::v1::NODE_STATE_READY, {}, {"db"}},
                   {"n2", {4000, 16384}, {0, 0}}},
                  MakeJob({1000, 1024}, {}, {}, {"db"}), Options(PLACEMENT_STRATEGY_BIN_PACK),
                  "n2"},
        PlaceCase{"AntiAffinityOtherKeyNoConflict",
                  {{"n1", {4000, 16384}, {3000, 0}, {}, spillway::v1::NODE_STATE_READY, {}, {"db"}},
                   {"n2", {4000, 16384}, {0, 0}}},
                  MakeJob({1000, 1024}, {}, {}, {"cache"}), Options(PLACEMENT_STRATEGY_BIN_PACK),
                  "n1"},
        // Cordoned, draining and down nodes are skipped, even though they are tighter.
        PlaceCase{"NonReadyNodesSkipped",
                  {{"a-cordoned", {4000, 16384}, {3000, 0}, {}, NODE_STATE_CORDONED},
                   {"b-draining", {4000, 16384}, {3000, 0}, {}, NODE_STATE_DRAINING},
                   {"c-down", {4000, 16384}, {3000, 0}, {}, NODE_STATE_DOWN},
                   {"d-ready", {4000, 16384}, {0, 0}}},
                  MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_BIN_PACK), "d-ready"},
        PlaceCase{"OnlyNonReadyNodes",
                  {{"a", {4000, 16384}, {}, {}, NODE_STATE_CORDONED},
                   {"b", {4000, 16384}, {}, {}, NODE_STATE_DOWN}},
                  MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_SPREAD), "<none>"},
        // Affinity: n2 already hosts a task with key "cache". Bin-pack alone prefers n1
        // (75% utilised after placement vs 37.5%), but a full affinity share at weight 50 is worth
        // more than the 37.5-point utilisation gap at weight 100.
        PlaceCase{"AffinityPullsToKeyHolder",
                  {{"n1", {4000, 16384}, {2000, 8192}},
                   {"n2", {4000, 16384}, {500, 2048}, {}, spillway::v1::NODE_STATE_READY, {"cache"}}},
                  MakeJob({1000, 4096}, {}, {"cache"}), Options(PLACEMENT_STRATEGY_BIN_PACK, 50),
                  "n2"},
        PlaceCase{"AffinityWeightZeroIgnoresKeys",
                  {{"n1", {4000, 16384}, {2000, 8192}},
                   {"n2", {4000, 16384}, {500, 2048}, {}, spillway::v1::NODE_STATE_READY, {"cache"}}},
                  MakeJob({1000, 4096}, {}, {"cache"}), Options(PLACEMENT_STRATEGY_BIN_PACK, 0),
                  "n1"},
        // The key holder is found even when the free-cpu walk would stop before reaching it.
        PlaceCase{"AffinityCandidateBeyondLimit",
                  {{"n1", {4000, 16384}, {2000, 8192}},
                   {"n2", {4000, 16384}, {500, 2048}, {}, spillway::v1::NODE_STATE_READY, {"cache"}}},
                  MakeJob({1000, 4096}, {}, {"cache"}),
                  Options(PLACEMENT_STRATEGY_BIN_PACK, 100, 1), "n2"},
        // A key holder that cannot take the job does not win.
        PlaceCase{"AffinityHolderFullFallsBack",
                  {{"n1", {4000, 16384}, {2000, 8192}},
                   {"n2", {4000, 16384}, {3500, 2048}, {}, spillway::v1::NODE_STATE_READY, {"cache"}}},
                  MakeJob({1000, 4096}, {}, {"cache"}), Options(PLACEMENT_STRATEGY_BIN_PACK, 100),
                  "n1"},
        PlaceCase{"AffinityHolderCordonedFallsBack",
                  {{"n1", {4000, 16384}, {2000, 8192}},
                   {"n2", {4000, 16384}, {500, 2048}, {}, NODE_STATE_CORDONED, {"cache"}}},
                  MakeJob({1000, 4096}, {}, {"cache"}), Options(PLACEMENT_STRATEGY_BIN_PACK, 100),
                  "n1"},
        // Spread with affinity: the emptiest node loses to the key holder at full weight.
        PlaceCase{"SpreadAffinity",
                  {{"n1", {4000, 16384}, {0, 0}},
                   {"n2", {4000, 16384}, {1000, 4096}, {}, spillway::v1::NODE_STATE_READY, {"cache"}}},
                  MakeJob({1000, 4096}, {}, {"cache"}), Options(PLACEMENT_STRATEGY_SPREAD, 100),
                  "n2"},
        PlaceCase{"EmptyPool", {}, MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_BIN_PACK),
                  "<none>"},
        PlaceCase{"ExactFitAccepted", {{"n1", {4000, 16384}, {3000, 15360}}},
                  MakeJob({1000, 1024}), Options(PLACEMENT_STRATEGY_BIN_PACK), "n1"},
        PlaceCase{"OneMillicoreTooMany", {{"n1", {4000, 16384}, {3000, 0}}},
                  MakeJob({1001, 1024}), Options(PLACEMENT_STRATEGY_SPREAD), "<none>"}),
    [](const ::testing::TestParamInfo<PlaceCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// candidate_limit: the walk stops after K feasible nodes and picks the best among them.

// Walk order by free cpu: a (1500), b (2000), c (2500). Utilisation after placing 1 vCPU / 1000 MiB
// (average of cpu and memory): a (75% + 12.5%)/2 = 43.75%, b (50% + 50%)/2 = 50%,
// c (62.5% + 100%)/2 = 81.25%. So the first node in the walk is not the best of the first two.
std::vector<NodeRow> LimitNodes() {
  return {
      {"a", {2000, 8000}, {500, 0}},
      {"b", {2000, 2000}, {0, 0}},
      {"c", {4000, 1000}, {1500, 0}},
  };
}

TEST(CandidateLimitTest, BestAmongFirstK) {
  const NodePool pool = MakePool(LimitNodes());
  const Job job = MakeJob({1000, 1000});
  struct Row {
    int limit;
    std::string want;
  };
  for (const Row& row : {Row{1, "a"}, Row{2, "b"}, Row{3, "c"}, Row{8, "c"}}) {
    SCOPED_TRACE(row.limit);
    const PlacementResult r =
        Place(pool, job.Request(), Options(PLACEMENT_STRATEGY_BIN_PACK, 50, row.limit));
    EXPECT_EQ(ChosenId(r), row.want);
    EXPECT_LE(r.feasible_seen, row.limit);
  }
}

TEST(CandidateLimitTest, InfeasibleNodesDoNotUseUpTheLimit) {
  // x has the least free cpu that fits but not enough memory; the limit of 1 still reaches a.
  std::vector<NodeRow> nodes = LimitNodes();
  nodes.push_back({"x", {2000, 8000}, {800, 7900}});
  const NodePool pool = MakePool(nodes);
  const PlacementResult r =
      Place(pool, MakeJob({1000, 1000}).Request(), Options(PLACEMENT_STRATEGY_BIN_PACK, 50, 1));
  EXPECT_EQ(ChosenId(r), "a");
  EXPECT_EQ(r.feasible_seen, 1);
}

TEST(CandidateLimitTest, SpreadWalksFromTheEmptiest) {
  // Spread with K=1 takes the node with the most free cpu first.
  const NodePool pool = MakePool(EqualNodes());
  const PlacementResult r =
      Place(pool, MakeJob({500, 512}).Request(), Options(PLACEMENT_STRATEGY_SPREAD, 50, 1));
  EXPECT_EQ(ChosenId(r), "n4");
}

TEST(CandidateLimitTest, LargePoolStillPlacesOnTightest) {
  // 1000 nodes; exactly one has exactly the request free. Bin-pack with a small limit finds it.
  std::vector<NodeRow> nodes;
  for (int i = 0; i < 1000; ++i) {
    nodes.push_back({absl::StrCat("vm-", 1000 + i), {8000, 32768}, {i == 617 ? 7000 : 0, 0}});
  }
  const NodePool pool = MakePool(nodes);
  const PlacementResult r =
      Place(pool, MakeJob({1000, 1024}).Request(), Options(PLACEMENT_STRATEGY_BIN_PACK, 50, 4));
  EXPECT_EQ(ChosenId(r), "vm-1617");
  EXPECT_LE(r.feasible_seen, 4);
}

// ---------------------------------------------------------------------------------------------
// Caller filter (reservations).

TEST(CallerFilterTest, ReservedNodeIsSkipped) {
  const NodePool pool = MakePool(EqualNodes());
  const NodeFilter not_n1 = [](const NodeInfo& n) { return n.id != "n1"; };
  const PlacementResult r = Place(pool, MakeJob({1000, 1024}).Request(),
                                  Options(PLACEMENT_STRATEGY_BIN_PACK), &not_n1);
  EXPECT_EQ(ChosenId(r), "n3");
}

TEST(CallerFilterTest, AllReservedCountsAsReserved) {
  const NodePool pool = MakePool(EqualNodes());
  const NodeFilter none = [](const NodeInfo&) { return false; };
  const PlacementResult r = Place(pool, MakeJob({1200, 1024}).Request(),
                                  Options(PLACEMENT_STRATEGY_BIN_PACK), &none);
  EXPECT_EQ(r.node, nullptr);
  // n1 (1000 free) is short of cpu before the caller filter is asked; n2, n3, n4 are reserved.
  EXPECT_THAT(r.rejections,
              UnorderedElementsAre(Pair(kRejectCpu, 1), Pair(kRejectReserved, 3)));
}

// ---------------------------------------------------------------------------------------------
// Rejections and Explain() when nothing fits.

TEST(RejectionsTest, CountsPerReasonWhenNothingFits) {
  const NodePool pool = MakePool({
      {"cpu1", {4000, 16384}, {3500, 0}},
      {"cpu2", {4000, 16384}, {3900, 0}},
      {"cpu3", {2000, 16384}, {0, 0}},  // capacity too small
      {"mem1", {8000, 4096}, {0, 0}},
      {"cord", {8000, 16384}, {}, {}, NODE_STATE_CORDONED},
      {"drain", {8000, 16384}, {}, {}, NODE_STATE_DRAINING},
      {"down1", {8000, 16384}, {}, {}, NODE_STATE_DOWN},
      {"down2", {8000, 16384}, {}, {}, NODE_STATE_DOWN},
      {"zone", {8000, 16384}, {}, {{"zone", "b"}}},
      {"anti", {8000, 16384}, {1, 1}, {{"zone", "a"}}, spillway::v1::NODE_STATE_READY, {}, {"db"}},
  });
  const Job job = MakeJob({3000, 8192}, {{"zone", "a"}}, {}, {"db"});
  const PlacementResult r = Place(pool, job.Request(), Options(PLACEMENT_STRATEGY_BIN_PACK));
  ASSERT_EQ(r.node, nullptr);
  EXPECT_EQ(r.feasible_seen, 0);
  EXPECT_THAT(r.rejections,
              UnorderedElementsAre(Pair(kRejectCpu, 3), Pair(kRejectMemory, 1),
                                   Pair(kRejectCordoned, 1), Pair(kRejectDraining, 1),
                                   Pair(kRejectDown, 2), Pair(kRejectSelector, 1),
                                   Pair(kRejectAntiAffinity, 1)));
  const std::string text = r.Explain();
  EXPECT_THAT(text, StartsWith("no VM node fits"));
  EXPECT_THAT(text, HasSubstr("3 nodes: insufficient cpu"));
  EXPECT_THAT(text, HasSubstr("1 node: insufficient memory"));
  EXPECT_THAT(text, HasSubstr("1 node: cordoned"));
  EXPECT_THAT(text, HasSubstr("1 node: draining"));
  EXPECT_THAT(text, HasSubstr("2 nodes: node down"));
  EXPECT_THAT(text, HasSubstr("1 node: node selector mismatch"));
  EXPECT_THAT(text, HasSubstr("1 node: anti-affinity conflict"));
}

TEST(RejectionsTest, FirstFailingFilterInDocumentedOrderWins) {
  // Each node fails several filters; it is counted once, under the first in the documented order
  // state -> cpu -> memory -> selector -> anti-affinity -> caller filter.
  const Job job = MakeJob({2000, 8192}, {{"zone", "a"}}, {}, {"db"});
  const PlacementRequest req = job.Request();
  const NodeFilter reject_all = [](const NodeInfo&) { return false; };
  struct Row {
    NodeRow node;
    const char* want;
  };
  const std::vector<Row> rows = {
      {{"n", {1000, 1024}, {}, {{"zone", "b"}}, NODE_STATE_CORDONED, {}, {"db"}}, kRejectCordoned},
      {{"n", {1000, 1024}, {}, {{"zone", "b"}}, NODE_STATE_DOWN}, kRejectDown},
      {{"n", {1000, 1024}, {}, {{"zone", "b"}}}, kRejectCpu},
      {{"n", {4000, 1024}, {}, {{"zone", "b"}}}, kRejectMemory},
      {{"n", {4000, 16384}, {1, 1}, {{"zone", "b"}}, spillway::v1::NODE_STATE_READY, {}, {"db"}},
       kRejectSelector},
      {{"n", {4000, 16384}, {1, 1}, {{"zone", "a"}}, spillway::v1::NODE_STATE_READY, {}, {"db"}},
       kRejectAntiAffinity},
      {{"n", {4000, 16384}, {}, {{"zone", "a"}}}, kRejectReserved},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.want);
    const NodePool pool = MakePool({row.node});
    const char* got = FirstRejection(*pool.Find("n"), req, &reject_all);
    ASSERT_NE(got, nullptr);
    EXPECT_STREQ(got, row.want);
  }
  // The last node is feasible without the caller filter.
  const NodePool pool = MakePool({rows.back().node});
  EXPECT_EQ(FirstRejection(*pool.Find("n"), req, nullptr), nullptr);
}

TEST(RejectionsTest, EmptyPoolHasNoRejectionsButAnExplanation) {
  const NodePool pool;
  const PlacementResult r =
      Place(pool, MakeJob({1000, 1024}).Request(), Options(PLACEMENT_STRATEGY_BIN_PACK));
  EXPECT_EQ(r.node, nullptr);
  EXPECT_THAT(r.rejections, IsEmpty());
  EXPECT_THAT(r.Explain(), Not(IsEmpty()));
}

TEST(ExplainTest, PlacedNamesNodeAndScore) {
  const NodePool pool = MakePool(EqualNodes());
  const PlacementResult r =
      Place(pool, MakeJob({1000, 4096}).Request(), Options(PLACEMENT_STRATEGY_BIN_PACK));
  ASSERT_NE(r.node, nullptr);
  EXPECT_EQ(r.Explain(), absl::StrCat("placed on n1 (score ", r.score, ")"));
  EXPECT_THAT(r.rejections, IsEmpty());
}

TEST(ScoreTest, TighterNodeScoresHigherUnderBinPackAndLowerUnderSpread) {
  // Same job, same nodes: the bin-pack winner's score beats the spread winner's score under
  // bin-pack, and vice versa -- the two strategies are complements.
  const NodePool tight = MakePool({{"t", {4000, 16384}, {3000, 12288}}});
  const NodePool empty = MakePool({{"e", {4000, 16384}, {0, 0}}});
  const Job job = MakeJob({1000, 4096});
  const auto bp = Options(PLACEMENT_STRATEGY_BIN_PACK);
  const auto sp = Options(PLACEMENT_STRATEGY_SPREAD);
  EXPECT_GT(Place(tight, job.Request(), bp).score, Place(empty, job.Request(), bp).score);
  EXPECT_LT(Place(tight, job.Request(), sp).score, Place(empty, job.Request(), sp).score);
}

// ---------------------------------------------------------------------------------------------
// CouldEverFit: static feasibility for wait prediction.

TEST(CouldEverFitTest, Table) {
  const Job job = MakeJob({2000, 4096}, {{"zone", "a"}});
  struct Row {
    std::string name;
    NodeRow node;
    bool want;
  };
  for (const Row& row : std::vector<Row>{
           {"BusyButBigEnough", {"n", {4000, 16384}, {4000, 16384}, {{"zone", "a"}}}, true},
           {"CapacityTooSmallCpu", {"n", {1000, 16384}, {}, {{"zone", "a"}}}, false},
           {"CapacityTooSmallMemory", {"n", {4000, 2048}, {}, {{"zone", "a"}}}, false},
           {"SelectorMismatch", {"n", {4000, 16384}, {}, {{"zone", "b"}}}, false},
           {"Cordoned", {"n", {4000, 16384}, {}, {{"zone", "a"}}, NODE_STATE_CORDONED}, false},
           {"Down", {"n", {4000, 16384}, {}, {{"zone", "a"}}, NODE_STATE_DOWN}, false},
       }) {
    SCOPED_TRACE(row.name);
    const NodePool pool = MakePool({row.node});
    EXPECT_EQ(CouldEverFit(*pool.Find("n"), job.Request()), row.want);
  }
}

// ---------------------------------------------------------------------------------------------
// Placement after pool changes uses the updated index.

TEST(PlaceAfterChangesTest, FollowsAllocateReleaseAndStateChanges) {
  NodePool pool = MakePool({{"n1", {4000, 16384}, {}}, {"n2", {4000, 16384}, {}}});
  const Job job = MakeJob({1000, 1024});
  const auto bp = Options(PLACEMENT_STRATEGY_BIN_PACK);
  EXPECT_EQ(ChosenId(Place(pool, job.Request(), bp)), "n1");  // tie -> smallest id
  pool.Allocate("n2", TaskFootprint{"t#1", {2000, 2048}, {}, {}});
  EXPECT_EQ(ChosenId(Place(pool, job.Request(), bp)), "n2");  // n2 now tighter
  pool.SetState("n2", NODE_STATE_DRAINING);
  EXPECT_EQ(ChosenId(Place(pool, job.Request(), bp)), "n1");
  pool.SetState("n2", spillway::v1::NODE_STATE_READY);
  pool.Release("n2", TaskFootprint{"t#1", {2000, 2048}, {}, {}});
  pool.Allocate("n1", TaskFootprint{"t#2", {3000, 1024}, {}, {}});
  EXPECT_EQ(ChosenId(Place(pool, job.Request(), bp)), "n1");  // exactly 1000 free
  pool.Upsert("n1", {3500, 16384}, {});                      // shrinks below allocation + job
  EXPECT_EQ(ChosenId(Place(pool, job.Request(), bp)), "n2");
}

}  // namespace
}  // namespace spillway
