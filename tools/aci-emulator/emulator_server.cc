#include "tools/aci-emulator/emulator_server.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace spillway {
namespace {

constexpr absl::Duration kTickInterval = absl::Milliseconds(20);

}  // namespace

EmulatorServer::EmulatorServer(Emulator* emulator)
    : emulator_(emulator), server_(std::make_unique<httplib::Server>()) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    EmuRequest request;
    request.method = req.method;
    request.path = req.path;
    for (const auto& [key, value] : req.params) request.query[key] = value;
    for (const auto& [key, value] : req.headers) {
      request.headers[absl::AsciiStrToLower(key)] = value;
    }
    request.body = req.body;
    request.base_url = absl::StrCat("http://", req.get_header_value("Host"));
    EmuResponse response = emulator_->Handle(request);
    if (response.delay > absl::ZeroDuration()) {
      // Emulates a slow server (a create whose answer comes too late), not synchronisation.
      stopping_.WaitForNotificationWithTimeout(response.delay);
    }
    res.status = response.status;
    for (const auto& [key, value] : response.headers) res.set_header(key, value);
    if (!response.body.empty()) res.set_content(response.body, "application/json; charset=utf-8");
  };
  server_->Get(".*", handler);
  server_->Put(".*", handler);
  server_->Post(".*", handler);
  server_->Delete(".*", handler);
  server_->Patch(".*", handler);
}

EmulatorServer::~EmulatorServer() {
  Stop();
  if (ticker_.joinable()) ticker_.join();
}

absl::StatusOr<int> EmulatorServer::Bind(const std::string& host, int port) {
  const int bound = port == 0 ? server_->bind_to_any_port(host)
                              : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind ", host, ":", port));
  }
  return bound;
}

void EmulatorServer::Serve() {
  ticker_ = std::thread([this] {
    while (!stopping_.WaitForNotificationWithTimeout(kTickInterval)) emulator_->Tick();
  });
  server_->listen_after_bind();
}

void EmulatorServer::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  server_->stop();
}

}  // namespace spillway
