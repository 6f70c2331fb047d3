#include "secrets/sops/store_registry.h"

namespace varan::sops {

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kYaml:
      return "yaml";
    case Format::kJson:
      return "json";
    case Format::kDotenv:
      return "dotenv";
    case Format::kIni:
      return "ini";
    case Format::kBinary:
      return "binary";
  }
  return "binary";
}

std::optional<Format> parse_format(std::string_view s) {
  for (Format f : {Format::kYaml, Format::kJson, Format::kDotenv, Format::kIni, Format::kBinary})
    if (format_name(f) == s) return f;
  return std::nullopt;
}

Format format_for_path(std::string_view path) {
  if (path.ends_with(".yaml") || path.ends_with(".yml")) return Format::kYaml;
  if (path.ends_with(".json")) return Format::kJson;
  if (path.ends_with(".env")) return Format::kDotenv;
  if (path.ends_with(".ini")) return Format::kIni;
  return Format::kBinary;
}

std::unique_ptr<Store> make_store(Format f, const StoreOptions& opts) {
  switch (f) {
    case Format::kYaml:
      return make_yaml_store(opts.yaml_indent);
    case Format::kJson:
      return make_json_store(opts.json_indent);
    case Format::kDotenv:
      return make_dotenv_store();
    case Format::kIni:
      return make_ini_store();
    case Format::kBinary:
      return make_binary_store(opts.json_indent);
  }
  return make_binary_store(opts.json_indent);
}

}  // namespace varan::sops
