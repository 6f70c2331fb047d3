/// Types one service's merged, long-syntax tree into its canonical JSON (model.h): checks each
/// key's type and allowed values, and fails on (or, with --ignore-unsupported, warns about) the
/// keys Varan does not run. Every message names the file, line, service and key.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compose/model.h"
#include "engine/compose/yaml.h"

namespace varan::compose {

class Typer {
 public:
  /// `service` names the service in messages ("" for top-level resources); `ignore` turns
  /// unsupported keys into `warnings`.
  Typer(std::string service, bool ignore, std::vector<std::string>& warnings);

  /// One service key into its canonical value in `out`; false when the key is dropped.
  bool key(const std::string& k, const YNode& v, Json& out);

  [[noreturn]] void fail(const YNode& n, const std::string& key, const std::string& why) const;
  /// A key compose knows and Varan does not run: an error naming it, or a warning; false.
  bool unsupported(const YNode& n, const std::string& key);
  /// Fails on a key of mapping `n` that `allowed` does not list (x-* are extensions and pass).
  void only(const YNode& n, const std::string& key,
            std::initializer_list<std::string_view> allowed);

  std::string str(const YNode& n, const std::string& key) const;
  bool boolean(const YNode& n, const std::string& key) const;
  long long integer(const YNode& n, const std::string& key) const;
  double number(const YNode& n, const std::string& key) const;
  /// Nanoseconds; a bare unquoted number is seconds.
  long long duration(const YNode& n, const std::string& key) const;
  long long bytes(const YNode& n, const std::string& key) const;
  /// A string or a list of strings, as a JSON array.
  Json str_list(const YNode& n, const std::string& key) const;
  /// A mapping of strings; a null value stays null when `allow_null`, else becomes "".
  Json str_map(const YNode& n, const std::string& key, bool allow_null = false) const;
  /// `n` itself, after checking it is a mapping.
  const YNode& map(const YNode& n, const std::string& key) const;

 private:
  Json ports(const YNode& n);
  Json volumes(const YNode& n);
  Json healthcheck(const YNode& n);
  Json ulimits(const YNode& n);
  Json deploy(const YNode& n);
  Json service_refs(const YNode& n, const std::string& key);

  std::string service_;
  bool ignore_;
  std::vector<std::string>& warnings_;
};

}  // namespace varan::compose
