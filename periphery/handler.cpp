#include "periphery/handler.h"

#include "komodo/log.h"
#include "komodo/time.h"

namespace varan::periphery {

Json log_json(const std::string& stage, const std::string& command, const std::string& out,
              const std::string& err, bool success, std::int64_t start) {
  return komodo::to_json(komodo::Log{stage, command, out, err, success, start, komodo::now_ms()});
}

SecretString provider_token(const Config& cfg, const Json& params, const std::string& provider,
                            const std::string& account) {
  if (params.contains("git_token") && params["git_token"].is_string())
    return SecretString(params["git_token"].get<std::string>());
  if (account.empty()) return SecretString();
  for (const auto& prov : cfg.git_providers)
    if (prov.is_object() && prov.value("domain", "github.com") == provider)
      for (const auto& acc : prov.value("accounts", Json::array()))
        if (acc.is_object() && acc.value("username", "") == account)
          return SecretString(acc.value("token", ""));
  return SecretString();
}

std::vector<std::pair<std::string, std::string>> replacers(const Json& params) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!params.contains("replacers") || !params["replacers"].is_array()) return out;
  for (const auto& r : params["replacers"])
    if (r.is_array() && r.size() == 2 && r[0].is_string() && r[1].is_string()) {
      std::string name = r[1].get<std::string>();
      if (name.starts_with("[[") && name.ends_with("]]")) name = name.substr(2, name.size() - 4);
      out.emplace_back(r[0].get<std::string>(), name);
    }
  return out;
}

std::map<std::string, hooks::Variable> secret_variables(const Config& cfg) {
  std::map<std::string, hooks::Variable> vars;
  for (const auto& [k, v] : cfg.secrets)
    vars[k] = {v, true};
  return vars;
}

}  // namespace varan::periphery
