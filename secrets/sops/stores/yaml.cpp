// YAML, as sops (go-yaml v3) reads and writes it: the store glue; reading is in
// yaml_reader, writing in yaml_writer, the rules for one scalar in yaml_scalar.

#include <memory>

#include "secrets/sops/store_registry.h"
#include "secrets/sops/stores/yaml_reader.h"
#include "secrets/sops/stores/yaml_writer.h"

namespace varan::sops {

namespace {

class YamlStore final : public Store {
 public:
  explicit YamlStore(int indent) : indent_(indent > 0 ? indent : 4) {}
  Format format() const override { return Format::kYaml; }

  Branches load_plain(std::string_view in) const override { return yaml_store::read_documents(in); }

  std::string emit_plain(const Branches& b) const override {
    std::string out;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (i > 0) out += "---\n";
      out += yaml_store::write_document(b[i], indent_);
    }
    return out;
  }

  std::string emit_value(const Node& v) const override {
    if (v.kind == Node::Kind::kMap) return yaml_store::write_document(v, indent_);
    Node wrapper = Node::mapping();
    wrapper.add("x", v);
    std::string doc = yaml_store::write_document(wrapper, indent_);
    // Strip the synthetic key: what follows "x:" is the value.
    std::string body = doc.substr(2);
    if (!body.empty() && body[0] == ' ') return body.substr(1);
    // A block value: re-indent.
    std::string out;
    std::size_t w = static_cast<std::size_t>(indent_);
    std::size_t pos = 1;
    while (pos < body.size()) {
      auto nl = body.find('\n', pos);
      std::string line = body.substr(pos, nl - pos);
      out += (line.size() >= w ? line.substr(w) : line) + "\n";
      pos = nl + 1;
    }
    return out;
  }

 private:
  int indent_;
};

}  // namespace

std::unique_ptr<Store> make_yaml_store(int indent) { return std::make_unique<YamlStore>(indent); }

}  // namespace varan::sops
