/// go-yaml v3's rules for one YAML scalar, shared by the reader and the writer: the type
/// a plain scalar resolves to, and the text that writes a value so it reads back the same.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "secrets/sops/tree.h"

namespace varan::sops::yaml_store {

/// The value of a plain (unquoted, untagged) scalar as go-yaml v3 types it when decoding
/// into interface{}. Throws Error(kGeneric) for an integer too large for 64 bits.
Node resolve_plain(const std::string& s);

/// A string scalar's text on one line (plain, single- or double-quoted, or !!binary),
/// or nullopt when it must be written as a literal block. `key`: it is a mapping key.
std::optional<std::string> inline_string(const std::string& s, bool key);

/// A string in double quotes with YAML's escapes, as go-yaml v3 writes one.
std::string double_quoted(std::string_view s);

/// The text of a null, bool, number or bytes scalar; "" for other kinds.
std::string scalar_text(const Node& v);

}  // namespace varan::sops::yaml_store
