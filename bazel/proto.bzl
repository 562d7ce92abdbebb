"""Generates C++ protobuf and gRPC code with Debian's protoc and grpc_cpp_plugin (nothing fetched)."""

def spillway_proto_library(name, srcs, deps = [], grpc = True, visibility = None):
    """Declares `name` as a cc_library of the generated code for `srcs` (paths relative to the repo root).

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other spillway_proto_library targets whose protos these import.
      grpc: also generate gRPC service stubs.
      visibility: of the cc_library.
    """
    pkg = native.package_name()
    outs = []
    hdrs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.cc", base + ".pb.h"]
        hdrs.append(base + ".pb.h")
        if grpc:
            outs += [base + ".grpc.pb.cc", base + ".grpc.pb.h"]
            hdrs.append(base + ".grpc.pb.h")
    plugin = ""
    if grpc:
        plugin = " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin)"
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = outs,
        cmd = "protoc -I. -I$(GENDIR) --cpp_out=$(GENDIR)" + plugin + " " +
              " ".join([pkg + "/" + s for s in srcs]),
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs,
        visibility = ["//visibility:public"],
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = hdrs,
        deps = ["//third_party:protobuf", "//third_party:grpc"] + deps,
        visibility = visibility,
    )
