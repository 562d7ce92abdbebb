// The emulator's model without HTTP: validation, echo rules, quotas, async states, auth.
#include "common/poll.h"
#include "tools/aci-emulator/emulator.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace spillway {
namespace {

constexpr char kGroups[] =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups";

std::string Body(const std::string& cpu = "1", const std::string& extra_env = "") {
  return R"({"location":"eastus","tags":{"spillway-cluster":"c"},"properties":{"osType":"Linux",
    "restartPolicy":"Never","imageRegistryCredentials":[{"server":"r","username":"u","password":"pw"}],
    "containers":[{"name":"main","properties":{"image":"busybox","command":["sh","-c","printf '\\377ok'; exit 5"],
    "environmentVariables":[{"name":"A","value":"1"},{"name":"S","secureValue":"hidden"})" +
         extra_env + R"(],
    "resources":{"requests":{"cpu":)" + cpu + R"(,"memoryInGB":1.5}}}}]}})";
}

class EmulatorTest : public ::testing::Test {
 protected:
  EmulatorTest() {
    char dir[] = "/tmp/emulator-test-XXXXXX";
    log_dir_ = mkdtemp(dir);
    options_.provisioning_min = absl::Seconds(2);
    options_.provisioning_max = absl::Seconds(2);
    options_.max_groups = 2;
  }
  EmuResponse Call(const std::string& method, const std::string& path,
                   const std::string& body = "", const std::string& version = "2023-05-01") {
    EmuRequest request;
    request.method = method;
    request.path = path;
    request.query["api-version"] = version;
    request.body = body;
    request.base_url = "http://emu";
    return emulator_->Handle(request);
  }
  nlohmann::json Json(const EmuResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }
  void Make() { emulator_ = std::make_unique<Emulator>(options_, &clock_, log_dir_); }

  SimulatedClock clock_;
  EmulatorOptions options_;
  std::string log_dir_;
  std::unique_ptr<Emulator> emulator_;
};

TEST_F(EmulatorTest, CreateIsAsyncAndNeverEchoesSecrets) {
  Make();
  const std::string url = std::string(kGroups) + "/g1";
  EmuResponse created = Call("PUT", url, Body());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers["Azure-AsyncOperation"].rfind("http://emu/subscriptions/s/providers/"
                                                          "Microsoft.ContainerInstance/locations/"
                                                          "eastus/operations/", 0), 0u);
  EXPECT_EQ(created.body.find("hidden"), std::string::npos);
  EXPECT_EQ(created.body.find("pw"), std::string::npos);
  EXPECT_EQ(Json(created)["properties"]["provisioningState"], "Creating");
  EXPECT_EQ(Call("PUT", url, Body()).status, 200);  // Idempotent.
  // Lists carry no instanceView.
  const nlohmann::json list = Json(Call("GET", kGroups));
  ASSERT_EQ(list["value"].size(), 1u);
  EXPECT_FALSE(list["value"][0]["properties"].contains("instanceView"));
  EXPECT_TRUE(Json(Call("GET", url))["properties"].contains("instanceView"));
  // Provisioning ends, the process runs and exits 5.
  clock_.Advance(absl::Seconds(3));
  emulator_->Tick();
  nlohmann::json group;
  // The child exits at once; its exit is noticed by the emulator's reaper: wait with a deadline.
  PollUntil(
      [&] {
        emulator_->Tick();
        group = Json(Call("GET", url));
        return group["properties"]["containers"][0]["properties"]["instanceView"]["currentState"]
                    ["state"] == "Terminated";
      },
      absl::Seconds(20), absl::Milliseconds(1));
  const nlohmann::json& state =
      group["properties"]["containers"][0]["properties"]["instanceView"]["currentState"];
  EXPECT_EQ(state["state"], "Terminated");
  EXPECT_EQ(state["exitCode"], 5);
  EXPECT_EQ(group["properties"]["provisioningState"], "Succeeded");
  // Output that is not UTF-8 is served (replaced), never fatal.
  EmuResponse logs = Call("GET", url + "/containers/main/logs");
  ASSERT_EQ(logs.status, 200);
  EXPECT_EQ(Json(logs)["content"], "\xEF\xBF\xBDok");
  EXPECT_EQ(Call("DELETE", url).status, 200);
  EXPECT_EQ(Call("DELETE", url).status, 204);
  EXPECT_EQ(Call("GET", url).status, 404);
  // 3 s of 1 vCPU + 1.5 GB.
  EXPECT_EQ(emulator_->BillMicroUsd(), AciCostMicroUsd(Resources{1000, 1536}, absl::Seconds(3),
                                                       options_.prices));
}

