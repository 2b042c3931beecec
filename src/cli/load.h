// Loading and compiling config for `validate` and `serve`: one code path, so what validate
// accepts is exactly what serve runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "snapshot/snapshot.h"

namespace claimgate::cli {

// Loads the YAML at `paths` and compiles it. Prints every warning and error to stderr. Returns
// nullptr when there is any error.
std::shared_ptr<const snapshot::Snapshot> loadSnapshot(const std::vector<std::string>& paths,
                                                       config::Diagnostics& diags);

}  // namespace claimgate::cli
