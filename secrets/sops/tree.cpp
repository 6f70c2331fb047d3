#include "secrets/sops/tree.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "secrets/sops/errors.h"

namespace varan::sops {

const Node* Node::find(std::string_view key) const {
  for (const auto& [k, v] : map)
    if (k.kind == Kind::kString && k.str == key) return &v;
  return nullptr;
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

bool operator==(const Node& a, const Node& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Node::Kind::kNull:
      return true;
    case Node::Kind::kString:
    case Node::Kind::kBytes:
    case Node::Kind::kComment:
      return a.str == b.str;
    case Node::Kind::kInt:
      return a.i == b.i;
    case Node::Kind::kFloat:
      return a.f == b.f || (std::isnan(a.f) && std::isnan(b.f));
    case Node::Kind::kBool:
      return a.b == b.b;
    case Node::Kind::kMap:
      return a.map == b.map;
    case Node::Kind::kList:
      return a.list == b.list;
  }
  return false;
}

namespace {

// Shortest round-trip digits and decimal exponent of v (v finite, non-zero):
// v = 0.d1d2d3... x 10^point.
void shortest_digits(double v, std::string& digits, int& point) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  auto e = s.find('e');
  digits.clear();
  for (char c : s.substr(0, e))
    if (c != '.') digits += c;
  point = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
}

std::string format_e(const std::string& digits, int point, bool negative, char e) {
  std::string out = negative ? "-" : "";
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  int exp = point - 1;
  out += e;
  out += exp < 0 ? '-' : '+';
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out += '0';
  out += std::to_string(a);
  return out;
}

std::string format_f(const std::string& digits, int point, bool negative) {
  std::string out = negative ? "-" : "";
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<std::size_t>(point));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(point));
  }
  return out;
}

}  // namespace

std::string go_format_float(double v, char fmt) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  bool negative = std::signbit(v);
  if (v == 0) {
    std::string z = negative ? "-0" : "0";
    if (fmt == 'e' || fmt == 'E') return z + (fmt == 'e' ? "e+00" : "E+00");
    return z;
  }
  std::string digits;
  int point;
  shortest_digits(v, digits, point);
  switch (fmt) {
    case 'f':
      return format_f(digits, point, negative);
    case 'e':
    case 'E':
      return format_e(digits, point, negative, fmt);
    default: {
      // 'g' / 'G' at the shortest precision: Go switches to %e when the decimal exponent
      // is below -4 or at least 6 (so 1234567.0 is "1.234567e+06").
      int exp = point - 1;
      if (exp < -4 || exp >= 6) return format_e(digits, point, negative, fmt == 'G' ? 'E' : 'e');
      return format_f(digits, point, negative);
    }
  }
}

bool go_parse_float(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::string t(s);
  std::string lower;
  for (char c : t)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view body = lower;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") {
    out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (body == "nan") {
    out = std::nan("");
    return true;
  }
  // Underscores are allowed only between digits in Go; sops files never have them.
  for (char c : body)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' ||
          c == '-'))
      return false;
  const char* begin = t.data() + (t[0] == '+' ? 1 : 0);
  auto res = std::from_chars(begin, t.data() + t.size(), out);
  if (res.ec == std::errc::result_out_of_range) {
    out = neg ? -HUGE_VAL : HUGE_VAL;
    return false;  // Go returns an error (with ±Inf)
  }
  return res.ec == std::errc() && res.ptr == t.data() + t.size();
}

bool go_parse_bool(std::string_view s, bool& out) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
    if (s == t) return out = true, true;
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
    if (s == f) return out = false, true;
  return false;
}

std::string trim_space(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
    ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
    --e;
  return std::string(s.substr(b, e - b));
}

bool go_parse_int(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::string_view digits = !s.empty() && s[0] == '-' ? s.substr(1) : s;
  if (digits.empty()) return false;
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

std::string value_to_string(const Node& v) {
  switch (v.kind) {
    case Node::Kind::kFloat: {
      std::string s = go_format_float(v.f, 'G');
      if (s.find('.') == std::string::npos && s.find('E') == std::string::npos) {
        // Go: strconv.FormatFloat(v, 'f', 1, 64)
        char buf[512];
        std::snprintf(buf, sizeof buf, "%.1f", v.f);
        s = buf;
      }
      return s;
    }
    case Node::Kind::kBool:
      return v.b ? "true" : "false";
    case Node::Kind::kInt:
      return std::to_string(v.i);
    case Node::Kind::kNull:
      return "<nil>";
    default:
      return v.str;
  }
}

std::string to_bytes(const Node& v) {
  switch (v.kind) {
    case Node::Kind::kString:
    case Node::Kind::kBytes:
    case Node::Kind::kComment:
      return v.str;
    case Node::Kind::kInt:
      return std::to_string(v.i);
    case Node::Kind::kFloat:
      return go_format_float(v.f, 'f');
    case Node::Kind::kBool:
      return v.b ? "True" : "False";
    default:
      throw Error(codes::kGeneric, "could not convert a complex or null value to bytes");
  }
}

}  // namespace varan::sops
