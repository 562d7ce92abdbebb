#include "server/redaction.h"

namespace spillway {

void RedactSpecInPlace(spillway::v1::JobSpec& spec) {
  for (spillway::v1::EnvVar& env : *spec.mutable_env()) {
    if (env.secret()) env.clear_value();
  }
}

spillway::v1::JobSpec RedactSpec(const spillway::v1::JobSpec& spec) {
  spillway::v1::JobSpec copy = spec;
  RedactSpecInPlace(copy);
  return copy;
}

void RedactJobInto(const spillway::v1::Job& job, spillway::v1::Job& out) {
  out.CopyFrom(job);
  RedactSpecInPlace(*out.mutable_spec());
}

spillway::v1::Job RedactJob(const spillway::v1::Job& job) {
  spillway::v1::Job copy;
  RedactJobInto(job, copy);
  return copy;
}

}  // namespace spillway