TEST_F(EmulatorTest, ValidatesLikeArm) {
  Make();
  EXPECT_EQ(Call("PUT", std::string(kGroups) + "/Bad_Name", Body()).status, 400);
  EXPECT_EQ(Json(Call("PUT", std::string(kGroups) + "/a--b", Body()))["error"]["code"],
            "ContainerGroupNameInvalid");
  EXPECT_EQ(Json(Call("PUT", std::string(kGroups) + "/g", Body(), "2019-01-01"))["error"]["code"],
            "NoRegisteredProviderFound");
  EXPECT_EQ(Json(Call("PUT", std::string(kGroups) + "/g", Body("8")))["error"]["code"],
            "ResourceRequestsNotAvailable");
  EXPECT_EQ(Json(Call("PUT", std::string(kGroups) + "/g", Body("0.005")))["error"]["code"],
            "InvalidRequestContent");
  std::string no_requests = Body();
  no_requests.replace(no_requests.find("\"cpu\":1,"), 8, "");
  EXPECT_EQ(Json(Call("PUT", std::string(kGroups) + "/g", no_requests))["error"]["code"],
            "ResourceSomeRequestsNotSpecified");
  EXPECT_EQ(Call("PUT", std::string(kGroups) + "/g1", Body()).status, 201);
  EXPECT_EQ(Call("PUT", std::string(kGroups) + "/g2", Body()).status, 201);
  EmuResponse quota = Call("PUT", std::string(kGroups) + "/g3", Body());
  EXPECT_EQ(quota.status, 400);
  EXPECT_EQ(Json(quota)["error"]["code"], "ContainerGroupQuotaReached");
  const nlohmann::json usages = Json(Call(
      "GET", "/subscriptions/s/providers/Microsoft.ContainerInstance/locations/eastus/usages"));
  EXPECT_EQ(usages["value"][0]["name"]["value"], "ContainerGroups");
  EXPECT_EQ(usages["value"][0]["currentValue"], 2);
  EXPECT_EQ(usages["value"][0]["limit"], 2);
}

TEST_F(EmulatorTest, AuthAndImds) {
  options_.require_auth = true;
  options_.client_secret = "right";
  Make();
  EXPECT_EQ(Call("GET", kGroups).status, 401);
  EmuRequest token;
  token.method = "POST";
  token.path = "/tenant/oauth2/v2.0/token";
  token.body = "grant_type=client_credentials&client_id=a&client_secret=wrong";
  EXPECT_EQ(emulator_->Handle(token).status, 401);
  token.body = "grant_type=client_credentials&client_id=a&client_secret=right";
  const nlohmann::json issued = Json(emulator_->Handle(token));
  EXPECT_EQ(issued["token_type"], "Bearer");
  EXPECT_TRUE(issued["expires_in"].is_number());
  EmuRequest list;
  list.method = "GET";
  list.path = kGroups;
  list.query["api-version"] = "2023-05-01";
  list.headers["authorization"] = "Bearer " + issued["access_token"].get<std::string>();
  EXPECT_EQ(emulator_->Handle(list).status, 200);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Json(emulator_->Handle(list))["error"]["code"], "ExpiredAuthenticationToken");
  EmuRequest imds;
  imds.method = "GET";
  imds.path = "/metadata/identity/oauth2/token";
  imds.query["resource"] = "https://management.azure.com/";
  EXPECT_EQ(emulator_->Handle(imds).status, 400);  // No Metadata header.
  imds.headers["metadata"] = "true";
  const nlohmann::json mi = Json(emulator_->Handle(imds));
  EXPECT_TRUE(mi["expires_in"].is_string());
}

TEST_F(EmulatorTest, SlowDeletesAndAsyncCapacityFailures) {
  options_.faults.delete_latency = absl::Seconds(5);
  options_.faults.p_capacity_async = 1.0;
  Make();
  const std::string url = std::string(kGroups) + "/g1";
  EmuResponse created = Call("PUT", url, Body());
  ASSERT_EQ(created.status, 201);
  std::string op = created.headers["Azure-AsyncOperation"];
  op = op.substr(std::string("http://emu").size(), op.find('?') - std::string("http://emu").size());
  EXPECT_EQ(Json(Call("GET", op))["status"], "InProgress");
  clock_.Advance(absl::Seconds(3));
  emulator_->Tick();
  const nlohmann::json failed = Json(Call("GET", op));
  EXPECT_EQ(failed["status"], "Failed");
  EXPECT_EQ(failed["error"]["code"], "InsufficientCapacity");
  EXPECT_EQ(Json(Call("GET", url))["properties"]["provisioningState"], "Failed");
  EmuResponse deleting = Call("DELETE", url);
  EXPECT_EQ(deleting.status, 202);
  EXPECT_EQ(Json(Call("GET", url))["properties"]["provisioningState"], "Deleting");
  EXPECT_EQ(Call("PUT", url, Body()).status, 409);  // Transitioning.
  clock_.Advance(absl::Seconds(5));
  emulator_->Tick();
  EXPECT_EQ(Call("GET", url).status, 404);
  // Billed until the delete finished: 8 s.
  EXPECT_EQ(emulator_->BillMicroUsd(), AciCostMicroUsd(Resources{1000, 1536}, absl::Seconds(8),
                                                       options_.prices));
}

}  // namespace
}  // namespace spillway
