/// The store interface: one store per format behind it (as sops' stores/; the stores
/// themselves are listed in store_registry.h), each turning bytes into the tree and back.
/// Where the `sops` metadata lives differs per format and is handled here once: nested
/// (YAML, JSON, binary), flattened below the top (INI), or fully flattened with a "sops_"
/// prefix (dotenv).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "secrets/sops/tree_crypt.h"

namespace varan::sops {

enum class Format { kYaml, kJson, kDotenv, kIni, kBinary };

/// "yaml", "json", "dotenv", "ini", "binary".
std::string_view format_name(Format f);
/// Parses --input-type / --output-type values; nullopt for anything else.
std::optional<Format> parse_format(std::string_view s);
/// The format sops infers from a file name (.yaml/.yml, .json, .env, .ini, else binary).
Format format_for_path(std::string_view path);

struct StoreOptions {
  int yaml_indent = 4;   // stores.yaml.indent
  int json_indent = -1;  // stores.json.indent: -1 means a tab
};

class Store {
 public:
  enum class Layout { kNested, kFlattenBelowTop, kFlattenFull };
  virtual ~Store() = default;
  virtual Format format() const = 0;
  /// The documents in a file (only YAML has more than one). Throws Error(kGeneric) naming
  /// the line where the format says so.
  virtual Branches load_plain(std::string_view in) const = 0;
  virtual std::string emit_plain(const Branches& b) const = 0;
  /// A single value, for --extract of a subtree or non-string scalar.
  virtual std::string emit_value(const Node& v) const = 0;
  virtual Layout layout() const { return Layout::kNested; }
  virtual bool escape_metadata_newlines() const { return false; }
};

std::unique_ptr<Store> make_store(Format f, const StoreOptions& opts = {});

/// Loads an encrypted file: the documents without their metadata, and the metadata.
/// Throws Error(kGeneric, "sops metadata not found") for a file that is not encrypted.
Tree load_encrypted(const Store& store, std::string_view in);
/// Writes the documents with the metadata added where the format keeps it.
std::string emit_encrypted(const Store& store, const Tree& tree);
/// True when a plain-loaded document already carries sops metadata (encrypting it again
/// would be a mistake).
bool has_metadata(const Store& store, const Branches& b);

}  // namespace varan::sops
