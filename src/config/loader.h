// loadConfig: reads the YAML a Gloo user would `kubectl apply` into plain resource structs
// (DESIGN §2). Every problem is reported to `diags` with file, document, resource and field path;
// loading never stops at the first error. The caller refuses the config when diags.hasErrors().
// Cross references (VirtualGateway names, secretRef Secrets, ExternalServices) are NOT checked
// here: Gloo tolerates dangling ones, and resolving them is the route/snapshot compiler's job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/resources.h"

namespace claimgate::config {

// Each path is a YAML file (multi-document) or a folder whose `*.yaml` / `*.yml` files are read in
// name order (not recursive). An unreadable path is an error.
ConfigSet loadConfig(const std::vector<std::string>& paths, Diagnostics& diags);

// Same as loadConfig for one in-memory YAML text; `display_name` stands for the file name in
// diagnostics. Appends to `into` (load order continues after what `into` already holds).
void loadConfigFromString(std::string_view text, std::string_view display_name, ConfigSet& into,
                          Diagnostics& diags);

// Convenience: a fresh ConfigSet from one text.
ConfigSet loadConfigFromString(std::string_view text, std::string_view display_name,
                               Diagnostics& diags);

}  // namespace claimgate::config
