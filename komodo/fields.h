/// Typed reading of a JSON object as Komodo's serde structs read it: a field that is absent
/// or null takes its default, a list may also be written as one "a, b" or multi-line string.
/// What a wrong type does is the caller's: strict readers report it (through a callback that
/// throws the caller's own error, in its own words), lenient ones read the default instead.
/// One reader for the stack files, the agent's requests and its config.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace varan::komodo {

/// What the reader expected where a field held something else.
enum class Expected {
  kPresent,  // a required field was absent
  kString,
  kBool,
  kInteger,
  kStringList,
  kObject,
  kAny,  // a typed get<T>() that did not convert
};

/// Called with the field's full key (the reader's prefix + its name); must throw.
using FieldError = std::function<void(const std::string& key, Expected expected)>;

class Fields {
 public:
  enum class Strictness { kStrict, kLenient };

  /// A reader that takes the default for every absent or wrong-typed field (required fields
  /// still have no default: a missing one is ignored too and reads as "").
  static Fields lenient(const nlohmann::json& obj);

  /// `obj` must outlive the reader. A non-object reads as an empty object.
  Fields(const nlohmann::json& obj, FieldError on_error,
         Strictness strictness = Strictness::kStrict, std::string prefix = "");

  bool has(const char* key) const;  // present and not null
  std::string str(const char* key, const std::string& def = "") const;
  /// A string that must be there (kPresent when absent, whatever the strictness).
  std::string required_str(const char* key) const;
  bool boolean(const char* key, bool def) const;
  long long integer(const char* key, long long def) const;
  std::vector<std::string> list(const char* key) const;
  /// A reader for a nested object (its prefix is "<key>."); absent: an empty object.
  Fields object(const char* key) const;
  /// Any type nlohmann can convert to (numbers of a width, strings, ...).
  template <typename T>
  T get(const char* key, T def) const {
    if (!has(key)) return def;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // As serde reads an integer: a whole number that fits, never a float cast (which is
      // undefined behaviour out of range) or a negative number wrapped into an unsigned one.
      const auto& v = (*obj_)[key];
      if (v.is_number_unsigned()) {
        auto u = v.template get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
          return static_cast<T>(u);
      } else if (v.is_number_integer()) {
        auto i = v.template get<std::int64_t>();
        if (std::in_range<T>(i)) return static_cast<T>(i);
      }
      wrong(key, Expected::kInteger);
      return def;
    }
    try {
      return (*obj_)[key].template get<T>();
    } catch (const nlohmann::json::exception&) {
      wrong(key, expected_of<T>());
      return def;
    }
  }
  template <typename T>
  static constexpr Expected expected_of() {
    if constexpr (std::is_same_v<T, bool>) return Expected::kBool;
    if constexpr (std::is_integral_v<T>) return Expected::kInteger;
    if constexpr (std::is_same_v<T, std::string>) return Expected::kString;
    if constexpr (std::is_same_v<T, std::vector<std::string>>) return Expected::kStringList;
    return Expected::kAny;
  }

  const nlohmann::json& json() const { return *obj_; }
  const std::string& prefix() const { return prefix_; }
  /// Reports `key` (under this reader's prefix) as holding something else than `expected`.
  void wrong(const char* key, Expected expected) const;

 private:
  const nlohmann::json* obj_;
  FieldError on_error_;
  Strictness strictness_;
  std::string prefix_;
};

/// Items of Komodo's list-as-text form: split on commas and newlines, trimmed, empty and `#`
/// items dropped.
std::vector<std::string> split_list_text(const std::string& text);

}  // namespace varan::komodo
