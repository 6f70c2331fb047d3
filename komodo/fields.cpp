#include "komodo/fields.h"

namespace varan::komodo {

namespace {

const nlohmann::json& empty_object() {
  static const nlohmann::json e = nlohmann::json::object();
  return e;
}

}  // namespace

Fields::Fields(const nlohmann::json& obj, FieldError on_error, Strictness strictness,
               std::string prefix)
    : obj_(obj.is_object() ? &obj : &empty_object()),
      on_error_(std::move(on_error)),
      strictness_(strictness),
      prefix_(std::move(prefix)) {}

Fields Fields::lenient(const nlohmann::json& obj) {
  return Fields(
      obj, [](const std::string&, Expected) {}, Strictness::kLenient);
}

void Fields::wrong(const char* key, Expected expected) const {
  if (strictness_ == Strictness::kStrict || expected == Expected::kPresent)
    on_error_(prefix_ + key, expected);
}

bool Fields::has(const char* key) const { return obj_->contains(key) && !(*obj_)[key].is_null(); }

std::string Fields::str(const char* key, const std::string& def) const {
  if (!has(key)) return def;
  const auto& v = (*obj_)[key];
  if (!v.is_string()) {
    wrong(key, Expected::kString);
    return def;
  }
  return v.get<std::string>();
}

std::string Fields::required_str(const char* key) const {
  if (!obj_->contains(key)) {
    wrong(key, Expected::kPresent);
    return "";
  }
  const auto& v = (*obj_)[key];
  if (!v.is_string()) {
    on_error_(prefix_ + key, Expected::kString);  // a required field has no default to fall to
    return "";
  }
  return v.get<std::string>();
}

bool Fields::boolean(const char* key, bool def) const {
  if (!has(key)) return def;
  const auto& v = (*obj_)[key];
  if (!v.is_boolean()) {
    wrong(key, Expected::kBool);
    return def;
  }
  return v.get<bool>();
}

long long Fields::integer(const char* key, long long def) const {
  if (!has(key)) return def;
  const auto& v = (*obj_)[key];
  if (!v.is_number_integer()) {
    wrong(key, Expected::kInteger);
    return def;
  }
  return v.get<long long>();
}

std::vector<std::string> Fields::list(const char* key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const auto& v = (*obj_)[key];
  if (v.is_string()) return split_list_text(v.get<std::string>());
  if (!v.is_array()) {
    wrong(key, Expected::kStringList);
    return out;
  }
  for (const auto& e : v) {
    if (!e.is_string()) {
      wrong(key, Expected::kStringList);
      continue;
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

Fields Fields::object(const char* key) const {
  std::string prefix = prefix_ + key + ".";
  if (!has(key)) return Fields(empty_object(), on_error_, strictness_, prefix);
  const auto& v = (*obj_)[key];
  if (!v.is_object()) wrong(key, Expected::kObject);
  return Fields(v, on_error_, strictness_, prefix);
}

std::vector<std::string> split_list_text(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  auto flush = [&] {
    auto b = item.find_first_not_of(" \t\r");
    auto e = item.find_last_not_of(" \t\r");
    if (b != std::string::npos && item[b] != '#') out.push_back(item.substr(b, e - b + 1));
    item.clear();
  };
  for (char c : text) {
    if (c == ',' || c == '\n')
      flush();
    else
      item += c;
  }
  flush();
  return out;
}

}  // namespace varan::komodo
