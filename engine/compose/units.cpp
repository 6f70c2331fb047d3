#include "engine/compose/units.h"

#include <cctype>
#include <cmath>

#include "engine/compose/yaml.h"

namespace varan::compose {

std::vector<std::string> split_command(std::string_view s, const std::string& where) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < s.size()) cur += s[++i];
    } else if (c == '\'') {
      std::size_t e = s.find('\'', i + 1);
      if (e == std::string_view::npos)
        throw Error(where + ": unterminated single quote in command");
      cur.append(s.substr(i + 1, e - i - 1));
      i = e;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size() &&
            (s[j + 1] == '"' || s[j + 1] == '\\' || s[j + 1] == '$' || s[j + 1] == '`'))
          ++j;
        cur += s[j];
      }
      if (j >= s.size()) throw Error(where + ": unterminated double quote in command");
      i = j;
    } else {
      cur += c;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::optional<long long> pull_refresh_seconds(std::string_view policy) {
  if (policy == "daily") return 86400;
  if (policy == "weekly") return 7 * 86400;
  if (!policy.starts_with("every_")) return std::nullopt;
  std::string_view s = policy.substr(6);
  if (s.empty()) return std::nullopt;
  long long total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    long long n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (n > 1'000'000'000) return std::nullopt;
      n = n * 10 + (s[i++] - '0');
    }
    if (i == 0 || i >= s.size()) return std::nullopt;
    long long unit = 0;
    switch (s[i]) {
      case 'w':
        unit = 7 * 86400;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return std::nullopt;
    }
    total += n * unit;
    if (total > 100LL * 365 * 86400) return std::nullopt;
    s.remove_prefix(i + 1);
  }
  return total;
}

std::optional<long long> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  long double total = 0;
  bool any = false;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
      ++i;
    if (i == 0) return std::nullopt;
    long double num = 0;
    try {
      num = std::stold(std::string(s.substr(0, i)));
    } catch (...) {
      return std::nullopt;
    }
    s.remove_prefix(i);
    std::size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.')
      ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    long double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else
      return std::nullopt;
    total += num * mult;
    any = true;
  }
  if (!any || total > 9.2e18L) return std::nullopt;
  long long v = static_cast<long long>(std::llround(total));
  return neg ? -v : v;
}

std::optional<long long> parse_bytes(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
    ++i;
  if (i == 0) return std::nullopt;
  long double num;
  try {
    num = std::stold(std::string(s.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  std::string unit;
  for (char c : s.substr(i))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
  if (unit.size() == 3 && unit.ends_with("ib")) unit.resize(1);
  long double mult;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k")
    mult = 1024.0L;
  else if (unit == "m")
    mult = 1024.0L * 1024;
  else if (unit == "g")
    mult = 1024.0L * 1024 * 1024;
  else if (unit == "t")
    mult = 1024.0L * 1024 * 1024 * 1024;
  else if (unit == "p")
    mult = 1024.0L * 1024 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  long double v = num * mult;
  if (v > 9.2e18L) return std::nullopt;
  return static_cast<long long>(v);
}
}  // namespace varan::compose
