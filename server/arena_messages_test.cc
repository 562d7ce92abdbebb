#include "server/arena_messages.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/spillway/v1/jobs.pb.h"

namespace spillway {
namespace {

using spillway::v1::SubmitJobRequest;
using spillway::v1::SubmitJobResponse;

TEST(ArenaMessagesTest, RequestAndResponseShareOneArenaPerCall) {
  ArenaMessages<SubmitJobRequest, SubmitJobResponse> allocator;
  grpc::MessageHolder<SubmitJobRequest, SubmitJobResponse>* first = allocator.AllocateMessages();
  grpc::MessageHolder<SubmitJobRequest, SubmitJobResponse>* second = allocator.AllocateMessages();
  ASSERT_NE(first->request()->GetArena(), nullptr);
  EXPECT_EQ(first->request()->GetArena(), first->response()->GetArena());
  EXPECT_NE(first->request()->GetArena(), second->request()->GetArena());
  first->Release();
  second->Release();
}

TEST(ArenaMessagesTest, HoldsMessagesLargerThanItsFirstBlock) {
  ArenaMessages<SubmitJobRequest, SubmitJobResponse> allocator;
  grpc::MessageHolder<SubmitJobRequest, SubmitJobResponse>* call = allocator.AllocateMessages();
  const std::string image(64 * 1024, 'x');  // Far beyond the 4 KiB block.
  call->request()->mutable_spec()->set_image(image);
  for (int i = 0; i < 200; ++i) call->response()->mutable_job()->mutable_spec()->add_command("c");
  *call->response()->mutable_job()->mutable_spec()->mutable_image() =
      call->request()->spec().image();
  EXPECT_EQ(call->response()->job().spec().image(), image);
  EXPECT_EQ(call->response()->job().spec().command_size(), 200);
  call->Release();
}

}  // namespace
}  // namespace spillway
