/// Writing the tree as YAML in go-yaml v3's block style (indent 4 by default, sequences
/// indented under their key), with comments where they were read. Long lines are not folded.
#pragma once

#include <string>

#include "secrets/sops/tree.h"

namespace varan::sops::yaml_store {

/// One document (a mapping); `indent` spaces per level.
std::string write_document(const Node& doc, int indent);

}  // namespace varan::sops::yaml_store
