// dotenv: KEY=value lines, '#' comment lines, "\n" written as the two characters \n.
// Exactly sops' store: no trimming, no quotes, the key is everything before the first '='.
#include <string>

#include "secrets/sops/errors.h"
#include "secrets/sops/store_registry.h"

namespace varan::sops {

namespace {

class DotenvStore final : public Store {
 public:
  Format format() const override { return Format::kDotenv; }
  Layout layout() const override { return Layout::kFlattenFull; }

  Branches load_plain(std::string_view in) const override {
    Node doc = Node::mapping();
    std::size_t start = 0, line_no = 0;
    while (start <= in.size()) {
      auto nl = in.find('\n', start);
      std::string_view line =
          in.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      ++line_no;
      start = nl == std::string_view::npos ? in.size() + 1 : nl + 1;
      if (line.empty()) continue;
      if (line[0] == '#') {
        doc.map.emplace_back(Node::comment(std::string(line.substr(1))), Node());
        continue;
      }
      auto eq = line.find('=');
      // The line itself may be a secret: the message names its number only.
      if (eq == std::string_view::npos)
        throw Error(codes::kGeneric, "invalid dotenv input at line " + std::to_string(line_no) +
                                         ": expected KEY=value");
      std::string value(line.substr(eq + 1));
      for (std::size_t p = 0; (p = value.find("\\n", p)) != std::string::npos; ++p)
        value.replace(p, 2, "\n");
      doc.add(std::string(line.substr(0, eq)), Node::string(std::move(value)));
    }
    return {std::move(doc)};
  }

  std::string emit_plain(const Branches& b) const override {
    std::string out;
    if (b.empty()) return out;
    for (const auto& [k, v] : b[0].map) {
      if (v.is_complex())
        throw Error(codes::kErrorDumpingTree,
                    "cannot use complex value in dotenv file; offending key " + k.str);
      if (k.is_comment()) {
        out += "#" + k.str + "\n";
        continue;
      }
      std::string value;
      if (v.kind == Node::Kind::kString) {
        for (char c : v.str)
          value += c == '\n' ? std::string("\\n") : std::string(1, c);
      } else {
        value = value_to_string(v);
      }
      out += k.str + "=" + value + "\n";
      wipe(value);
    }
    return out;
  }

  std::string emit_value(const Node& v) const override {
    if (v.kind != Node::Kind::kString)
      throw Error(codes::kErrorDumpingTree, "the dotenv store only supports emitting strings");
    return v.str;
  }
};

}  // namespace

std::unique_ptr<Store> make_dotenv_store() { return std::make_unique<DotenvStore>(); }

}  // namespace varan::sops
