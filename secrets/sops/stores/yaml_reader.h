/// Reading YAML into the tree: libyaml's events, typed as go-yaml v3 types them, with the
/// comments (which libyaml does not report) recovered from the text between tokens and
/// attached to the collection they sit in, as sops keeps them.
#pragma once

#include <string_view>

#include "secrets/sops/tree.h"

namespace varan::sops::yaml_store {

/// The documents of a YAML stream. Throws Error(kGeneric, "Error unmarshaling input
/// YAML: ...") naming the line where it can.
Branches read_documents(std::string_view in);

}  // namespace varan::sops::yaml_store
