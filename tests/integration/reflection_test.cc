// Generic gRPC tools (grpcurl, grpc_cli) discover spillwayd's API through server reflection.
// Debian ships gRPC's reflection library without its generated headers, so this test speaks the
// protocol as raw bytes: a ServerReflectionRequest{list_services: ""} is field 7, length 0.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_callback.h>
#include <grpcpp/impl/codegen/sync_stream.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_cluster.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

TEST(ReflectionTest, ListsSpillwayServices) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  const grpc::internal::RpcMethod method(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING, cluster.channel());
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          cluster.channel().get(), method, &ctx));
  const char request[] = {0x3A, 0x00};  // list_services = ""
  grpc::Slice slice(request, sizeof(request));
  grpc::ByteBuffer buffer(&slice, 1);
  ASSERT_TRUE(stream->Write(buffer));
  stream->WritesDone();
  grpc::ByteBuffer reply;
  ASSERT_TRUE(stream->Read(&reply));
  const std::string bytes = ToString(reply);
  EXPECT_THAT(bytes, HasSubstr("spillway.v1.JobService"));
  EXPECT_THAT(bytes, HasSubstr("spillway.v1.AdminService"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  while (stream->Read(&reply)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace spillway
